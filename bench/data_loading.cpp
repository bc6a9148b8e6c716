// Data-loading benchmark (issue 3): items per second on one thread for SSLRadiomicsDataset on
// realistic synthetic CT (default 512×512×120, 0.7×0.7×2.5 mm, int16 .nii.gz, stored RAS so that
// `orient` has to flip three axes, as for any scan not already LPI),
// resample_spacing [1,1,1], orient true, negatives on, no transform: the whole-image reference path
// against the region-only path, and where the whole-image time goes.
//
//   bench_data_loading [--scans N] [--items N] [--reps R] [--size X,Y,Z] [--dir DIR]
//
// Timings are the minimum over `reps` passes (the machine is shared; the minimum is the least
// disturbed pass), in milliseconds per item.
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "fmcib/data/demo_data.hpp"
#include "fmcib/data/grid_map.hpp"
#include "fmcib/data/resample.hpp"
#include "fmcib/data/ssl_radiomics_dataset.hpp"
#include "fmcib/io/csv.hpp"
#include "fmcib/io/image_io.hpp"
#include "timing.hpp"

namespace fs = std::filesystem;
using namespace fmcib;
using bench::measure;
using bench::Timing;

int main(int argc, char** argv) {
  int scans = 3, items = 6, reps = 3;
  io::Index3 size{512, 512, 120};
  std::string dir = (fs::temp_directory_path() / "fmcib_bench_data").string();
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    if (a == "--scans")
      scans = std::atoi(argv[i + 1]);
    else if (a == "--items")
      items = std::atoi(argv[i + 1]);
    else if (a == "--reps")
      reps = std::atoi(argv[i + 1]);
    else if (a == "--dir")
      dir = argv[i + 1];
    else if (a == "--size")
      std::sscanf(argv[i + 1], "%ld,%ld,%ld", &size[0], &size[1], &size[2]);
  }
  torch::set_num_threads(1);
  fs::create_directories(dir);

  // Scans (reused between runs when present) and a CSV of their lesions.
  std::vector<std::vector<std::string>> rows;
  for (int s = 0; s < scans; ++s) {
    const std::string path = (fs::path(dir) / ("ct_" + std::to_string(s) + ".nii.gz")).string();
    std::vector<data::DemoLesion> lesions;
    const bool exists = fs::exists(path) && io::readImageInfo(path).geometry.size == size;
    const io::Volume ct = data::makeSyntheticCt(size, {0.7, 0.7, 2.5}, "RAS", {1, 4, 6}, 1234 + s, lesions);
    if (!exists) io::writeImage(ct, path);
    for (const auto& l : lesions)
      rows.push_back(
          {path, std::to_string(l.centre[0]), std::to_string(l.centre[1]), std::to_string(l.centre[2])});
  }
  const std::string csv = (fs::path(dir) / "bench.csv").string();
  io::writeCsv(csv, {"image_path", "coordX", "coordY", "coordZ"}, rows);
  const int n = std::min<int>(items, static_cast<int>(rows.size()));
  auto scanOf = [&](int i) { return rows[static_cast<size_t>(i)][0]; };

  // Stage breakdown of the whole-image reference path.
  const Timing decode = measure(reps, n, [&](int i) { io::readImage(scanOf(i)); });
  const io::Volume scan = io::readImage(scanOf(0));
  const io::Vec3 spacing{1, 1, 1};
  const Timing resample = measure(reps, 1, [&](int) { data::resampleToSpacing(scan, spacing); });
  const io::Volume resampled = data::resampleToSpacing(scan, spacing);
  const data::GridMap toLpi = data::orientationMap(resampled.geometry(), "LPI");
  const Timing orient = measure(reps, 1, [&](int) {
    data::applyGridMap(resampled, toLpi, toLpi.permutedSize(resampled.geometry().size));
  });

  data::SSLRadiomicsOptions o;
  o.path = csv;
  o.orient = true;
  o.resampleSpacing = spacing;
  o.enableNegatives = true;
  o.cropMode = data::CropMode::kWholeImage;
  data::SSLRadiomicsDataset whole(o);
  o.cropMode = data::CropMode::kRegion;
  data::SSLRadiomicsDataset region(o);
  const Timing wholeItem = measure(reps, n, [&](int i) {
    data::Generator gen(static_cast<uint64_t>(i));
    whole.get(i, gen);
  });
  const Timing regionItem = measure(reps, n, [&](int i) {
    data::Generator gen(static_cast<uint64_t>(i));
    region.get(i, gen);
  });
  // Region path minus decoding: what cropping a positive and a negative costs.
  const Timing crops = measure(reps, n, [&](int i) {
    data::CropOptions c;
    c.orient = true;
    c.resampleSpacing = spacing;
    const data::ScanCropper cropper(scan, c);
    data::Generator gen(static_cast<uint64_t>(i));
    cropper.positive(region.seed(i % 3));
    cropper.negative(gen);
  });

  std::printf(
      "scan %ldx%ldx%ld int16 .nii.gz (%.0f MB of voxels), RAS, resample [1,1,1] -> %ldx%ldx%ld, "
      "orient true, negatives on, %d items x %d reps, 1 thread\n",
      size[0], size[1], size[2], scan.byteSize() / 1e6, resampled.geometry().size[0],
      resampled.geometry().size[1], resampled.geometry().size[2], n, reps);
  auto line = [](const char* what, const Timing& t) {
    std::printf("  %-34s %8.1f ms CPU  %8.1f ms wall\n", what, t.cpu, t.wall);
  };
  line("decode (readImage .nii.gz)", decode);
  line("resample whole scan to 1 mm", resample);
  line("reorient whole resampled scan", orient);
  line("region crops (positive + negative)", crops);
  line("whole-image path per item", wholeItem);
  line("region-only path per item", regionItem);
  std::printf("  items/s (CPU): whole %.2f, region %.2f\n", 1000.0 / wholeItem.cpu, 1000.0 / regionItem.cpu);
  std::printf("  region / decode (CPU) %.2f; region / whole (CPU) %.2f (whole is %.1fx slower)\n",
              regionItem.cpu / decode.cpu, regionItem.cpu / wholeItem.cpu, wholeItem.cpu / regionItem.cpu);
  return 0;
}
