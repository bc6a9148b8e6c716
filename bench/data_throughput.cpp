// Data-path throughput (issue 8), on `make-demo-data` scans (default 512×512×120 int16 .nii.gz,
// 0.7×0.7×2.5 mm, stored LPI / LPS / RAS), resample_spacing [1,1,1], orient true, negatives on and
// the full pre-training augmentation (RandomResizedCrop3D(50) … NormalizeIntensity, two views of
// each patch):
//   1. items/s on one thread: whole-image reference path, region-only path, region-only +
//      cache_dir (first epoch fills the cache, second reads it), and the scan's decode time;
//   2. DataLoader items/s with 1 and 2 loader threads, and each stage's share of an item's CPU time.
//
//   bench_data_throughput [--scans 3] [--items 12] [--whole-items 4] [--size 512,512,120] [--dir DIR]
//                         [--loader-items 24] [--cached-loader-items 240] [--reps 3]
//
// Part 1 uses thread CPU time (the machine may be shared); part 2 reports wall time (what scaling
// is about) next to process CPU time, so contention shows.
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include "fmcib/config/config.hpp"
#include "fmcib/data/data_loader.hpp"
#include "fmcib/data/demo_data.hpp"
#include "fmcib/data/ssl_radiomics_dataset.hpp"
#include "fmcib/data/stage_timer.hpp"
#include "fmcib/data/targets.hpp"
#include "fmcib/data/thread_plan.hpp"
#include "fmcib/io/csv.hpp"
#include "fmcib/io/image_io.hpp"
#include "fmcib/transforms/targets.hpp"

namespace fs = std::filesystem;
using namespace fmcib;
using Clock = std::chrono::steady_clock;

namespace {

double cpuMs(clockid_t clock) {
  timespec ts{};
  clock_gettime(clock, &ts);
  return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
}

const char* kTransform = R"Y(
  _target_: torchvision.transforms.Compose
  transforms:
    - _target_: monai.transforms.ToTensor
    - _target_: monai.transforms.EnsureChannelFirst
      channel_dim: no_channel
    - _target_: fmcib.transforms.Duplicate
      transforms1:
        _target_: torchvision.transforms.Compose
        transforms:
          - {_target_: fmcib.transforms.RandomResizedCrop3D, size: 50}
          - {_target_: monai.transforms.RandAxisFlip, prob: 0.5}
          - {_target_: monai.transforms.RandHistogramShift, prob: 0.5}
          - {_target_: monai.transforms.RandGaussianSmooth, prob: 0.5}
          - {_target_: monai.transforms.SpatialPad, spatial_size: [50, 50, 50]}
          - {_target_: monai.transforms.ThresholdIntensity, threshold: -1024, cval: -1024}
          - {_target_: monai.transforms.NormalizeIntensity, subtrahend: -1024, divisor: 3072}
      transforms2: "@#transforms1"
)Y";

std::shared_ptr<const data::SSLRadiomicsDataset> dataset(const std::string& csv, const std::string& extra) {
  static config::Registry reg = [] {
    config::Registry r;
    data::registerTargets(r);
    transforms::registerTargets(r);
    return r;
  }();
  std::string t = kTransform;
  std::string indented;
  for (size_t p = 0; p < t.size();) {  // nest the transform under `ds:`
    const size_t e = t.find('\n', p);
    const std::string line = t.substr(p, e - p);
    if (!line.empty()) indented += "  " + line + "\n";
    p = e == std::string::npos ? t.size() : e + 1;
  }
  const std::string yaml = "ds:\n  _target_: fmcib.datasets.SSLRadiomicsDataset\n  path: " + csv +
                           "\n  orient: true\n  resample_spacing: [1, 1, 1]\n  enable_negatives: true\n" +
                           extra + "  transform:\n" + indented;
  config::Config c = config::Config::fromString(yaml, "bench.yaml", reg);
  return std::dynamic_pointer_cast<const data::SSLRadiomicsDataset>(c.resolve("ds").as<data::Dataset>());
}

struct Run {
  double cpuMsPerItem = 0;
  data::StageTotals stages;
};

// Items [0, n) on this thread; thread CPU time per item and the stage counters.
Run items(const data::SSLRadiomicsDataset& ds, int n, int64_t epoch) {
  data::resetStageTotals();
  const double c0 = cpuMs(CLOCK_THREAD_CPUTIME_ID);
  for (int i = 0; i < n; ++i) {
    data::Generator gen(data::itemSeed(0, epoch, i));
    ds.get(i, gen);
  }
  return {(cpuMs(CLOCK_THREAD_CPUTIME_ID) - c0) / n, data::stageTotals()};
}

