#pragma once
/// Optimizers (DESIGN §6): fmcib's LARS and torch.optim.{SGD, Adam, AdamW}, behind one interface
/// the trainer and the schedulers use. Stored in configs as `config::Value::object<optim::Optimizer>`.
///
/// State save/restore uses PyTorch's `optimizer.state_dict()` layout as a plain IValue tree that
/// io::writeTorchFile can write into a checkpoint:
///   {"state": {<int index>: {"momentum_buffer": T} | {"step": T, "exp_avg": T, "exp_avg_sq": T, ...}},
///    "param_groups": [{"lr": f, ..., "initial_lr": f (once a scheduler set it), "params": [indices]}]}
/// Parameters are indexed in group order, as PyTorch does.
#include <ATen/Tensor.h>
#include <ATen/core/Dict.h>
#include <ATen/core/ivalue.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace fmcib::optim {

/// One parameter group: its tensors and the hyper-parameters it overrides, by PyTorch name
/// ("lr", "weight_decay", "momentum", "dampening", "nesterov" (0/1), "eps", "amsgrad" (0/1),
/// "trust_coefficient"). Unknown names for the optimizer are a ConfigError.
struct ParamGroup {
  std::vector<at::Tensor> params;
  std::map<std::string, double> overrides;
};

class Optimizer {
 public:
  virtual ~Optimizer() = default;
  /// The registered name, e.g. "fmcib.optimizers.LARS".
  virtual std::string name() const = 0;
  /// One update from the current gradients (parameters without a gradient are skipped).
  virtual void step() = 0;
  /// setToNone: gradients become undefined (PyTorch ≥ 2 / Lightning default); else zeroed.
  virtual void zeroGrad(bool setToNone = true) = 0;

  virtual size_t numGroups() const = 0;
  virtual const std::vector<at::Tensor>& groupParams(size_t group) const = 0;
  virtual double lr(size_t group) const = 0;
  virtual void setLr(size_t group, double lr) = 0;
  /// The group's "momentum", or betas[0] for Adam-like optimizers (what lighter logs as momentum);
  /// none when the optimizer has neither.
  virtual std::optional<double> momentum(size_t /*group*/) const { return std::nullopt; }
  /// The group's "initial_lr" (set by the first scheduler built on this optimizer), if any.
  virtual std::optional<double> initialLr(size_t group) const = 0;
  virtual void setInitialLr(size_t group, double lr) = 0;
  /// All parameters, group by group.
  std::vector<at::Tensor> parameters() const;

  /// PyTorch's state_dict layout (see above). Tensors are copies.
  virtual c10::impl::GenericDict state() const = 0;
  /// Checks a state() dict completely without changing anything (group count, parameter indices,
  /// state tensors' shapes and dtypes against the parameters, every hyper-parameter's type and
  /// range) and returns what applies it, which cannot fail. InputError names the key below `where`
  /// (e.g. "optimizer_states[0].state[3].exp_avg").
  virtual std::function<void()> prepareLoad(const c10::impl::GenericDict& state,
                                            const std::string& where = "optimizer state") = 0;
  /// Restores what state() returned (hyper-parameters of every group included, as PyTorch's
  /// load_state_dict): prepareLoad, then apply. Nothing changes when it throws.
  void loadState(const c10::impl::GenericDict& state) { prepareLoad(state)(); }
};

using OptimizerPtr = std::shared_ptr<Optimizer>;

struct SGDOptions {
  double lr = 0.0;  // required in PyTorch; must be given
  double momentum = 0.0;
  double dampening = 0.0;
  double weightDecay = 0.0;
  bool nesterov = false;
};

struct AdamOptions {
  double lr = 1e-3;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  double weightDecay = 0.0;  // AdamW's PyTorch default is 1e-2: set it when building AdamW
  bool amsgrad = false;
};

/// fmcib.optimizers.LARS: for each parameter with a gradient, in a group with weight_decay ≠ 0
/// and with nonzero ‖p‖ and ‖g‖: g ← (g + wd·p) · tc·‖p‖ / (‖g‖ + wd·‖p‖ + eps); then SGD
/// momentum (dampening, nesterov) and p ← p − lr·d. Groups with weight_decay 0 skip the
/// scaling (and the decay): plain SGD-momentum, as the reference.
struct LARSOptions {
  double lr = 0.0;  // required
  double momentum = 0.0;
  double dampening = 0.0;
  double weightDecay = 0.0;
  bool nesterov = false;
  double trustCoefficient = 0.001;
  double eps = 1e-8;
};

/// Each throws ConfigError for invalid hyper-parameters (PyTorch's ValueErrors: negative lr,
/// momentum or weight decay, nesterov without momentum or with dampening, betas outside [0, 1),
/// an empty parameter list, unknown group overrides).
OptimizerPtr makeSGD(std::vector<ParamGroup> groups, const SGDOptions& defaults);
OptimizerPtr makeAdam(std::vector<ParamGroup> groups, const AdamOptions& defaults);
/// Decoupled weight decay (p ← p·(1 − lr·wd) before the Adam step).
OptimizerPtr makeAdamW(std::vector<ParamGroup> groups, const AdamOptions& defaults);
OptimizerPtr makeLARS(std::vector<ParamGroup> groups, const LARSOptions& defaults);

}  // namespace fmcib::optim
