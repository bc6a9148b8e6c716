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

namespace fmcib::optim::detail {

using Dict = c10::impl::GenericDict;

Dict stringDict();
/// A number stored as IValue double/int/bool or a one-element tensor; InputError otherwise.
double number(const c10::IValue& v, const std::string& what);
/// d[key] as a number; InputError naming `what` when missing.
double numberAt(const Dict& d, const std::string& key, const std::string& what);

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
  void loadState(const Dict& state) override;

 protected:
  /// {} when the parameter has no state yet.
  virtual std::optional<Dict> paramState(const torch::optim::OptimizerParamState& s) const = 0;
  virtual std::unique_ptr<torch::optim::OptimizerParamState> paramStateFrom(
      const Dict& d, const at::Tensor& p, const std::string& what) const = 0;
  /// Writes the group's hyper-parameters under their PyTorch names.
  virtual void groupOptions(const torch::optim::OptimizerOptions& o, Dict& d) const = 0;
  virtual void setGroupOptions(torch::optim::OptimizerOptions& o, const Dict& d,
                               const std::string& what) const = 0;

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
