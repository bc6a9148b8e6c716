#include "torch_backed.hpp"

#include <sstream>

#include "fmcib/common/torch_compat.hpp"
#include "fmcib/config/error.hpp"

namespace fmcib::optim {

std::vector<at::Tensor> Optimizer::parameters() const {
  std::vector<at::Tensor> out;
  for (size_t g = 0; g < numGroups(); ++g)
    for (const auto& p : groupParams(g)) out.push_back(p);
  return out;
}

namespace detail {

Dict stringDict() {
  return Dict(c10::StringType::get(), c10::AnyType::get());
}

double number(const c10::IValue& v, const std::string& what) {
  if (v.isDouble()) return v.toDouble();
  if (v.isInt()) return static_cast<double>(v.toInt());
  if (v.isBool()) return v.toBool() ? 1.0 : 0.0;
  if (v.isTensor() && v.toTensor().numel() == 1) return v.toTensor().item<double>();
  throw InputError("optimizer state: " + what + " is not a number (" + v.tagKind() + ")");
}

double numberAt(const Dict& d, const std::string& key, const std::string& what) {
  auto it = d.find(key);
  if (it == d.end()) throw InputError("optimizer state: " + what + " has no '" + key + "'");
  return number(it->value(), what + "." + key);
}

void checkOverrides(const ParamGroup& g, const std::vector<std::string>& allowed,
                    const std::string& optimizer) {
  for (const auto& kv : g.overrides)
    if (std::find(allowed.begin(), allowed.end(), kv.first) == allowed.end()) {
      std::string list;
      for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
      throw ConfigError(optimizer + ": unknown param-group option '" + kv.first + "' (allowed: " + list +
                        ")");
    }
}

void checkGroups(const std::vector<ParamGroup>& groups, const std::string& optimizer) {
  size_t total = 0;
  for (const auto& g : groups) total += g.params.size();
  if (groups.empty() || total == 0) throw ConfigError(optimizer + ": optimizer got an empty parameter list");
  for (size_t i = 0; i < groups.size(); ++i)
    for (const auto& p : groups[i].params)
      if (!p.defined())
        throw ConfigError(optimizer + ": param group " + std::to_string(i) + " holds an undefined tensor");
}

TorchBacked::TorchBacked(std::string name, std::unique_ptr<torch::optim::Optimizer> opt)
    : name_(std::move(name)), opt_(std::move(opt)), initialLr_(opt_->param_groups().size()) {}

const torch::optim::OptimizerParamGroup& TorchBacked::group(size_t i) const {
  if (i >= opt_->param_groups().size())
    throw RuntimeError(name_ + ": no param group " + std::to_string(i) + " (it has " +
                       std::to_string(opt_->param_groups().size()) + ")");
  return opt_->param_groups()[i];
}

void TorchBacked::step() {
  opt_->step();
}

void TorchBacked::zeroGrad(bool setToNone) {
  for (auto& g : opt_->param_groups())
    for (auto& p : g.params()) {
      if (!p.mutable_grad().defined()) continue;
      if (setToNone) {
        p.mutable_grad().reset();
      } else {
        p.mutable_grad().detach_();
        p.mutable_grad().zero_();
      }
    }
}

const std::vector<at::Tensor>& TorchBacked::groupParams(size_t g) const {
  return group(g).params();
}
double TorchBacked::lr(size_t g) const {
  return group(g).options().get_lr();
}
void TorchBacked::setLr(size_t g, double lr) {
  group(g);
  opt_->param_groups()[g].options().set_lr(lr);
}
std::optional<double> TorchBacked::momentum(size_t g) const {
  Dict d = stringDict();
  groupOptions(group(g).options(), d);
  if (d.contains("momentum")) return number(d.at("momentum"), "momentum");
  if (d.contains("betas")) {
    const c10::IValue betas = d.at("betas");
    const auto bs = betas.isTuple() ? betas.toTupleRef().elements().vec() : betas.toListRef().vec();
    if (!bs.empty()) return number(bs[0], "betas");
  }
  return std::nullopt;
}

std::optional<double> TorchBacked::initialLr(size_t g) const {
  group(g);
  return initialLr_[g];
}
void TorchBacked::setInitialLr(size_t g, double lr) {
  group(g);
  initialLr_[g] = lr;
}

Dict TorchBacked::state() const {
  Dict perParam(c10::IntType::get(), c10::AnyType::get());
  c10::impl::GenericList groups(c10::AnyType::get());
  int64_t index = 0;
  for (size_t g = 0; g < numGroups(); ++g) {
    const auto& grp = group(g);
    Dict gd = stringDict();
    groupOptions(grp.options(), gd);
    if (initialLr_[g]) gd.insert("initial_lr", *initialLr_[g]);
    c10::List<int64_t> indices;
    for (const auto& p : grp.params()) {
      auto it = opt_->state().find(compat::optimizerStateKey(p));
      if (it != opt_->state().end())
        if (auto d = paramState(*it->second)) perParam.insert(index, *d);
      indices.push_back(index++);
    }
    gd.insert("params", indices);
    groups.push_back(gd);
  }
  Dict out = stringDict();
  out.insert("state", perParam);
  out.insert("param_groups", groups);
  return out;
}

void TorchBacked::loadState(const Dict& state) {
  const std::string who = name_ + " state";
  if (!state.contains("state") || !state.contains("param_groups"))
    throw InputError(who + ": expected the keys 'state' and 'param_groups'");
  const auto groups = state.at("param_groups").toList();
  if (groups.size() != numGroups())
    throw InputError(who + ": has " + std::to_string(groups.size()) + " param groups, the optimizer " +
                     std::to_string(numGroups()));
  const Dict perParam = state.at("state").toGenericDict();
  // Validate everything before changing anything.
  std::vector<std::pair<compat::OptimizerStateKey, std::unique_ptr<torch::optim::OptimizerParamState>>>
      newStates;
  for (size_t g = 0; g < numGroups(); ++g) {
    const Dict gd = groups.get(g).toGenericDict();
    const auto indices = gd.at("params").toList();
    const auto& params = group(g).params();
    if (indices.size() != params.size())
      throw InputError(who + ": param group " + std::to_string(g) + " has " + std::to_string(indices.size()) +
                       " parameters, the optimizer's " + std::to_string(params.size()));
    for (size_t i = 0; i < params.size(); ++i) {
      const c10::IValue idx = indices.get(i);
      auto it = perParam.find(idx);
      if (it == perParam.end()) continue;
      const std::string what = "state[" + std::to_string(idx.toInt()) + "]";
      newStates.emplace_back(compat::optimizerStateKey(params[i]),
                             paramStateFrom(it->value().toGenericDict(), params[i], what));
    }
  }
  for (size_t g = 0; g < numGroups(); ++g) {
    const Dict gd = groups.get(g).toGenericDict();
    setGroupOptions(opt_->param_groups()[g].options(), gd, "param_groups[" + std::to_string(g) + "]");
    initialLr_[g] = gd.contains("initial_lr")
                        ? std::optional<double>(number(gd.at("initial_lr"), "initial_lr"))
                        : std::nullopt;
  }
  opt_->state().clear();
  for (auto& [key, s] : newStates) opt_->state()[key] = std::move(s);
}

}  // namespace detail
}  // namespace fmcib::optim
