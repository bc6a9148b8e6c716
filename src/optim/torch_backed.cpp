#include "torch_backed.hpp"

#include <map>
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

torch::Tensor paramStateTensor(const StateDict& d, const std::string& key, const at::Tensor& p) {
  const at::Tensor t = stateFloatTensor(d.get(key), d.keyPath(key));
  if (t.sizes() != p.sizes()) {
    std::ostringstream os;
    os << d.keyPath(key) << ": shape " << t.sizes() << ", but its parameter has " << p.sizes();
    throw InputError(os.str());
  }
  return t.to(p.options(), /*non_blocking=*/false, /*copy=*/true);
}

void checkNesterov(bool nesterov, double momentum, double dampening, const StateDict& d) {
  if (nesterov && (momentum <= 0 || dampening != 0))
    throw InputError(d.keyPath("nesterov") + ": Nesterov momentum requires a momentum and zero dampening");
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
  if (d.contains("momentum")) return stateNumber(d.at("momentum"), "momentum");
  if (d.contains("betas")) {
    const c10::IValue betas = d.at("betas");
    const auto bs = betas.isTuple() ? betas.toTupleRef().elements().vec() : betas.toListRef().vec();
    if (!bs.empty()) return stateNumber(bs[0], "betas");
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

std::function<void()> TorchBacked::prepareLoad(const Dict& state, const std::string& where) {
  const StateDict top(state, where);
  const StateDict perParam = top.dict("state");
  const std::vector<c10::IValue> groups = top.list("param_groups");
  if (groups.size() != numGroups())
    throw InputError(top.keyPath("param_groups") + ": " + std::to_string(groups.size()) +
                     " param groups, the optimizer (" + name_ + ") has " + std::to_string(numGroups()));
  // Everything is read and checked into `prepared` first; only the returned function changes the
  // optimizer, so a bad checkpoint leaves it as it was.
  struct Prepared {
    std::vector<std::unique_ptr<torch::optim::OptimizerOptions>> options;
    std::vector<std::optional<double>> initialLr;
    std::vector<std::pair<compat::OptimizerStateKey, std::unique_ptr<torch::optim::OptimizerParamState>>>
        states;
  };
  auto prepared = std::make_shared<Prepared>();
  std::map<int64_t, std::pair<at::Tensor, size_t>> byIndex;  // saved index -> (parameter, group)
  for (size_t g = 0; g < numGroups(); ++g) {
    const StateDict gd(groups[g], top.keyPath("param_groups[" + std::to_string(g) + "]"));
    const std::vector<c10::IValue> indices = gd.list("params");
    const auto& params = group(g).params();
    if (indices.size() != params.size())
      throw InputError(gd.keyPath("params") + ": " + std::to_string(indices.size()) +
                       " parameters, the optimizer's group has " + std::to_string(params.size()));
    for (size_t i = 0; i < params.size(); ++i) {
      const std::string what = gd.keyPath("params[" + std::to_string(i) + "]");
      const int64_t idx = stateInteger(indices[i], what, 0, kMaxRestoredCount);
      if (!byIndex.emplace(idx, std::make_pair(params[i], g)).second)
        throw InputError(what + ": parameter index " + std::to_string(idx) + " appears twice");
    }
    auto options = group(g).options().clone();
    setGroupOptions(*options, gd);
    prepared->options.push_back(std::move(options));
    const c10::IValue* initial = gd.find("initial_lr");
    prepared->initialLr.push_back(
        initial && !initial->isNone() ? std::optional<double>(gd.number("initial_lr", 0.0)) : std::nullopt);
  }
  for (const auto& entry : perParam.raw()) {
    if (!entry.key().isInt())
      throw InputError(top.keyPath("state") + ": a key (" + describeValue(entry.key()) +
                       ") is not a parameter index");
    const int64_t idx = entry.key().toInt();
    const std::string what = top.keyPath("state[" + std::to_string(idx) + "]");
    auto param = byIndex.find(idx);
    if (param == byIndex.end())
      throw InputError(what + ": no param group lists parameter " + std::to_string(idx));
    const auto& [tensor, g] = param->second;
    auto st = paramStateFrom(StateDict(entry.value(), what), tensor);
    if (!st) continue;  // nothing saved for it yet (a None momentum buffer)
    checkStateFits(*prepared->options[g], *st, what);
    prepared->states.emplace_back(compat::optimizerStateKey(tensor), std::move(st));
  }
  return [this, prepared] {
    for (size_t g = 0; g < prepared->options.size(); ++g)
      opt_->param_groups()[g].set_options(std::move(prepared->options[g]));
    initialLr_ = prepared->initialLr;
    opt_->state().clear();
    for (auto& [key, s] : prepared->states) opt_->state()[key] = std::move(s);
  };
}

}  // namespace detail
}  // namespace fmcib::optim
