#include "fmcib/optim/scheduler.hpp"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "fmcib/config/error.hpp"

namespace fmcib::optim {

namespace {

using Dict = c10::impl::GenericDict;

Dict stringDict() {
  return Dict(c10::StringType::get(), c10::AnyType::get());
}

c10::List<double> toList(const std::vector<double>& xs) {
  c10::List<double> l;
  for (double x : xs) l.push_back(x);
  return l;
}
constexpr double kPi = 3.14159265358979323846;  // math.pi

/// Python's `a % b` for floats (the result takes the divisor's sign).
double pyMod(double a, double b) {
  double r = std::fmod(a, b);
  if (r != 0 && ((r < 0) != (b < 0))) r += b;
  return r;
}

}  // namespace

// ---- Scheduler --------------------------------------------------------------------------------

Scheduler::Scheduler(OptimizerPtr optimizer) : optimizer_(std::move(optimizer)) {
  if (!optimizer_) throw ConfigError("scheduler: optimizer is null");
}

Scheduler::Scheduler(OptimizerPtr optimizer, int64_t lastEpoch) : Scheduler(std::move(optimizer)) {
  for (size_t g = 0; g < optimizer_->numGroups(); ++g) {
    if (lastEpoch == -1) {
      if (!optimizer_->initialLr(g)) optimizer_->setInitialLr(g, optimizer_->lr(g));
    } else if (!optimizer_->initialLr(g)) {
      throw ConfigError("param 'initial_lr' is not specified in param_groups[" + std::to_string(g) +
                        "] when resuming an optimizer (last_epoch != -1)");
    }
    baseLrs_.push_back(*optimizer_->initialLr(g));
  }
  lastEpoch_ = lastEpoch;
}

void Scheduler::initialStep() {
  stepCount_ = 0;
  step();
}

std::vector<double> Scheduler::groupLrs() const {
  std::vector<double> lrs;
  for (size_t g = 0; g < optimizer_->numGroups(); ++g) lrs.push_back(optimizer_->lr(g));
  return lrs;
}

void Scheduler::applyLrs(const std::vector<double>& lrs) {
  for (size_t g = 0; g < lrs.size(); ++g) optimizer_->setLr(g, lrs[g]);
  lastLr_ = groupLrs();
}

void Scheduler::step() {
  ++stepCount_;
  ++lastEpoch_;
  applyLrs(chainedLr());
}

void Scheduler::stepTo(int64_t epoch) {
  ++stepCount_;
  lastEpoch_ = epoch;
  applyLrs(closedFormLr());
}

Dict Scheduler::state() const {
  Dict d = stringDict();
  saveFields(d);
  d.insert("base_lrs", toList(baseLrs_));
  d.insert("last_epoch", lastEpoch_);
  d.insert("_step_count", stepCount_);
  d.insert("verbose", false);
  d.insert("_get_lr_called_within_step", false);
  d.insert("_last_lr", toList(lastLr_));
  return d;
}

std::function<void()> Scheduler::prepareLoad(const Dict& state, const std::string& where) {
  const StateDict d(state, where);
  const auto groups = static_cast<int64_t>(baseLrs_.size());
  const std::vector<double> base = d.numbers("base_lrs", groups, 0.0);
  const int64_t lastEpoch = d.integer("last_epoch", -1, kMaxRestoredCount);
  const int64_t stepCount = d.integer("_step_count", 0, kMaxRestoredCount);
  const std::vector<double> lastLr = d.numbers("_last_lr", groups, 0.0);
  const std::function<void()> fields = prepareFields(d);
  return [this, base, lastEpoch, stepCount, lastLr, fields] {
    fields();
    baseLrs_ = base;
    lastEpoch_ = lastEpoch;
    stepCount_ = stepCount;
    lastLr_ = lastLr;
  };
}

// ---- CosineAnnealingLR ------------------------------------------------------------------------

CosineAnnealingLR::CosineAnnealingLR(OptimizerPtr optimizer, double tMax, double etaMin, int64_t lastEpoch)
    : Scheduler(std::move(optimizer), lastEpoch), tMax_(tMax), etaMin_(etaMin) {
  if (!(tMax_ > 0)) throw ConfigError("CosineAnnealingLR: T_max must be > 0, got " + std::to_string(tMax_));
  initialStep();
}

std::vector<double> CosineAnnealingLR::chainedLr() {
  std::vector<double> cur = groupLrs(), out;
  const double e = static_cast<double>(lastEpoch_);
  for (size_t g = 0; g < cur.size(); ++g) {
    if (lastEpoch_ == 0)
      out.push_back(cur[g]);
    else if (stepCount_ == 1 && lastEpoch_ > 0)
      out.push_back(etaMin_ + (baseLrs_[g] - etaMin_) * (1 + std::cos(e * kPi / tMax_)) / 2);
    else if (pyMod(e - 1 - tMax_, 2 * tMax_) == 0)
      out.push_back(cur[g] + (baseLrs_[g] - etaMin_) * (1 - std::cos(kPi / tMax_)) / 2);
    else
      out.push_back((1 + std::cos(kPi * e / tMax_)) / (1 + std::cos(kPi * (e - 1) / tMax_)) *
                        (cur[g] - etaMin_) +
                    etaMin_);
  }
  return out;
}

std::vector<double> CosineAnnealingLR::closedFormLr() {
  std::vector<double> out;
  for (double base : baseLrs_)
    out.push_back(etaMin_ + (base - etaMin_) * (1 + std::cos(kPi * lastEpoch_ / tMax_)) / 2);
  return out;
}

void CosineAnnealingLR::saveFields(Dict& d) const {
  d.insert("T_max", tMax_);
  d.insert("eta_min", etaMin_);
}
std::function<void()> CosineAnnealingLR::prepareFields(const StateDict& d) {
  const double tMax = d.number("T_max", std::numeric_limits<double>::min());
  const double etaMin = d.number("eta_min");
  return [this, tMax, etaMin] {
    tMax_ = tMax;
    etaMin_ = etaMin;
  };
}

// ---- StepLR -----------------------------------------------------------------------------------

StepLR::StepLR(OptimizerPtr optimizer, int64_t stepSize, double gamma, int64_t lastEpoch)
    : Scheduler(std::move(optimizer), lastEpoch), stepSize_(stepSize), gamma_(gamma) {
  if (stepSize_ < 1) throw ConfigError("StepLR: step_size must be >= 1, got " + std::to_string(stepSize_));
  initialStep();
}

std::vector<double> StepLR::chainedLr() {
  std::vector<double> lrs = groupLrs();
  if (lastEpoch_ == 0 || lastEpoch_ % stepSize_ != 0) return lrs;
  for (double& lr : lrs) lr *= gamma_;
  return lrs;
}

std::vector<double> StepLR::closedFormLr() {
  std::vector<double> out;
  for (double base : baseLrs_)
    out.push_back(base * std::pow(gamma_, static_cast<double>(lastEpoch_ / stepSize_)));
  return out;
}

void StepLR::saveFields(Dict& d) const {
  d.insert("step_size", stepSize_);
  d.insert("gamma", gamma_);
}
std::function<void()> StepLR::prepareFields(const StateDict& d) {
  const int64_t stepSize = d.integer("step_size", 1, kMaxRestoredCount);
  const double gamma = d.number("gamma");
  return [this, stepSize, gamma] {
    stepSize_ = stepSize;
    gamma_ = gamma;
  };
}

// ---- MultiStepLR ------------------------------------------------------------------------------

MultiStepLR::MultiStepLR(OptimizerPtr optimizer, std::vector<int64_t> milestones, double gamma,
                         int64_t lastEpoch)
    : Scheduler(std::move(optimizer), lastEpoch), milestones_(std::move(milestones)), gamma_(gamma) {
  std::sort(milestones_.begin(), milestones_.end());
  initialStep();
}

std::vector<double> MultiStepLR::chainedLr() {
  std::vector<double> lrs = groupLrs();
  const auto count = std::count(milestones_.begin(), milestones_.end(), lastEpoch_);
  if (count == 0) return lrs;
  for (double& lr : lrs) lr *= std::pow(gamma_, static_cast<double>(count));
  return lrs;
}

std::vector<double> MultiStepLR::closedFormLr() {
  // bisect_right(sorted milestones, last_epoch)
  const auto passed =
      std::upper_bound(milestones_.begin(), milestones_.end(), lastEpoch_) - milestones_.begin();
  std::vector<double> out;
  for (double base : baseLrs_) out.push_back(base * std::pow(gamma_, static_cast<double>(passed)));
  return out;
}

void MultiStepLR::saveFields(Dict& d) const {
  // PyTorch keeps a Counter {milestone: count}.
  c10::Dict<int64_t, int64_t> counter;
  for (int64_t m : milestones_) counter.insert_or_assign(m, counter.contains(m) ? counter.at(m) + 1 : 1);
  d.insert("milestones", counter);
  d.insert("gamma", gamma_);
}
std::function<void()> MultiStepLR::prepareFields(const StateDict& d) {
  const StateDict counter = d.dict("milestones");
  // A Counter {milestone: count}; the total bounds the list it expands to.
  constexpr int64_t kMaxMilestones = 100000;
  std::vector<int64_t> milestones;
  for (const auto& kv : counter.raw()) {
    const int64_t m = stateInteger(kv.key(), counter.path() + " key", 0, kMaxRestoredCount);
    const std::string what = counter.keyPath(std::to_string(m));
    const int64_t n = stateInteger(kv.value(), what, 0, kMaxMilestones);
    if (static_cast<int64_t>(milestones.size()) + n > kMaxMilestones)
      throw InputError(counter.path() + ": more than " + std::to_string(kMaxMilestones) + " milestones");
    milestones.insert(milestones.end(), static_cast<size_t>(n), m);
  }
  std::sort(milestones.begin(), milestones.end());
  const double gamma = d.number("gamma");
  return [this, milestones, gamma] {
    milestones_ = milestones;
    gamma_ = gamma;
  };
}

// ---- LinearLR ---------------------------------------------------------------------------------

LinearLR::LinearLR(OptimizerPtr optimizer, double startFactor, double endFactor, int64_t totalIters,
                   int64_t lastEpoch)
    : Scheduler(std::move(optimizer), lastEpoch),
      startFactor_(startFactor),
      endFactor_(endFactor),
      totalIters_(totalIters) {
  if (startFactor_ > 1.0 || startFactor_ < 0)
    throw ConfigError("LinearLR: starting multiplicative factor expected to be between 0 and 1");
  if (endFactor_ > 1.0 || endFactor_ < 0)
    throw ConfigError("LinearLR: ending multiplicative factor expected to be between 0 and 1");
  if (totalIters_ < 1) throw ConfigError("LinearLR: total_iters must be >= 1");
  initialStep();
}

std::vector<double> LinearLR::chainedLr() {
  std::vector<double> lrs = groupLrs();
  if (lastEpoch_ == 0) {
    for (double& lr : lrs) lr *= startFactor_;
    return lrs;
  }
  if (lastEpoch_ > totalIters_) return lrs;
  const double factor = 1.0 + (endFactor_ - startFactor_) / (totalIters_ * startFactor_ +
                                                             (lastEpoch_ - 1) * (endFactor_ - startFactor_));
  for (double& lr : lrs) lr *= factor;
  return lrs;
}

std::vector<double> LinearLR::closedFormLr() {
  std::vector<double> out;
  const double progress = static_cast<double>(std::min(totalIters_, lastEpoch_)) / totalIters_;
  for (double base : baseLrs_) out.push_back(base * (startFactor_ + (endFactor_ - startFactor_) * progress));
  return out;
}

void LinearLR::saveFields(Dict& d) const {
  d.insert("start_factor", startFactor_);
  d.insert("end_factor", endFactor_);
  d.insert("total_iters", totalIters_);
}
std::function<void()> LinearLR::prepareFields(const StateDict& d) {
  const double start = d.number("start_factor", 0.0, 1.0);
  const double end = d.number("end_factor", 0.0, 1.0);
  const int64_t total = d.integer("total_iters", 1, kMaxRestoredCount);
  return [this, start, end, total] {
    startFactor_ = start;
    endFactor_ = end;
    totalIters_ = total;
  };
}

// ---- SequentialLR -----------------------------------------------------------------------------

SequentialLR::SequentialLR(OptimizerPtr optimizer, std::vector<SchedulerPtr> schedulers,
                           std::vector<int64_t> milestones, int64_t lastEpoch)
    : Scheduler(std::move(optimizer)),
      schedulers_(std::move(schedulers)),
      milestones_(std::move(milestones)) {
  if (schedulers_.empty()) throw ConfigError("SequentialLR: needs at least one scheduler");
  for (size_t i = 0; i < schedulers_.size(); ++i) {
    if (!schedulers_[i]) throw ConfigError("SequentialLR: scheduler " + std::to_string(i) + " is null");
    if (schedulers_[i]->optimizer() != optimizer_)
      throw ConfigError(
          "SequentialLR: expects all schedulers to belong to the same optimizer, but scheduler " +
          std::to_string(i) + " has another");
  }
  if (milestones_.size() != schedulers_.size() - 1)
    throw ConfigError("SequentialLR: expects one more scheduler than milestones, got " +
                      std::to_string(schedulers_.size()) + " schedulers and " +
                      std::to_string(milestones_.size()) + " milestones");
  lastEpoch_ = lastEpoch + 1;
  // As PyTorch 1.13: reset the lrs, undo the initial step every scheduler made, and redo it for
  // the first one only.
  for (size_t g = 0; g < optimizer_->numGroups(); ++g) optimizer_->setLr(g, *optimizer_->initialLr(g));
  for (auto& s : schedulers_) s->lastEpoch_ -= 1;
  schedulers_[0]->initialStep();
  lastLr_ = schedulers_[0]->lastLr();
}

void SequentialLR::step() {
  ++lastEpoch_;
  const size_t idx =
      std::upper_bound(milestones_.begin(), milestones_.end(), lastEpoch_) - milestones_.begin();
  Scheduler& s = *schedulers_[idx];
  if (idx > 0 && milestones_[idx - 1] == lastEpoch_)
    s.stepTo(0);
  else
    s.step();
  lastLr_ = s.lastLr();
}

Dict SequentialLR::state() const {
  Dict d = stringDict();
  c10::List<int64_t> ms;
  for (int64_t m : milestones_) ms.push_back(m);
  d.insert("_milestones", ms);
  d.insert("last_epoch", lastEpoch_);
  d.insert("_last_lr", toList(lastLr_));
  c10::impl::GenericList children(c10::AnyType::get());
  for (const auto& s : schedulers_) children.push_back(s->state());
  d.insert("_schedulers", children);
  return d;
}

std::function<void()> SequentialLR::prepareLoad(const Dict& state, const std::string& where) {
  const StateDict d(state, where);
  const std::vector<c10::IValue> children = d.list("_schedulers");
  if (children.size() != schedulers_.size())
    throw InputError(d.keyPath("_schedulers") + ": " + std::to_string(children.size()) +
                     " schedulers, this SequentialLR has " + std::to_string(schedulers_.size()));
  std::vector<std::function<void()>> loads;
  for (size_t i = 0; i < schedulers_.size(); ++i) {
    const std::string what = d.keyPath("_schedulers[" + std::to_string(i) + "]");
    const StateDict child(children[i], what);
    loads.push_back(schedulers_[i]->prepareLoad(child.raw(), what));
  }
  const std::vector<c10::IValue> ms = d.list("_milestones");
  if (ms.size() != milestones_.size())
    throw InputError(d.keyPath("_milestones") + ": " + std::to_string(ms.size()) + " milestones, expected " +
                     std::to_string(milestones_.size()));
  std::vector<int64_t> milestones;
  for (size_t i = 0; i < ms.size(); ++i) {
    const std::string what = d.keyPath("_milestones[" + std::to_string(i) + "]");
    milestones.push_back(
        stateInteger(ms[i], what, milestones.empty() ? 0 : milestones.back(), kMaxRestoredCount));
  }
  const int64_t lastEpoch = d.integer("last_epoch", 0, kMaxRestoredCount);
  const std::vector<double> lastLr =
      d.numbers("_last_lr", static_cast<int64_t>(optimizer_->numGroups()), 0.0);
  return [this, loads, milestones, lastEpoch, lastLr] {
    for (const auto& load : loads) load();
    milestones_ = milestones;
    lastEpoch_ = lastEpoch;
    lastLr_ = lastLr;
  };
}

}  // namespace fmcib::optim
