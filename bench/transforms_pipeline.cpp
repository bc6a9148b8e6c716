// Throughput of the pre-training view pipeline (DESIGN §3) on 50³ patches, one thread, and the cost
// of each of its transforms. Usage: bench_transforms_pipeline [items=400] [seed=1]
// Results are recorded in bench/README.md.
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <string>
#include <vector>

#include "fmcib/transforms/compose.hpp"
#include "fmcib/transforms/croppad.hpp"
#include "fmcib/transforms/intensity.hpp"
#include "fmcib/transforms/spatial.hpp"
#include "fmcib/transforms/utility.hpp"

using namespace fmcib::transforms;
using Clock = std::chrono::steady_clock;

namespace {

struct Stage {
  std::string name;
  TransformPtr configured;  // with the config's prob
  TransformPtr always;      // prob 1: the cost when it fires
};

std::vector<Stage> viewStages() {
  NormalizeIntensity::Options norm;
  norm.subtrahend = std::vector<double>{-1024};
  norm.divisor = std::vector<double>{3072};
  const std::pair<double, double> s{0.25, 1.5};
  auto pad = std::make_shared<SpatialPad>(std::vector<int64_t>{50, 50, 50});
  auto thr = std::make_shared<ThresholdIntensity>(-1024, true, -1024);
  auto nrm = std::make_shared<NormalizeIntensity>(norm);
  return {
      {"RandomResizedCrop3D(size=50)", std::make_shared<RandomResizedCrop3D>(1.0, 50),
       std::make_shared<RandomResizedCrop3D>(1.0, 50)},
      {"RandAxisFlip(0.5)", std::make_shared<RandAxisFlip>(0.5), std::make_shared<RandAxisFlip>(1.0)},
      {"RandHistogramShift(0.5)", std::make_shared<RandHistogramShift>(10, 10, 0.5),
       std::make_shared<RandHistogramShift>(10, 10, 1.0)},
      {"RandGaussianSmooth(0.5)", std::make_shared<RandGaussianSmooth>(s, s, s, 0.5),
       std::make_shared<RandGaussianSmooth>(s, s, s, 1.0)},
      {"SpatialPad([50,50,50])", pad, pad},
      {"ThresholdIntensity(-1024)", thr, thr},
      {"NormalizeIntensity(-1024, 3072)", nrm, nrm},
  };
}

std::shared_ptr<Compose> pipeline(const std::vector<Stage>& stages) {
  std::vector<TransformPtr> t1;
  for (const auto& s : stages) t1.push_back(s.configured);
  auto view = std::make_shared<Compose>(t1);
  return std::make_shared<Compose>(std::vector<TransformPtr>{
      std::make_shared<ToTensor>(), std::make_shared<EnsureChannelFirst>(EnsureChannelFirst::kNoChannel),
      std::make_shared<Duplicate>(view, view)});
}

double seconds(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

// CPU time of this thread: on a shared machine it is the honest measure (wall time includes the
// time other processes held the core).
double threadCpu() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

}  // namespace

int main(int argc, char** argv) {
  const int items = argc > 1 ? std::atoi(argv[1]) : 400;
  const uint64_t seed = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 1;
  torch::set_num_threads(1);
  torch::manual_seed(static_cast<int64_t>(seed));
  // 16 distinct HU-like patches [50,50,50] (int16 range, partly below -1024 like air outside the body).
  std::vector<at::Tensor> patches;
  for (int i = 0; i < 16; ++i) patches.push_back((torch::rand({50, 50, 50}) * 2500.0 - 1200.0).round());

  const auto stages = viewStages();
  const auto full = pipeline(stages);
  Generator gen(seed);
  for (int i = 0; i < 10; ++i) full->views(patches[i % 16], gen);  // warm-up

  // An item of pre-training = positive and negative patch, two views each.
  const auto t0 = Clock::now();
  const double c0 = threadCpu();
  int64_t views = 0;
  for (int i = 0; i < items; ++i) {
    views += static_cast<int64_t>(full->views(patches[(2 * i) % 16], gen).size());
    views += static_cast<int64_t>(full->views(patches[(2 * i + 1) % 16], gen).size());
  }
  const double total = seconds(t0, Clock::now()), cpu = threadCpu() - c0;
  std::printf(
      "pipeline: %lld views; wall %.3f s -> %.1f views/s; CPU %.3f s -> %.1f views/s, %.2f ms per view, "
      "%.2f ms per item (positive + negative, 2 views each)\n",
      static_cast<long long>(views), total, views / total, cpu, views / cpu, 1e3 * cpu / views,
      4e3 * cpu / views);

  // Per transform, on the input it sees in the pipeline ([1,50,50,50] after the crop-resize).
  struct Cost {
    std::string name;
    double whenApplied, configured;
  };
  std::vector<Cost> costs;
  const int reps = std::max(50, items / 2);
  for (size_t k = 0; k < stages.size(); ++k) {
    std::vector<at::Tensor> inputs;
    for (int i = 0; i < 16; ++i) {
      at::Tensor x = patches[i].unsqueeze(0);
      for (size_t j = 0; j < k; ++j) x = (*stages[j].always)(x, gen);
      inputs.push_back(x);
    }
    double t[2];
    for (int mode = 0; mode < 2; ++mode) {
      const Transform& tr = mode == 0 ? *stages[k].always : *stages[k].configured;
      const double a = threadCpu();
      for (int r = 0; r < reps; ++r) tr(inputs[r % 16], gen);
      t[mode] = 1e3 * (threadCpu() - a) / reps;
    }
    costs.push_back({stages[k].name, t[0], t[1]});
  }
  std::sort(costs.begin(), costs.end(),
            [](const Cost& a, const Cost& b) { return a.configured > b.configured; });
  std::printf("CPU ms per call:\n%-34s %14s %16s\n", "transform", "when fired", "as configured");
  for (const auto& c : costs)
    std::printf("%-34s %14.3f %16.3f\n", c.name.c_str(), c.whenApplied, c.configured);
  return 0;
}
