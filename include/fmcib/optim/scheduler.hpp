#pragma once
/// Learning-rate schedulers with PyTorch 1.13's semantics (torch.optim.lr_scheduler): the
/// constructor sets each group's "initial_lr" (if unset), takes base_lrs from it and performs the
/// initial step (last_epoch −1 → 0); step() advances last_epoch and applies the chainable form
/// (get_lr), which reads the optimizer's current lr; SequentialLR restarts a scheduler at a
/// milestone with its closed form at epoch 0. Stored as `config::Value::object<optim::Scheduler>`.
///
/// state() is PyTorch's scheduler.state_dict() (the scheduler's attributes without the optimizer),
/// e.g. {"T_max", "eta_min", "base_lrs", "last_epoch", "_step_count", "verbose",
/// "_get_lr_called_within_step", "_last_lr"}; SequentialLR nests its schedulers' states.
#include <ATen/core/Dict.h>
#include <ATen/core/ivalue.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "fmcib/optim/optimizer.hpp"
#include "fmcib/optim/state_fields.hpp"

namespace fmcib::optim {

class Scheduler {
 public:
  virtual ~Scheduler() = default;
  virtual std::string name() const = 0;
  /// PyTorch's `scheduler.step()` (once per epoch or per step, as the trainer's interval says).
  virtual void step();
  /// The lrs the last step set (get_last_lr()).
  const std::vector<double>& lastLr() const { return lastLr_; }
  int64_t lastEpoch() const { return lastEpoch_; }
  const std::vector<double>& baseLrs() const { return baseLrs_; }
  const OptimizerPtr& optimizer() const { return optimizer_; }

  virtual c10::impl::GenericDict state() const;
  /// Checks a state() dict completely (group count, every field's type and range) without changing
  /// anything and returns what applies it, which cannot fail. InputError names the key below
  /// `where` ("lr_schedulers[0].last_epoch"), e.g. for another scheduler's state.
  virtual std::function<void()> prepareLoad(const c10::impl::GenericDict& state,
                                            const std::string& where = "scheduler state");
  /// Restores what state() returned: prepareLoad, then apply.
  void loadState(const c10::impl::GenericDict& state) { prepareLoad(state)(); }

 protected:
  /// Sets initial_lr / base_lrs (ConfigError when lastEpoch ≠ −1 and a group has no initial_lr).
  /// Derived constructors end with initialStep().
  Scheduler(OptimizerPtr optimizer, int64_t lastEpoch);
  /// For SequentialLR, which has no base_lrs of its own.
  explicit Scheduler(OptimizerPtr optimizer);
  void initialStep();
  /// step(epoch): the closed form at `epoch` (PyTorch's deprecated epoch argument).
  void stepTo(int64_t epoch);
  /// get_lr(): the chainable form.
  virtual std::vector<double> chainedLr() = 0;
  /// _get_closed_form_lr(); defaults to chainedLr() as PyTorch does when a class has none.
  virtual std::vector<double> closedFormLr() { return chainedLr(); }
  /// The subclass's hyper-parameters for state() / loadState(): prepareFields checks them and
  /// returns what sets them.
  virtual void saveFields(c10::impl::GenericDict& d) const = 0;
  virtual std::function<void()> prepareFields(const StateDict& d) = 0;
  std::vector<double> groupLrs() const;
  void applyLrs(const std::vector<double>& lrs);

  OptimizerPtr optimizer_;
  std::vector<double> baseLrs_;
  int64_t lastEpoch_ = -1;
  int64_t stepCount_ = 0;
  std::vector<double> lastLr_;

  friend class SequentialLR;
};

using SchedulerPtr = std::shared_ptr<Scheduler>;

class CosineAnnealingLR final : public Scheduler {
 public:
  CosineAnnealingLR(OptimizerPtr optimizer, double tMax, double etaMin = 0.0, int64_t lastEpoch = -1);
  std::string name() const override { return "torch.optim.lr_scheduler.CosineAnnealingLR"; }

 protected:
  std::vector<double> chainedLr() override;
  std::vector<double> closedFormLr() override;
  void saveFields(c10::impl::GenericDict& d) const override;
  std::function<void()> prepareFields(const StateDict& d) override;

 private:
  double tMax_, etaMin_;
};

class StepLR final : public Scheduler {
 public:
  StepLR(OptimizerPtr optimizer, int64_t stepSize, double gamma = 0.1, int64_t lastEpoch = -1);
  std::string name() const override { return "torch.optim.lr_scheduler.StepLR"; }

 protected:
  std::vector<double> chainedLr() override;
  std::vector<double> closedFormLr() override;
  void saveFields(c10::impl::GenericDict& d) const override;
  std::function<void()> prepareFields(const StateDict& d) override;

 private:
  int64_t stepSize_;
  double gamma_;
};

class MultiStepLR final : public Scheduler {
 public:
  /// Milestones may repeat (a Counter in PyTorch: the decay applies once per occurrence).
  MultiStepLR(OptimizerPtr optimizer, std::vector<int64_t> milestones, double gamma = 0.1,
              int64_t lastEpoch = -1);
  std::string name() const override { return "torch.optim.lr_scheduler.MultiStepLR"; }

 protected:
  std::vector<double> chainedLr() override;
  std::vector<double> closedFormLr() override;
  void saveFields(c10::impl::GenericDict& d) const override;
  std::function<void()> prepareFields(const StateDict& d) override;

 private:
  std::vector<int64_t> milestones_;  // sorted, with repeats
  double gamma_;
};

class LinearLR final : public Scheduler {
 public:
  /// ConfigError unless 0 ≤ factors ≤ 1 (PyTorch: start_factor > 0 is not checked, 0 is allowed).
  LinearLR(OptimizerPtr optimizer, double startFactor = 1.0 / 3, double endFactor = 1.0,
           int64_t totalIters = 5, int64_t lastEpoch = -1);
  std::string name() const override { return "torch.optim.lr_scheduler.LinearLR"; }

 protected:
  std::vector<double> chainedLr() override;
  std::vector<double> closedFormLr() override;
  void saveFields(c10::impl::GenericDict& d) const override;
  std::function<void()> prepareFields(const StateDict& d) override;

 private:
  double startFactor_, endFactor_;
  int64_t totalIters_;
};

class SequentialLR final : public Scheduler {
 public:
  /// All schedulers must be built on `optimizer`; milestones.size() == schedulers.size() − 1.
  SequentialLR(OptimizerPtr optimizer, std::vector<SchedulerPtr> schedulers, std::vector<int64_t> milestones,
               int64_t lastEpoch = -1);
  std::string name() const override { return "torch.optim.lr_scheduler.SequentialLR"; }
  void step() override;
  c10::impl::GenericDict state() const override;
  std::function<void()> prepareLoad(const c10::impl::GenericDict& state, const std::string& where) override;

 protected:
  std::vector<double> chainedLr() override { return groupLrs(); }
  void saveFields(c10::impl::GenericDict&) const override {}
  std::function<void()> prepareFields(const StateDict&) override {
    return [] {};
  }

 private:
  std::vector<SchedulerPtr> schedulers_;
  std::vector<int64_t> milestones_;
};

}  // namespace fmcib::optim
