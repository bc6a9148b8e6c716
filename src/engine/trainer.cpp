// The fit loop: epochs of optimizer steps with gradient accumulation, clipping, scheduler stepping,
// validation every check_val_every_n_epoch, callbacks, logging and interruption.
#include "fmcib/engine/trainer.hpp"

#include <spdlog/spdlog.h>
#include <torch/torch.h>

#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdlib>
#include <filesystem>

#include "fmcib/data/data_loader.hpp"
#include "fmcib/data/thread_plan.hpp"
#include "fmcib/dist/communicator.hpp"
#include "fmcib/dist/grad_reducer.hpp"
#include "fmcib/dist/world.hpp"
#include "fmcib/engine/interrupt.hpp"
#include "progress_bridge.hpp"

namespace fmcib::engine {

namespace fs = std::filesystem;

int64_t BatchLimit::apply(int64_t available) const {
  if (isFraction) return static_cast<int64_t>(std::floor(fraction * static_cast<double>(available)));
  return std::min(count, available);
}

Trainer::Trainer(TrainerOptions options, std::vector<CallbackPtr> callbacks, std::vector<LoggerPtr> loggers)
    : options_(std::move(options)), callbacks_(std::move(callbacks)), loggers_(std::move(loggers)) {}

Trainer::~Trainer() = default;

System& Trainer::system() {
  if (!system_) throw RuntimeError("the trainer has no system (not inside fit/validate/test/predict)");
  return *system_;
}

bool Trainer::isGlobalZero() const {
  return dist::processCommunicator()->rank() == 0;
}

void Trainer::requestStop(const std::string& reason) {
  if (!state_.shouldStop) spdlog::info("{}", reason);
  state_.shouldStop = true;
}

void Trainer::logMetrics(std::map<std::string, double> metrics, int64_t step, bool addEpoch) {
  if (sanityChecking_) return;
  for (const auto& [k, v] : metrics) callbackMetrics_[k] = v;
  if (!isGlobalZero() || fastDevRun() || loggers_.empty()) return;
  if (addEpoch) metrics["epoch"] = static_cast<double>(state_.epoch);
  for (const auto& l : loggers_) l->logMetrics(metrics, step);
}

bool Trainer::shouldLogStep() const {
  return options_.logEveryNSteps > 0 && (state_.globalStep + 1) % options_.logEveryNSteps == 0;
}

std::string Trainer::logDir() {
  if (!loggers_.empty() && !fastDevRun()) return loggers_.front()->logDir();
  return options_.defaultRootDir;
}

std::string Trainer::interruptCheckpointPath() {
  for (const auto& cb : callbacks_)
    if (auto* provider = dynamic_cast<CheckpointDirProvider*>(cb.get())) {
      std::string p = provider->lastCheckpointPath(*this);
      if (!p.empty()) return p;
    }
  // No checkpoint callback: never replace a file this run did not write or resume from (Lightning's
  // -vN names).
  const fs::path dir = fs::path(options_.defaultRootDir) / "checkpoints";
  std::error_code ec;
  auto taken = [&](const std::string& p) {
    if (ownLastCheckpoints_.count(p) || !fs::exists(fs::symlink_status(p, ec))) return false;
    return ctx_.ckptPath.empty() || !fs::equivalent(p, ctx_.ckptPath, ec);
  };
  std::string path = (dir / "last.ckpt").string();
  for (int v = 1; taken(path); ++v) path = (dir / ("last-v" + std::to_string(v) + ".ckpt")).string();
  ownLastCheckpoints_.insert(path);
  return path;
}

void Trainer::setup(System& system, const std::string& stage, const RunContext& ctx) {
  system_ = &system;
  ctx_ = ctx;
  state_ = TrainerState{};
  state_.stage = stage;
  state_.seed = ctx.seed;
  callbackMetrics_.clear();
  batchMetrics_.clear();
  evalLogStep_ = 0;
  resumed_ = false;
  const int localRank = localRankFromEnv();
  device_ = resolveDevice(options_.accelerator, options_.devices, options_.precision, localRank);
  const int world = dist::processCommunicator()->worldSize();
  if (device_.requestedDevices * options_.numNodes > world)
    spdlog::warn("trainer asks for {} device(s) x {} node(s); this process runs as rank {} of {}",
                 device_.requestedDevices, options_.numNodes, dist::processCommunicator()->rank(), world);
  if (options_.deterministic) {
    // Lightning sets these for deterministic=True; warn_only keeps CUDA ops without a deterministic
    // kernel (3D max-pool backward) usable instead of failing the run.
    setenv("CUBLAS_WORKSPACE_CONFIG", ":4096:8", 0);
    at::globalContext().setDeterministicAlgorithms(true, /*warn_only=*/true);
    at::globalContext().setDeterministicCuDNN(true);
  }
  if (options_.benchmark) at::globalContext().setBenchmarkCuDNN(*options_.benchmark);
  if (!system.model) throw ConfigError("system#model is null: a run needs a model");
  system.model->to(device_.device);
  if (system.criterion) system.criterion->to(device_.device);
  if (device_.precision == "64-true") {
    // Lightning's precision 64: parameters, buffers and floating inputs in float64 (the tensors
    // keep their identity, so the optimizer built from the config still holds them).
    system.model->to(at::kDouble);
    if (system.criterion) system.criterion->to(at::kDouble);
  }
  setupWorld();
  {
    // Loader threads and torch's intra-op pool share this rank's cores (bench/README.md, issue 8).
    data::ThreadRequest threads;
    threads.cores = data::availableCores();
    const auto env = dist::worldFromEnvironment();
    threads.localRanks = env ? env->localWorldSize : 1;
    threads.numWorkers = system.options.numWorkers;
    threads.torchThreads = data::torchThreadsFromEnv();
    threads.gpu = device_.device.is_cuda();
    const data::ThreadPlan plan = data::planThreads(threads);
    data::applyThreadPlan(plan);
    if (isGlobalZero()) spdlog::info("{}", plan.summary(threads));
  }
  scaler_ = device_.scaleLoss ? std::make_unique<GradScaler>() : nullptr;
  if (fastDevRun())
    spdlog::info("fast_dev_run: {} batch(es) per loop, one epoch; logging and checkpointing are off",
                 options_.fastDevRun);
  progress_ = makeProgress(*this);
  spdlog::info("{}: {} on {} (precision {}, seed {})", stage, system.model->name(), device_.device.str(),
               device_.precision, state_.seed);
}

void Trainer::teardown() {
  teardownWorld();
  for (const auto& l : loggers_)
    if (isGlobalZero() && !fastDevRun()) l->flush();
  system_ = nullptr;
}

std::shared_ptr<data::DataLoader> Trainer::makeLoader(const std::string& mode, bool train) const {
  data::DatasetPtr ds = system_->dataset(mode);
  if (!ds)
    throw ConfigError("system#datasets#" + mode + " is null: '" + state_.stage + "' needs a " + mode +
                      " dataset");
  data::DataLoaderOptions o;
  o.batchSize = system_->options.batchSize;
  o.shuffle = train;
  o.dropLast = train && system_->options.dropLastBatch;
  o.numWorkers = system_->options.numWorkers;
  // Each stage draws its augmentations from its own stream.
  static const std::map<std::string, uint64_t> kStreams{
      {"train", 0}, {"val", 1}, {"test", 2}, {"predict", 3}};
  o.seed = state_.seed + 0x9E3779B97F4A7C15ULL * kStreams.at(mode);
  auto comm = dist::processCommunicator();
  auto sampler = std::make_shared<data::DistributedSampler>(ds->size(), comm->worldSize(), comm->rank(),
                                                            train, state_.seed, /*dropLast=*/false);
  return std::make_shared<data::DataLoader>(ds, o, sampler);
}

bool Trainer::valDue() const {
  if (fastDevRun()) return true;
  return options_.checkValEveryNEpoch > 0 && (state_.epoch + 1) % options_.checkValEveryNEpoch == 0;
}

int Trainer::fit(System& system, const RunContext& ctx) {
  InterruptScope signals;
  setup(system, "fit", ctx);
  if (!system.optimizer) throw ConfigError("system#optimizer is null: 'fit' needs an optimizer");
  if (!system.criterion) throw ConfigError("system#criterion is null: 'fit' needs a criterion");
  int rc = runFit();
  teardown();
  return rc;
}

int Trainer::runFit() {
  // The checkpoint first: it brings back the seed the loaders' order derives from.
  if (!ctx_.ckptPath.empty()) loadCheckpoint(ctx_.ckptPath, /*full=*/true);
  {
    std::vector<at::Tensor> params;
    for (const auto& p : system_->model->parameters())
      if (p.requires_grad()) params.push_back(p);
    reducer_ = std::make_unique<dist::GradientReducer>(
        params, dist::processCommunicator(),
        static_cast<int64_t>(options_.strategy.bucketCapMb * 1024 * 1024));
  }
  auto train = makeLoader("train", true);
  std::shared_ptr<data::DataLoader> val;
  if (system_->dataset("val")) {
    val = makeLoader("val", false);
    if (!fastDevRun() && options_.limitVal.apply(val->size()) == 0) val.reset();
  }
  if (train->size() == 0)
    throw InputError("the train dataset gives no batch (" + std::to_string(train->dataset()->size()) +
                     " rows, batch_size " + std::to_string(system_->options.batchSize) +
                     (system_->options.dropLastBatch ? ", drop_last_batch" : "") + ")");
  system_->optimizer->zeroGrad(true);
  if (val && !fastDevRun() && options_.numSanityValSteps != 0) {
    // Lightning's sanity check: a broken validation set fails now, not after an epoch of training.
    const int64_t available = options_.limitVal.apply(val->size());
    sanityChecking_ = true;
    evaluate("val", *val,
             options_.numSanityValSteps < 0 ? available : std::min(options_.numSanityValSteps, available));
    sanityChecking_ = false;
    callbackMetrics_.clear();
  }
  for (const auto& cb : callbacks_) cb->onFitStart(*this);
  if (isGlobalZero() && !fastDevRun())
    for (const auto& l : loggers_) l->logHyperparams(ctx_.configYaml);
  const int64_t maxEpochs = fastDevRun() ? 1 : options_.maxEpochs;
  const auto started = std::chrono::steady_clock::now();
  const int64_t firstStep = state_.globalStep;
  while (!state_.shouldStop) {
    if (maxEpochs >= 0 && state_.epoch >= maxEpochs) break;
    if (options_.maxSteps >= 0 && state_.globalStep >= options_.maxSteps) break;
    if (int rc = trainEpoch(*train, val.get())) return rc;
  }
  for (const auto& cb : callbacks_) cb->onFitEnd(*this);
  spdlog::info("fit finished: {} epoch(s), {} step(s)", state_.epoch, state_.globalStep);
  // Throughput over all ranks, and the share of the gradient all-reduce (bench/README.md, DDP).
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  const int64_t steps = state_.globalStep - firstStep;
  if (steps > 0 && seconds > 0) {
    const int world = dist::processCommunicator()->worldSize();
    const double samples = static_cast<double>(steps * system_->options.batchSize * world *
                                               std::max<int64_t>(1, options_.accumulateGradBatches));
    spdlog::info(
        "throughput: {:.2f} samples/s over {} rank(s) ({:.3f} s per step); gradient all-reduce "
        "{:.2f} ms per step ({:.1f}% of the time)",
        samples / seconds, world, seconds / static_cast<double>(steps),
        reducer_ && reducer_->calls() ? 1000 * reducer_->seconds() / reducer_->calls() : 0.0,
        100 * (reducer_ ? reducer_->seconds() : 0.0) / seconds);
  }
  return 0;
}

int Trainer::trainEpoch(data::DataLoader& loader, data::DataLoader* val) {
  const int64_t nBatches =
      fastDevRun() ? std::min(options_.fastDevRun, loader.size()) : options_.limitTrain.apply(loader.size());
  const int64_t accumulate = std::max<int64_t>(1, options_.accumulateGradBatches);
  state_.epochFinished = false;
  if (state_.batchesDone == 0) {
    state_.epochSums.clear();
    resetMetrics("train");
    for (const auto& cb : callbacks_) cb->onTrainEpochStart(*this);
  }
  system_->model->train();
  progressStart(progress_.get(), *this, "train", nBatches, state_.batchesDone);
  {
    auto epoch = loader.epoch(state_.epoch, std::min(state_.batchesDone, loader.size()));
    while (state_.batchesDone < nBatches) {
      std::optional<data::Batch> batch = epoch->next();
      if (!batch) break;
      for (const auto& cb : callbacks_) cb->onTrainBatchStart(*this);
      // lighter logs the optimizer's lr and momentum in the training step of batch 0.
      if (state_.batchesDone == 0) addOptimizerStats(state_.epochSums);
      StepOutput out = step(*batch, "train");
      const double lossValue = out.loss.detach().to(at::kDouble).item<double>();
      if (!std::isfinite(lossValue)) {
        throw RuntimeError("the training loss is " + std::string(std::isnan(lossValue) ? "NaN" : "infinite") +
                           " at step " + std::to_string(state_.globalStep) + " (epoch " +
                           std::to_string(state_.epoch) + ", batch " + std::to_string(state_.batchesDone) +
                           "); the run stopped and the last checkpoint written before it is kept");
      }
      at::Tensor scaled = out.loss / static_cast<double>(accumulate);
      if (scaler_) scaled = scaled * scaler_->scale();
      scaled.backward();
      ++state_.batchesDone;
      // Lightning logs the latest batch's step values at the optimizer step.
      const std::map<std::string, double> stepLogs = stepValues("train", out.loss, state_.epochSums);
      const bool boundary = state_.batchesDone % accumulate == 0 || state_.batchesDone == nBatches;
      if (!boundary) continue;
      const bool log = shouldLogStep();
      const int64_t logStep = state_.globalStep;
      optimizerStep();
      stepScheduler(SchedulerConfig::Interval::kStep);
      // The step values are rank 0's, on every rank (so callbacks decide alike).
      const std::map<std::string, double> values = rankZeroValues(stepLogs);
      if (log)
        logMetrics(values, logStep);
      else
        for (const auto& [k, v] : values) callbackMetrics_[k] = v;
      progressUpdate(progress_.get(), state_.batchesDone, {{"loss", values.at("train/loss/step")}});
      for (const auto& cb : callbacks_) cb->onTrainStepEnd(*this);
      if (int sig = agreedSignal()) return interrupted(sig);
      if (options_.maxSteps >= 0 && state_.globalStep >= options_.maxSteps) break;
    }
  }  // joins the loader's workers
  state_.epochFinished = true;
  const int64_t logStep = std::max<int64_t>(state_.globalStep - 1, 0);
  std::map<std::string, double> logs = epochMeans(state_.epochSums);
  for (const auto& [k, v] : wholeEpochMetrics("train")) logs[k] = v;
  logMetrics(logs, logStep);
  progressFinish(progress_.get(), logs);
  const bool validated = val && valDue();
  if (validated) {
    const int64_t limit =
        fastDevRun() ? std::min(options_.fastDevRun, val->size()) : options_.limitVal.apply(val->size());
    evaluate("val", *val, limit);
    system_->model->train();
  }
  // The scheduler steps before the callbacks run, so a checkpoint written by them (after
  // validation or at the epoch's end) holds the state the next epoch starts from.
  stepScheduler(SchedulerConfig::Interval::kEpoch);
  if (validated)
    for (const auto& cb : callbacks_) cb->onValidationEnd(*this);
  for (const auto& cb : callbacks_) cb->onTrainEpochEnd(*this);
  if (int sig = agreedSignal()) return interrupted(sig);
  state_.epoch += 1;
  state_.batchesDone = 0;
  state_.epochFinished = false;
  return 0;
}

void Trainer::optimizerStep() {
  optim::Optimizer& opt = *system_->optimizer;
  if (reducer_) reducer_->reduce();
  std::vector<at::Tensor> params = opt.parameters();
  bool finite = true;
  if (scaler_) finite = scaler_->unscale(params);
  if (finite && options_.gradientClipVal && *options_.gradientClipVal > 0) {
    std::vector<at::Tensor> withGrad;
    for (const auto& p : params)
      if (p.grad().defined()) withGrad.push_back(p);
    if (options_.gradientClipAlgorithm == "value")
      torch::nn::utils::clip_grad_value_(withGrad, *options_.gradientClipVal);
    else
      torch::nn::utils::clip_grad_norm_(withGrad, *options_.gradientClipVal, 2.0);
  }
  if (finite)
    opt.step();
  else
    spdlog::debug("step {}: inf/NaN gradients at loss scale {}, step skipped", state_.globalStep,
                  scaler_->scale());
  if (scaler_) scaler_->update(finite);
  opt.zeroGrad(true);
  ++state_.globalStep;
}

void Trainer::stepScheduler(SchedulerConfig::Interval at) {
  if (!system_->scheduler || !system_->scheduler->scheduler) return;
  const SchedulerConfig& s = *system_->scheduler;
  if (s.interval != at) return;
  // Lightning counts from 1: an epoch scheduler with frequency 2 steps after epochs 2, 4, ...
  const int64_t index = at == SchedulerConfig::Interval::kStep ? state_.globalStep : state_.epoch + 1;
  if (s.frequency > 0 && index % s.frequency == 0) s.scheduler->step();
}

int Trainer::interrupted(int sig) {
  const std::string path = interruptCheckpointPath();
  saveCheckpoint(path);
  spdlog::warn("{} received: stopped after step {} (epoch {}); saved {}",
               sig == SIGINT ? "SIGINT" : "SIGTERM", state_.globalStep, state_.epoch, path);
  for (const auto& l : loggers_)
    if (isGlobalZero() && !fastDevRun()) l->flush();
  return 128 + sig;
}

}  // namespace fmcib::engine
