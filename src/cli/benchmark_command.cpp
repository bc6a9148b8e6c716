// benchmark: runs a config's data path (and with --model the training step) for a few batches and
// prints items/s, the time per stage (read, resample, crop, augment, collate, step), the time the
// step waited for data, and the peak RSS — what to run on one's own data before a long job.
//
// Threads follow data::planThreads (as training does): system#num_workers loader threads (or
// --num_workers), the rest of the cores for torch's intra-op pool (or --torch_threads). Several
// epochs (--epochs) show the scan cache at work: the first fills cache_dir, later ones read it.
#include <spdlog/spdlog.h>
#include <sys/resource.h>
#include <torch/torch.h>

#include <chrono>
#include <cstdio>
#include <iostream>
#include <memory>

#include "command.hpp"
#include "config_options.hpp"
#include "fmcib/data/data_loader.hpp"
#include "fmcib/data/ssl_radiomics_dataset.hpp"
#include "fmcib/data/stage_timer.hpp"
#include "fmcib/data/thread_plan.hpp"
#include "fmcib/engine/accelerator.hpp"
#include "fmcib/engine/system.hpp"
#include "targets.hpp"

namespace fmcib::cli {

namespace {

struct BenchmarkOptions {
  ConfigOptions config;
  std::string dataset = "train";
  int64_t steps = 20;
  int64_t epochs = 1;
  bool model = false;
  int64_t numWorkers = -2;   // -2: the config's system#num_workers; -1: automatic
  int64_t torchThreads = 0;  // 0: automatic
};

using Clock = std::chrono::steady_clock;

double seconds(Clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

double peakRssMiB() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_maxrss) / 1024.0;  // ru_maxrss is in KiB on Linux
}

int64_t intAt(const config::Config& cfg, const std::string& path, int64_t fallback) {
  if (!cfg.contains(path)) return fallback;
  const config::Value v = cfg.resolve(path);
  return v.isInt() ? v.asInt() : fallback;
}

// One training step as the trainer's (forward, criterion, backward, optimizer step).
void trainStep(engine::System& sys, const data::Batch& batch, const engine::DeviceChoice& device) {
  auto toDevice = [&](const at::Tensor& t) { return t.to(device.device); };
  const data::Nested input = batch.input.map(toDevice);
  const data::Nested target = batch.target.map(toDevice);
  torch::Tensor loss;
  {
    engine::AutocastScope autocast(device.autocastDtype);
    if (input.isDict() || input.isList() || sys.criterion->takesViews()) {
      loss = sys.criterion->forwardViews(sys.model->forwardViews(input.toViews()));
    } else {
      if (!target.isTensor()) throw ConfigError("--model: the dataset gives no target for the criterion");
      loss = sys.criterion->forward(sys.model->forward(input.tensor()), target.tensor());
    }
  }
  loss.backward();
  sys.optimizer->step();
  sys.optimizer->zeroGrad(true);
  if (device.device.is_cuda()) torch::cuda::synchronize();
}

void printStages(const data::StageTotals& t, int64_t items, double stepSeconds, int64_t steps) {
  std::printf("  %-9s %10s %10s %8s %14s\n", "stage", "cpu s", "wall s", "calls", "cpu ms/item");
  for (int s = 0; s < data::kNumStages; ++s)
    std::printf("  %-9s %10.3f %10.3f %8lld %14.2f\n", data::stageName(static_cast<data::Stage>(s)),
                t.cpuSeconds[s], t.wallSeconds[s], static_cast<long long>(t.calls[s]),
                items > 0 ? 1000.0 * t.cpuSeconds[s] / static_cast<double>(items) : 0.0);
  if (steps > 0)
    std::printf("  %-9s %10s %10.3f %8lld %14.2f (wall ms/item)\n", "step", "-", stepSeconds,
                static_cast<long long>(steps), 1000.0 * stepSeconds / static_cast<double>(items));
}

void benchmark(const BenchmarkOptions& o, GlobalOptions& global) {
  const std::optional<config::Config> loaded = loadConfigOrPrint(o.config, global);
  if (!loaded) return;
  const config::Config& cfg = *loaded;
  if (o.steps < 1) throw ConfigError("--steps must be ≥ 1, got " + std::to_string(o.steps));
  if (o.epochs < 1) throw ConfigError("--epochs must be ≥ 1, got " + std::to_string(o.epochs));
  const std::string path = "system#datasets#" + o.dataset;
  if (!cfg.contains(path)) throw ConfigError("the config has no dataset at " + path);

  engine::SystemPtr sys;
  data::DatasetPtr dataset;
  engine::DeviceChoice device;
  if (o.model) {
    const config::Value v = cfg.resolve("system");
    if (!v.holds<engine::System>())
      throw ConfigError("system is " + v.kindName() + ", not a lighter.LighterSystem");
    sys = v.as<engine::System>();
    dataset = sys->dataset(o.dataset);
    if (!sys->criterion || !sys->optimizer)
      throw ConfigError("--model needs system#criterion and system#optimizer");
    const std::string accelerator =
        cfg.contains("trainer#accelerator") && cfg.resolve("trainer#accelerator").isString()
            ? cfg.resolve("trainer#accelerator").asString()
            : "auto";
    device = engine::resolveDevice(
        accelerator, config::Value(int64_t{1}),
        cfg.contains("trainer#precision") ? cfg.resolve("trainer#precision") : config::Value(int64_t{32}), 0);
    sys->model->to(device.device);
    sys->model->train();
    // cudnn.benchmark as the trainer sets it, so the step runs the convolution algorithms a fit uses.
    if (cfg.contains("trainer#benchmark")) {
      const config::Value b = cfg.resolve("trainer#benchmark");
      if (b.isBool()) at::globalContext().setBenchmarkCuDNN(b.asBool());
    }
  } else {
    const config::Value v = cfg.resolve(path);
    if (!v.holds<data::Dataset>()) throw ConfigError(path + " is " + v.kindName() + ", not a dataset");
    dataset = v.as<data::Dataset>();
  }
  if (!dataset) throw ConfigError(path + " is null");

  data::ThreadRequest request;
  request.cores = data::availableCores();
  request.localRanks = std::max<int64_t>(1, intAt(cfg, "trainer#devices", 1));
  request.numWorkers = o.numWorkers >= -1 ? o.numWorkers : intAt(cfg, "system#num_workers", -1);
  request.torchThreads = o.torchThreads > 0 ? o.torchThreads : data::torchThreadsFromEnv();
  request.gpu = device.device.is_cuda();
  const data::ThreadPlan plan = data::planThreads(request);
  data::applyThreadPlan(plan);
  spdlog::info("{}", plan.summary(request));

  data::DataLoaderOptions lo;
  lo.batchSize = intAt(cfg, "system#batch_size", 1);
  lo.shuffle = true;
  lo.dropLast = true;
  lo.numWorkers = plan.loaderThreads;
  lo.seed = o.config.seed >= 0 ? static_cast<uint64_t>(o.config.seed) : 0;
  data::DataLoader loader(dataset, lo);
  if (loader.size() == 0)
    throw InputError(path + " gives no full batch of " + std::to_string(lo.batchSize) + " (" +
                     std::to_string(dataset->size()) + " rows)");
  const int64_t steps = std::min(o.steps, loader.size());
  std::printf("benchmark %s: %lld rows, batch %lld, %lld batches per epoch, %lld epoch(s); %s%s\n",
              path.c_str(), static_cast<long long>(dataset->size()), static_cast<long long>(lo.batchSize),
              static_cast<long long>(steps), static_cast<long long>(o.epochs), plan.summary(request).c_str(),
              o.model ? (", model step on " + device.device.str()).c_str() : "");

  data::enableStageTiming(true);
  for (int64_t e = 0; e < o.epochs; ++e) {
    data::resetStageTotals();
    int64_t items = 0, batches = 0;
    double waitSeconds = 0, stepSeconds = 0;
    const Clock::time_point start = Clock::now();
    {
      auto epoch = loader.epoch(e);
      for (; batches < steps; ++batches) {
        const Clock::time_point t0 = Clock::now();
        std::optional<data::Batch> batch = epoch->next();
        waitSeconds += seconds(Clock::now() - t0);
        if (!batch) break;
        items += batch->size();
        if (sys) {
          const Clock::time_point t1 = Clock::now();
          trainStep(*sys, *batch, device);
          stepSeconds += seconds(Clock::now() - t1);
        }
      }
    }  // joins the loader threads (work they prefetched beyond `steps` is counted in the stages)
    const double wall = seconds(Clock::now() - start);
    std::printf("epoch %lld: %lld items in %.2f s = %.2f items/s; waited %.2f s for data (%.0f%%)\n",
                static_cast<long long>(e), static_cast<long long>(items), wall,
                static_cast<double>(items) / wall, waitSeconds, 100.0 * waitSeconds / wall);
    printStages(data::stageTotals(), items, stepSeconds, sys ? batches : 0);
  }
  data::enableStageTiming(false);
  if (auto ssl = std::dynamic_pointer_cast<const data::SSLRadiomicsDataset>(dataset); ssl && ssl->cache()) {
    const data::ScanCacheStats s = ssl->cache()->stats();
    std::printf(
        "scan cache: %lld decoded, %lld written, %lld from cache files, %lld from memory, %lld rebuilt\n",
        static_cast<long long>(s.decodes), static_cast<long long>(s.writes),
        static_cast<long long>(s.fileHits), static_cast<long long>(s.memoryHits),
        static_cast<long long>(s.rebuilds));
  }
  std::printf("peak RSS: %.1f MiB\n", peakRssMiB());
}

}  // namespace

void installBenchmarkCommand(CLI::App& app, GlobalOptions& global) {
  CLI::App* sub = app.add_subcommand(
      "benchmark", "time a config's data path (and --model's training step): items/s, stages, peak RSS");
  auto opts = std::make_shared<BenchmarkOptions>();
  addConfigOptions(*sub, opts->config, global);
  sub->add_option("--dataset", opts->dataset, "which system#datasets entry")->capture_default_str();
  sub->add_option("--steps", opts->steps, "batches per epoch")->capture_default_str();
  sub->add_option("--epochs", opts->epochs, "passes (a second one reads the scan cache)")
      ->capture_default_str();
  sub->add_flag("--model", opts->model, "also run the training step (forward, backward, optimizer)");
  sub->add_option("--num_workers", opts->numWorkers,
                  "loader threads (-1: automatic; default: system#num_workers)");
  sub->add_option("--torch_threads", opts->torchThreads,
                  "torch intra-op threads (default: OMP_NUM_THREADS, else the cores left)");
  sub->callback([opts, sub, &global] {
    opts->config.overrides = parseOverrides(sub->remaining());
    benchmark(*opts, global);
  });
}

}  // namespace fmcib::cli
