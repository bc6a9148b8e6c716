// LighterSystem's step (lighter 0.0.2a19 `_base_step`) and the validate / test / predict loops.
#include <spdlog/spdlog.h>
#include <torch/torch.h>

#include <iomanip>
#include <iostream>
#include <sstream>

#include "fmcib/data/data_loader.hpp"
#include "fmcib/engine/interrupt.hpp"
#include "fmcib/engine/tensor_functions.hpp"
#include "fmcib/engine/trainer.hpp"
#include "progress_bridge.hpp"

namespace fmcib::engine {

namespace {

at::Tensor applyAll(const std::vector<LambdaPtr>& fns, at::Tensor x, const char* what) {
  if (fns.empty() || !x.defined()) return x;
  for (const auto& fn : fns) {
    try {
      x = applyLambda(*fn, x);
    } catch (const ConfigError& e) {
      throw ConfigError(std::string("system#postprocessing (") + what + "): " + e.what());
    }
  }
  return x;
}

bool hasAny(const StagePostprocessing& s) {
  return !s.input.empty() || !s.target.empty() || !s.pred.empty();
}

}  // namespace

Trainer::StepOutput Trainer::step(const data::Batch& batch, const std::string& mode) {
  System& sys = *system_;
  const c10::Device dev = device_.device;
  const bool float64 = device_.precision == "64-true";
  auto toDevice = [&](const at::Tensor& t) {
    return float64 && t.is_floating_point() ? t.to(dev, at::kDouble) : t.to(dev);
  };
  data::Nested input = batch.input.map(toDevice);
  data::Nested target = batch.target.map(toDevice);
  const bool train = mode == "train";
  const bool needLoss = train || mode == "val";
  StepOutput out;
  AutocastScope autocast(device_.autocastDtype);

  // SSL step: a dict of views in, a dict of embeddings out, the criterion takes them all.
  const bool views = (sys.criterion && sys.criterion->takesViews()) || input.isDict() || input.isList();
  if (views) {
    if (mode == "predict")
      throw RuntimeError("predict needs one input tensor per item, but the dataset gives " +
                         input.describe() +
                         " (set enable_negatives: false and use a transform with a single view)");
    if (hasAny(sys.postprocessing.criterion) || hasAny(sys.postprocessing.metrics))
      throw ConfigError("system#postprocessing applies to tensors; this system's batches are views " +
                        input.describe());
    if (!needLoss) return out;
    if (!sys.criterion) throw ConfigError("system#criterion is null: '" + mode + "' needs a criterion");
    losses::Embeddings emb = sys.model->forwardViews(input.toViews());
    if (!sys.criterion->takesViews())
      throw ConfigError(
          "system#criterion " + sys.criterion->name() +
          " takes (prediction, target), but the batches are views " + input.describe() +
          " (an SSL criterion such as fmcib.ssl.losses.NegativeMiningInfoNCECriterion is needed)");
    out.loss = sys.criterion->forwardViews(emb);
    return out;
  }

  // Supervised step: input → pred → post-processing → criterion → metrics.
  at::Tensor x = input.tensor();
  at::Tensor pred = sys.model->forward(x);
  at::Tensor t = target.isTensor() ? target.tensor() : at::Tensor();
  const Postprocessing& pp = sys.postprocessing;
  x = applyAll(pp.criterion.input, x, "criterion#input");
  t = applyAll(pp.criterion.target, t, "criterion#target");
  pred = applyAll(pp.criterion.pred, pred, "criterion#pred");
  if (mode == "predict") {
    out.pred = applyAll(pp.logging.pred, pred, "logging#pred");
    return out;
  }
  if (needLoss) {
    if (!sys.criterion) throw ConfigError("system#criterion is null: '" + mode + "' needs a criterion");
    if (!t.defined())
      throw ConfigError("the " + mode +
                        " dataset gives no target (set its `label` column) but the criterion " +
                        sys.criterion->name() + " needs one");
    out.loss = sys.criterion->forward(pred, t);
  }
  if (!sys.stageMetrics(mode).empty() && t.defined()) {
    x = applyAll(pp.metrics.input, x, "metrics#input");
    at::Tensor mt = applyAll(pp.metrics.target, t, "metrics#target");
    at::Tensor mp = applyAll(pp.metrics.pred, pred, "metrics#pred");
    updateMetrics(mode, mp, mt);
    out.pred = applyAll(pp.logging.pred, mp, "logging#pred");
  }
  return out;
}

void Trainer::updateMetrics(const std::string& mode, const at::Tensor& pred, const at::Tensor& target) {
  const at::Tensor localPred = pred.detach().to(at::kFloat).cpu(), localTarget = target.detach().cpu();
  // The whole-epoch value covers every rank's predictions (torchmetrics' dist_sync at compute()).
  const at::Tensor p = gatherRows(localPred), t = gatherRows(localTarget);
  for (const auto& m : system_->stageMetrics(mode)) {
    m.metric->update(p, t);
    // The step value is torchmetrics' forward(): this rank's batch alone.
    MetricPtr batchOnly = m.metric->emptyCopy();
    batchOnly->update(localPred, localTarget);
    batchMetrics_[mode + "/metrics/" + m.name + "/step"] = batchOnly->compute();
  }
}

void Trainer::resetMetrics(const std::string& mode) {
  batchMetrics_.clear();
  for (const auto& m : system_->stageMetrics(mode)) m.metric->reset();
}

std::map<std::string, double> Trainer::wholeEpochMetrics(const std::string& mode) {
  std::map<std::string, double> out;
  for (const auto& m : system_->stageMetrics(mode))
    out[mode + "/metrics/" + m.name + "/whole_epoch"] = m.metric->compute();
  return out;
}

int Trainer::evaluate(const std::string& mode, data::DataLoader& loader, int64_t limit) {
  torch::NoGradGuard noGrad;
  system_->model->eval();
  resetMetrics(mode);
  std::map<std::string, std::pair<double, double>> sums;
  {
    auto epoch = loader.epoch(state_.stage == "fit" ? state_.epoch : 0, 0);
    progressStart(progress_.get(), *this, sanityChecking_ ? "sanity check" : mode,
                  std::min(limit, epoch->size()));
    for (int64_t b = 0; b < limit; ++b) {
      std::optional<data::Batch> batch = epoch->next();
      if (!batch) break;
      StepOutput out = step(*batch, mode);
      // Lightning logs evaluation step values every batch, at its own step count, without "epoch".
      const std::map<std::string, double> values = rankZeroValues(stepValues(mode, out.loss, sums));
      if (!sanityChecking_ && !values.empty()) logMetrics(values, evalLogStep_, /*addEpoch=*/false);
      if (!sanityChecking_) ++evalLogStep_;
      progressUpdate(progress_.get(), b + 1);
      // Inside fit, validation completes so the epoch ends in a consistent state.
      if (state_.stage != "fit")
        if (int sig = agreedSignal()) return 128 + sig;
    }
  }
  std::map<std::string, double> logs = epochMeans(sums);
  for (const auto& [k, v] : wholeEpochMetrics(mode)) logs[k] = v;
  logMetrics(logs, std::max<int64_t>(state_.globalStep - 1, 0));
  progressFinish(progress_.get(), logs);
  if (state_.stage != "fit" && isGlobalZero()) {
    std::ostringstream table;
    table << (mode == "val" ? "validate" : mode) << " results:\n";
    for (const auto& [k, v] : logs) table << "  " << std::left << std::setw(40) << k << " " << v << "\n";
    std::cout << table.str() << std::flush;
  }
  return 0;
}

namespace {
int64_t evalLimit(const TrainerOptions& o, const BatchLimit& limit, int64_t available) {
  return o.fastDevRun > 0 ? std::min(o.fastDevRun, available) : limit.apply(available);
}

/// Predictions are written for a CSV's own rows only: the loader's stand-ins for unusable rows
/// (data::RowRef::standsInFor) are dropped, with their prediction rows.
void dropStandIns(data::Batch& batch, at::Tensor& pred) {
  std::vector<int64_t> keep;
  for (size_t i = 0; i < batch.rows.size(); ++i)
    if (batch.rows[i].standsInFor < 0) keep.push_back(static_cast<int64_t>(i));
  if (keep.size() == batch.rows.size()) return;
  std::vector<data::RowRef> rows;
  for (int64_t i : keep) rows.push_back(batch.rows[static_cast<size_t>(i)]);
  batch.rows = std::move(rows);
  pred = pred.index_select(0, torch::tensor(keep, torch::kLong));
}

/// validate / test / predict report what the model computes: weights a weights file was meant to
/// set but left random (heads that did not fit) would make that output meaningless. A checkpoint
/// given with --ckpt_path overwrites them, so then nothing is missing.
void requireLoadedWeights(const System& system, const RunContext& ctx, const std::string& stage) {
  if (!ctx.ckptPath.empty()) return;
  const std::vector<std::string> unloaded = system.model->unloadedWeights();
  if (unloaded.empty()) return;
  std::string keys;
  for (size_t i = 0; i < unloaded.size(); ++i) keys += (i ? "; " : "") + unloaded[i];
  throw InputError("system#model: '" + stage + "' would use random weights for " + keys +
                   " — fix system#model#weights_path or #heads, or pass --ckpt_path with trained weights");
}
}  // namespace

int Trainer::validate(System& system, const RunContext& ctx) {
  InterruptScope signals;
  setup(system, "validate", ctx);
  auto loader = makeLoader("val", false);
  if (!ctx.ckptPath.empty()) loadCheckpoint(ctx.ckptPath, /*full=*/false);
  requireLoadedWeights(system, ctx, "validate");
  int rc = evaluate("val", *loader, evalLimit(options_, options_.limitVal, loader->size()));
  teardown();
  return rc;
}

int Trainer::test(System& system, const RunContext& ctx) {
  InterruptScope signals;
  setup(system, "test", ctx);
  auto loader = makeLoader("test", false);
  if (!ctx.ckptPath.empty()) loadCheckpoint(ctx.ckptPath, /*full=*/false);
  requireLoadedWeights(system, ctx, "test");
  int rc = evaluate("test", *loader, evalLimit(options_, options_.limitTest, loader->size()));
  teardown();
  return rc;
}

int Trainer::predict(System& system, const RunContext& ctx) {
  InterruptScope signals;
  setup(system, "predict", ctx);
  auto loader = makeLoader("predict", false);
  if (!ctx.ckptPath.empty()) loadCheckpoint(ctx.ckptPath, /*full=*/false);
  requireLoadedWeights(system, ctx, "predict");
  int rc = runPredict(*loader);
  teardown();
  return rc;
}

int Trainer::runPredict(data::DataLoader& loader) {
  torch::NoGradGuard noGrad;
  system_->model->eval();
  const int64_t limit = evalLimit(options_, options_.limitPredict, loader.size());
  int64_t rows = 0;
  std::vector<bool> emitted;
  {
    auto epoch = loader.epoch(0, 0);
    progressStart(progress_.get(), *this, "predict", std::min(limit, epoch->size()));
    for (int64_t b = 0; b < limit; ++b) {
      std::optional<data::Batch> batch = epoch->next();
      if (!batch) break;
      StepOutput out = step(*batch, "predict");
      progressUpdate(progress_.get(), b + 1);
      at::Tensor pred = out.pred.detach().to(at::kFloat).cpu();
      dropStandIns(*batch, pred);
      gatherPredictions(*batch, pred, emitted);
      if (batch->size() > 0)  // under DDP, ranks other than 0 hand their rows to rank 0
        for (const auto& cb : callbacks_) cb->onPredictBatchEnd(*this, *batch, pred);
      rows += batch->size();
      if (int sig = agreedSignal()) return 128 + sig;
    }
  }
  progressFinish(progress_.get());
  for (const auto& cb : callbacks_) cb->onPredictEnd(*this);
  spdlog::info("predict: {} rows", rows);
  return 0;
}

}  // namespace fmcib::engine
