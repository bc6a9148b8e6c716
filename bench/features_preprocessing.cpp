// `fmcib features` on the CPU (issue 14): per-row cost of the get_features preprocessing on a
// realistic synthetic CT (default 512×512×120 int16, 0.7×0.7×2.5 mm, .nii.gz), for the region-only
// path with and without the scan cache, against the whole-image reference path (every step
// materialized: the whole scan resampled to 1 mm), and the published trunk's forward per row.
//
//   bench_features_preprocessing [--rows N] [--reps R] [--size X,Y,Z] [--dir DIR] [--model]
//
// Times are thread CPU ms per row, minimum over `reps` passes (the machine is shared), wall for
// reference.
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <functional>
#include <random>
#include <string>

#include "fmcib/data/csv_dataset.hpp"
#include "fmcib/data/get_features_transforms.hpp"
#include "fmcib/engine/features.hpp"
#include "fmcib/io/image_io.hpp"
#include "timing.hpp"

namespace fs = std::filesystem;
using namespace fmcib;
using bench::measure;
using bench::Timing;

namespace {

std::shared_ptr<data::CSVDataset> dataset(const std::string& csv, int64_t cacheBytes, bool eager) {
  data::GetFeaturesTransformOptions t;
  t.cacheBytes = cacheBytes;
  t.eager = eager;
  data::CSVDatasetOptions o;
  o.src = csv;
  o.transform = data::getFeaturesTransforms(t);
  return std::make_shared<data::CSVDataset>(o);
}

}  // namespace

int main(int argc, char** argv) {
  int rows = 4, reps = 3;
  int64_t sx = 512, sy = 512, sz = 120;
  std::string dir = "/tmp/fmcib_bench_features";
  bool model = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--rows" && i + 1 < argc)
      rows = std::atoi(argv[++i]);
    else if (a == "--reps" && i + 1 < argc)
      reps = std::atoi(argv[++i]);
    else if (a == "--dir" && i + 1 < argc)
      dir = argv[++i];
    else if (a == "--size" && i + 1 < argc)
      std::sscanf(argv[++i], "%ld,%ld,%ld", &sx, &sy, &sz);
    else if (a == "--model")
      model = true;
  }
  torch::set_num_threads(1);
  fs::create_directories(dir);
  const std::string scan = dir + "/ct.nii.gz", csv = dir + "/seeds.csv";
  io::ImageGeometry g;
  g.size = {sx, sy, sz};
  g.spacing = {0.7, 0.7, 2.5};
  g.origin = {-180, -180, -150};
  if (!fs::exists(scan)) {
    io::Volume v(io::PixelType::kInt16, g);
    std::mt19937_64 gen(1);
    std::normal_distribution<double> noise(0, 30);
    int16_t* p = v.dataAs<int16_t>();
    for (int64_t k = 0; k < sz; ++k)
      for (int64_t j = 0; j < sy; ++j)
        for (int64_t i = 0; i < sx; ++i) {
          const double r = std::hypot(static_cast<double>(i - sx / 2), static_cast<double>(j - sy / 2));
          *p++ = static_cast<int16_t>((r < 0.45 * static_cast<double>(sx) ? 40.0 : -1000.0) + noise(gen));
        }
    io::writeImage(v, scan);
  }
  {
    std::ofstream out(csv);
    out << "image_path,coordX,coordY,coordZ\n";
    for (int r = 0; r < rows; ++r)
      out << scan << "," << -40 + 20 * r << "," << 10 * r << "," << -100 + 30 * r << "\n";
  }
  std::printf("scan %ldx%ldx%ld int16 (%s, %.1f MB), %d rows, %d passes\n", sx, sy, sz, scan.c_str(),
              static_cast<double>(fs::file_size(scan)) / 1e6, rows, reps);

  const Timing decode = measure(reps, rows, [&](int) { io::readImage(scan); });
  auto region = dataset(csv, 0, false), cached = dataset(csv, int64_t{1} << 30, false),
       whole = dataset(csv, 0, true);
  data::Generator gen(0);
  const Timing tRegion = measure(reps, rows, [&](int i) { region->get(i, gen); });
  const Timing tCached = measure(reps, rows, [&](int i) { cached->get(i, gen); });
  const Timing tWhole = measure(1, rows, [&](int i) { whole->get(i, gen); });
  auto line = [](const char* what, const Timing& t) {
    std::printf("%-58s %9.1f CPU ms/row  (%7.1f wall)\n", what, t.cpu, t.wall);
  };
  line("decode: readImage of the .nii.gz", decode);
  line("region path, decode per row (cache_bytes 0)", tRegion);
  line("region path, scan cache (rows of one scan decode it once)", tCached);
  line("whole-image reference path (every step materialized)", tWhole);
  if (model) {
    auto trunk = engine::featureTrunk(engine::kRandomWeights, 0);
    trunk->eval();
    torch::NoGradGuard noGrad;
    std::vector<at::Tensor> items;
    for (int i = 0; i < 4; ++i) items.push_back(region->get(i % rows, gen).input.tensor());
    const at::Tensor batch = torch::stack(items);
    torch::set_num_threads(2);
    trunk->forward(batch);  // warm-up
    // Process CPU time: the forward runs on the intra-op threads too.
    timespec c0{}, c1{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c0);
    const auto w0 = std::chrono::steady_clock::now();
    trunk->forward(batch);
    const double ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - w0).count();
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c1);
    const double cpu =
        static_cast<double>(c1.tv_sec - c0.tv_sec) * 1e3 + static_cast<double>(c1.tv_nsec - c0.tv_nsec) / 1e6;
    std::printf("%-58s %9.1f CPU ms/row  (%7.1f wall; batch of 4, 2 intra-op threads)\n",
                "trunk forward (resnet50 w2 s2)", cpu / 4, ms / 4);
  }
  return 0;
}