void printStages(const char* what, const data::StageTotals& t, int n) {
  std::printf("    %-28s", what);
  for (int s = 0; s < data::kNumStages; ++s)
    std::printf(" %s %7.1f", data::stageName(static_cast<data::Stage>(s)), 1e3 * t.cpuSeconds[s] / n);
  std::printf("  (CPU ms/item)\n");
}

}  // namespace

int main(int argc, char** argv) {
  int scans = 3, n = 12, nWhole = 4, loaderItems = 24, cachedLoaderItems = 240, reps = 3;
  io::Index3 size{512, 512, 120};
  std::string dir = (fs::temp_directory_path() / "fmcib_bench_throughput").string();
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    if (a == "--scans") scans = std::atoi(argv[i + 1]);
    if (a == "--items") n = std::atoi(argv[i + 1]);
    if (a == "--whole-items") nWhole = std::atoi(argv[i + 1]);
    if (a == "--dir") dir = argv[i + 1];
    if (a == "--loader-items") loaderItems = std::atoi(argv[i + 1]);
    if (a == "--cached-loader-items") cachedLoaderItems = std::atoi(argv[i + 1]);
    if (a == "--reps") reps = std::atoi(argv[i + 1]);
    if (a == "--size") std::sscanf(argv[i + 1], "%ld,%ld,%ld", &size[0], &size[1], &size[2]);
  }
  torch::set_num_threads(1);
  data::setThreadLocalIntraOpThreads(1);
  const fs::path demo = fs::path(dir) / "demo";
  const std::string csv = (demo / "bench.csv").string();
  if (!fs::exists(csv)) {
    data::DemoDataOptions o;
    o.outDir = demo.string();
    o.scans = scans;
    o.size = size;
    const data::DemoDataResult r = data::makeDemoData(o);
    std::vector<std::vector<std::string>> rows;
    for (const auto& s : r.scans)
      for (const auto& l : s.lesions)
        rows.push_back(
            {s.path, std::to_string(l.centre[0]), std::to_string(l.centre[1]), std::to_string(l.centre[2])});
    io::writeCsv(csv, {"image_path", "coordX", "coordY", "coordZ"}, rows);
  }
  const auto region = dataset(csv, "");
  n = std::min<int>(n, static_cast<int>(region->size()));
  nWhole = std::min(nWhole, n);
  std::printf("%lld rows from %s; %d items per run (%d on the whole-image path)\n",
              static_cast<long long>(region->size()), csv.c_str(), n, nWhole);
  data::enableStageTiming(true);

  // 1. One thread.
  std::set<std::string> paths;
  for (int i = 0; i < n; ++i) paths.insert(region->imagePath(i));
  double decodeMs = 0;
  for (const auto& p : paths) {
    const double c0 = cpuMs(CLOCK_THREAD_CPUTIME_ID);
    io::readImage(p);
    decodeMs += cpuMs(CLOCK_THREAD_CPUTIME_ID) - c0;
  }
  decodeMs /= static_cast<double>(paths.size());
  // The same scan stored uncompressed: what is left of the decode without gzip.
  const std::string raw = (fs::path(dir) / "uncompressed.nii").string();
  io::writeImage(io::readImage(*paths.begin()), raw);
  double rawMs = 1e300, gzMs = 1e300;
  for (int r = 0; r < 2; ++r) {
    double c0 = cpuMs(CLOCK_THREAD_CPUTIME_ID);
    io::readImage(raw);
    rawMs = std::min(rawMs, cpuMs(CLOCK_THREAD_CPUTIME_ID) - c0);
    c0 = cpuMs(CLOCK_THREAD_CPUTIME_ID);
    io::readImage(*paths.begin());
    gzMs = std::min(gzMs, cpuMs(CLOCK_THREAD_CPUTIME_ID) - c0);
  }
  const Run whole = items(*dataset(csv, "  crop_mode: whole_image\n"), nWhole, 0);
  const Run reg = items(*region, n, 0);
  const std::string cacheDir = (fs::path(dir) / "cache").string();
  fs::remove_all(cacheDir);
  const auto cached = dataset(csv, "  cache_dir: " + cacheDir + "\n");
  const Run fill = items(*cached, n, 0);
  const Run hit = items(*cached, n, 1);
  std::printf("\n1. one thread (thread CPU time; items/s = 1000 / ms per item)\n");
  std::printf("    decode (readImage of one scan)   %8.1f ms\n", decodeMs);
  std::printf(
      "    same scan: .nii.gz %.1f ms, uncompressed .nii %.1f ms: gzip inflate is %.0f%% of the decode\n",
      gzMs, rawMs, 100 * (gzMs - rawMs) / gzMs);
  std::printf("    whole_image reference path       %8.1f ms/item  %7.2f items/s\n", whole.cpuMsPerItem,
              1e3 / whole.cpuMsPerItem);
  std::printf("    region-only path                 %8.1f ms/item  %7.2f items/s\n", reg.cpuMsPerItem,
              1e3 / reg.cpuMsPerItem);
  std::printf("    region + cache_dir, 1st epoch    %8.1f ms/item  %7.2f items/s\n", fill.cpuMsPerItem,
              1e3 / fill.cpuMsPerItem);
  std::printf("    region + cache_dir, 2nd epoch    %8.1f ms/item  %7.2f items/s\n", hit.cpuMsPerItem,
              1e3 / hit.cpuMsPerItem);
  std::printf(
      "    ratios: region/decode %.2f (target <= 1.3); cached/whole items/s %.1fx (target >= 50); "
      "region/whole items/s %.2fx\n",
      reg.cpuMsPerItem / decodeMs, whole.cpuMsPerItem / hit.cpuMsPerItem,
      whole.cpuMsPerItem / reg.cpuMsPerItem);
  printStages("whole_image", whole.stages, nWhole);
  printStages("region", reg.stages, n);
  printStages("region + cache, 1st epoch", fill.stages, n);
  printStages("region + cache, 2nd epoch", hit.stages, n);

  // 2. Loader threads: 1 and 2 threads alternately, `reps` times; the best rate of each (the machine
  // may be shared: the least disturbed run), the process CPU per item, and the CPU/wall ratio (how
  // many cores the run actually got).
  std::printf("\n2. DataLoader, batch 4, best of %d alternating runs (wall time)\n", reps);
  for (const auto& [name, ds] :
       {std::make_pair("region", region), std::make_pair("region + cache", cached)}) {
    const int want = ds == cached ? cachedLoaderItems : loaderItems;
    double rate[3] = {0, 0, 0}, cpuPerItem[3] = {0, 0, 0}, cores[3] = {0, 0, 0};
    data::StageTotals stages;
    for (int r = 0; r < reps; ++r)
      for (int workers : {1, 2}) {
        data::DataLoaderOptions lo;
        lo.batchSize = 4;
        lo.numWorkers = workers;
        data::DataLoader loader(data::DatasetPtr(ds), lo);
        if (r == 0 && workers == 1) data::resetStageTotals();
        const double c0 = cpuMs(CLOCK_PROCESS_CPUTIME_ID);
        const Clock::time_point t0 = Clock::now();
        int got = 0;
        for (int64_t e = 2; got < want; ++e) {  // whole epochs until `want` items
          auto epoch = loader.epoch(e);
          while (auto batch = epoch->next()) got += static_cast<int>(batch->size());
        }
        const double wall = std::chrono::duration<double>(Clock::now() - t0).count();
        const double cpu = cpuMs(CLOCK_PROCESS_CPUTIME_ID) - c0;
        if (got / wall > rate[workers]) {
          rate[workers] = got / wall;
          cpuPerItem[workers] = cpu / got;
          cores[workers] = cpu / 1e3 / wall;
        }
      }
    stages = data::stageTotals();
    for (int workers : {1, 2})
      std::printf("    %-16s %d thread(s): %6.2f items/s  [%.1f CPU ms/item, %.2f cores busy]\n", name,
                  workers, rate[workers], cpuPerItem[workers], cores[workers]);
    double total = 0;
    for (int s = 0; s < data::kNumStages; ++s) total += stages.cpuSeconds[s];
    std::printf("      stage shares of CPU:");
    for (int s = 0; s < data::kNumStages; ++s)
      std::printf(" %s %.0f%%", data::stageName(static_cast<data::Stage>(s)),
                  100 * stages.cpuSeconds[s] / total);
    std::printf("\n    %-16s scaling 2 vs 1 thread: %.2fx\n", name, rate[2] / rate[1]);
  }
  return 0;
}
