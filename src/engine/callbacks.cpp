// LearningRateMonitor and EarlyStopping (Lightning 2.0 semantics).
#include <spdlog/spdlog.h>

#include <cmath>
#include <limits>

#include "fmcib/engine/callbacks.hpp"
#include "fmcib/engine/trainer.hpp"
#include "fmcib/io/torch_file.hpp"
#include "fmcib/optim/state_fields.hpp"

namespace fmcib::engine {

c10::impl::GenericDict Callback::state() const {
  return io::makeStringDict();
}

std::function<void()> Callback::prepareLoad(const c10::impl::GenericDict&, const std::string&) {
  return [] {};
}

// ---- LearningRateMonitor ----------------------------------------------------------------------

LearningRateMonitor::LearningRateMonitor(std::string loggingInterval)
    : interval_(std::move(loggingInterval)) {
  if (!interval_.empty() && interval_ != "step" && interval_ != "epoch")
    throw ConfigError("LearningRateMonitor: logging_interval must be 'step', 'epoch' or null, got '" +
                      interval_ + "'");
}

void LearningRateMonitor::onFitStart(Trainer& trainer) {
  if (trainer.loggers().empty() && !trainer.fastDevRun())
    throw ConfigError("LearningRateMonitor needs a logger, but trainer#logger is false");
}

std::map<std::string, double> LearningRateMonitor::stats(Trainer& trainer,
                                                         const std::string& interval) const {
  std::map<std::string, double> out;
  System& sys = trainer.system();
  if (!sys.optimizer) return out;
  const bool hasScheduler = sys.scheduler && sys.scheduler->scheduler;
  if (hasScheduler) {
    const std::string own = sys.scheduler->interval == SchedulerConfig::Interval::kStep ? "step" : "epoch";
    if (interval != own && interval != "any") return out;
  }
  // "torch.optim.Adam" → "lr-Adam", as Lightning names it by the optimizer's class.
  std::string cls = sys.optimizer->name();
  cls = cls.substr(cls.rfind('.') + 1);
  const size_t groups = sys.optimizer->numGroups();
  for (size_t g = 0; g < groups; ++g) {
    std::string key = "lr-" + cls;
    if (groups > 1) key += "/pg" + std::to_string(g + 1);
    out[key] = sys.optimizer->lr(g);
  }
  return out;
}

void LearningRateMonitor::onTrainBatchStart(Trainer& trainer) {
  if (interval_ == "epoch" || !trainer.shouldLogStep()) return;
  auto s = stats(trainer, interval_.empty() ? "step" : "any");
  if (!s.empty()) trainer.logMetrics(s, trainer.state().globalStep);
}

void LearningRateMonitor::onTrainEpochStart(Trainer& trainer) {
  if (interval_ == "step") return;
  auto s = stats(trainer, interval_.empty() ? "epoch" : "any");
  if (!s.empty()) trainer.logMetrics(s, trainer.state().globalStep);
}

// ---- EarlyStopping ----------------------------------------------------------------------------

EarlyStopping::EarlyStopping(EarlyStoppingOptions options) : options_(std::move(options)) {
  if (options_.mode != "min" && options_.mode != "max")
    throw ConfigError("EarlyStopping: mode must be 'min' or 'max', got '" + options_.mode + "'");
  if (options_.monitor.empty()) throw ConfigError("EarlyStopping: monitor is required");
  bestScore_ = options_.mode == "min" ? std::numeric_limits<double>::infinity()
                                      : -std::numeric_limits<double>::infinity();
}

std::string EarlyStopping::stateKey() const {
  return "EarlyStopping{'monitor': '" + options_.monitor + "', 'mode': '" + options_.mode + "'}";
}

void EarlyStopping::onFitStart(Trainer& trainer) {
  onTrainEnd_ = options_.checkOnTrainEpochEnd ? *options_.checkOnTrainEpochEnd
                                              : trainer.options().checkValEveryNEpoch == 1;
}

void EarlyStopping::onValidationEnd(Trainer& trainer) {
  if (!onTrainEnd_) check(trainer);
}

void EarlyStopping::onTrainEpochEnd(Trainer& trainer) {
  if (onTrainEnd_) check(trainer);
}

void EarlyStopping::check(Trainer& trainer) {
  if (trainer.fastDevRun()) return;
  const auto& metrics = trainer.callbackMetrics();
  auto it = metrics.find(options_.monitor);
  if (it == metrics.end()) {
    std::string keys;
    for (const auto& [k, v] : metrics) keys += (keys.empty() ? "" : "`, `") + k;
    const std::string msg = "Early stopping conditioned on metric `" + options_.monitor +
                            "` which is not available. Available metrics are: `" + keys + "`";
    if (options_.strict) throw ConfigError(msg);
    spdlog::warn("{}", msg);
    return;
  }
  const double current = it->second;
  const int64_t epoch = trainer.state().epoch;
  if (options_.checkFinite && !std::isfinite(current)) {
    stoppedEpoch_ = epoch;
    trainer.requestStop("EarlyStopping: monitored metric " + options_.monitor + " = " +
                        std::to_string(current) + " is not finite; stopping");
    return;
  }
  const double delta = std::abs(options_.minDelta);
  const bool improved = options_.mode == "min" ? current + delta < bestScore_ : current - delta > bestScore_;
  if (improved) {
    if (options_.verbose) spdlog::info("EarlyStopping: {} improved to {:.6f}", options_.monitor, current);
    bestScore_ = current;
    waitCount_ = 0;
    return;
  }
  ++waitCount_;
  if (waitCount_ >= options_.patience) {
    stoppedEpoch_ = epoch;
    trainer.requestStop("EarlyStopping: " + options_.monitor + " did not improve in the last " +
                        std::to_string(waitCount_) + " checks; best score " + std::to_string(bestScore_));
  }
}

c10::impl::GenericDict EarlyStopping::state() const {
  c10::impl::GenericDict d = io::makeStringDict();
  d.insert("wait_count", waitCount_);
  d.insert("stopped_epoch", stoppedEpoch_);
  d.insert("best_score", bestScore_);
  d.insert("patience", options_.patience);
  return d;
}

std::function<void()> EarlyStopping::prepareLoad(const c10::impl::GenericDict& state,
                                                 const std::string& where) {
  const optim::StateDict d(state, where);
  int64_t wait = waitCount_, stopped = stoppedEpoch_;
  double best = bestScore_;
  if (d.has("wait_count")) wait = d.integer("wait_count", 0, optim::kMaxRestoredCount);
  if (d.has("stopped_epoch")) stopped = d.integer("stopped_epoch", 0, optim::kMaxRestoredCount);
  // Lightning stores a tensor; its initial value is ±inf.
  if (d.has("best_score")) best = d.number("best_score", -optim::kInf, optim::kInf, /*allowInfinite=*/true);
  return [this, wait, stopped, best] {
    waitCount_ = wait;
    stoppedEpoch_ = stopped;
    bestScore_ = best;
  };
}

}  // namespace fmcib::engine
