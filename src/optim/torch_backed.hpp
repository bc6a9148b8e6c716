#pragma once
// An fmcib Optimizer over a LibTorch optimizer (torch::optim::SGD/Adam/AdamW, or fmcib's LARS
// written as one). Subclasses convert their per-parameter state and group options to and from
// PyTorch's state_dict entries.
#include <torch/torch.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "fmcib/optim/optimizer.hpp"
#include "fmcib/optim/state_fields.hpp"

namespace fmcib::optim::detail {

using Dict = c10::impl::GenericDict;

Dict stringDict();
/// A saved per-parameter tensor (`d[key]`): dense floating point, finite, of the parameter's shape;
/// returned as a copy with the parameter's dtype and device.
torch::Tensor paramStateTensor(const StateDict& d, const std::string& key, const at::Tensor& p);
/// PyTorch's rule for SGD and LARS: Nesterov momentum needs a momentum and zero dampening.
void checkNesterov(bool nesterov, double momentum, double dampening, const StateDict& d);

class TorchBacked : public Optimizer {
 public:
  TorchBacked(std::string name, std::unique_ptr<torch::optim::Optimizer> opt);

  std::string name() const override { return name_; }
  void step() override;
  void zeroGrad(bool setToNone) override;
  size_t numGroups() const override { return opt_->param_groups().size(); }
  const std::vector<at::Tensor>& groupParams(size_t group) const override;
  double lr(size_t group) const override;
  void setLr(size_t group, double lr) override;
  std::optional<double> momentum(size_t group) const override;
  std::optional<double> initialLr(size_t group) const override;
  void setInitialLr(size_t group, double lr) override;
  Dict state() const override;
  std::function<void()> prepareLoad(const Dict& state, const std::string& where) override;

 protected:
  /// {} when the parameter has no state yet.
  virtual std::optional<Dict> paramState(const torch::optim::OptimizerParamState& s) const = 0;
  /// A parameter's saved state, checked against the parameter (InputError naming the key);
  /// nullptr when it holds nothing (the parameter starts fresh, as PyTorch does with a None buffer).
  virtual std::unique_ptr<torch::optim::OptimizerParamState> paramStateFrom(const StateDict& d,
                                                                            const at::Tensor& p) const = 0;
  /// InputError when a state cannot serve its group's (restored) options, e.g. amsgrad without
  /// max_exp_avg_sq. Default: any state fits.
  virtual void checkStateFits(const torch::optim::OptimizerOptions&, const torch::optim::OptimizerParamState&,
                              const std::string&) const {}
  /// Writes the group's hyper-parameters under their PyTorch names.
  virtual void groupOptions(const torch::optim::OptimizerOptions& o, Dict& d) const = 0;
  /// Reads them back into `o` (a copy of the group's options), checking each value's range.
  virtual void setGroupOptions(torch::optim::OptimizerOptions& o, const StateDict& d) const = 0;

  torch::optim::Optimizer& opt() const { return *opt_; }

 private:
  const torch::optim::OptimizerParamGroup& group(size_t i) const;
  std::string name_;
  std::unique_ptr<torch::optim::Optimizer> opt_;
  std::vector<std::optional<double>> initialLr_;
};

/// Applies `overrides` with `apply(name, value)`; ConfigError for names not in `allowed`.
void checkOverrides(const ParamGroup& g, const std::vector<std::string>& allowed,
                    const std::string& optimizer);
/// ConfigError for an empty parameter list or an empty group.
void checkGroups(const std::vector<ParamGroup>& groups, const std::string& optimizer);

}  // namespace fmcib::optim::detail
