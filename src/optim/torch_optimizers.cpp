// torch.optim.SGD, Adam and AdamW: LibTorch's implementations (the same update rules as
// PyTorch 1.13), with PyTorch's state_dict layout for checkpoints.
#include <cmath>
#include <sstream>

#include "fmcib/config/error.hpp"
#include "torch_backed.hpp"

namespace fmcib::optim {

namespace {

using detail::checkNesterov;
using detail::Dict;
using detail::paramStateTensor;

void checkCommon(double lr, double momentumOrBeta, double weightDecay, const std::string& who) {
  if (lr < 0) throw ConfigError(who + ": invalid learning rate: " + std::to_string(lr));
  if (momentumOrBeta < 0)
    throw ConfigError(who + ": invalid momentum value: " + std::to_string(momentumOrBeta));
  if (weightDecay < 0)
    throw ConfigError(who + ": invalid weight_decay value: " + std::to_string(weightDecay));
}

// ---- SGD --------------------------------------------------------------------------------------

class SgdOptimizer : public detail::TorchBacked {
 public:
  using TorchBacked::TorchBacked;

 protected:
  std::optional<Dict> paramState(const torch::optim::OptimizerParamState& s) const override {
    const auto& st = static_cast<const torch::optim::SGDParamState&>(s);
    if (!st.momentum_buffer().defined()) return std::nullopt;
    Dict d = detail::stringDict();
    d.insert("momentum_buffer", st.momentum_buffer().detach().clone());
    return d;
  }
  std::unique_ptr<torch::optim::OptimizerParamState> paramStateFrom(const StateDict& d,
                                                                    const at::Tensor& p) const override {
    const c10::IValue* buf = d.find("momentum_buffer");
    if (!buf || buf->isNone()) return nullptr;  // LibTorch's SGD needs a buffer once a state exists
    auto st = std::make_unique<torch::optim::SGDParamState>();
    st->momentum_buffer(paramStateTensor(d, "momentum_buffer", p));
    return st;
  }
  void groupOptions(const torch::optim::OptimizerOptions& o, Dict& d) const override {
    const auto& s = static_cast<const torch::optim::SGDOptions&>(o);
    d.insert("lr", s.lr());
    d.insert("momentum", s.momentum());
    d.insert("dampening", s.dampening());
    d.insert("weight_decay", s.weight_decay());
    d.insert("nesterov", s.nesterov());
    d.insert("maximize", false);
    d.insert("foreach", c10::IValue());
    d.insert("differentiable", false);
  }
  void setGroupOptions(torch::optim::OptimizerOptions& o, const StateDict& d) const override {
    auto& s = static_cast<torch::optim::SGDOptions&>(o);
    s.lr(d.number("lr", 0.0));
    s.momentum(d.number("momentum", 0.0));
    s.dampening(d.number("dampening"));
    s.weight_decay(d.number("weight_decay", 0.0));
    s.nesterov(d.flag("nesterov"));
    checkNesterov(s.nesterov(), s.momentum(), s.dampening(), d);
  }
};

// ---- Adam / AdamW -----------------------------------------------------------------------------

template <class TorchOpt, class Options, class State>
class AdamLike : public detail::TorchBacked {
 public:
  using TorchBacked::TorchBacked;

 protected:
  std::optional<Dict> paramState(const torch::optim::OptimizerParamState& s) const override {
    const auto& st = static_cast<const State&>(s);
    Dict d = detail::stringDict();
    // PyTorch 1.13 keeps `step` as a float tensor.
    d.insert("step", torch::tensor(static_cast<double>(st.step()), torch::kFloat));
    d.insert("exp_avg", st.exp_avg().detach().clone());
    d.insert("exp_avg_sq", st.exp_avg_sq().detach().clone());
    if (st.max_exp_avg_sq().defined()) d.insert("max_exp_avg_sq", st.max_exp_avg_sq().detach().clone());
    return d;
  }
  std::unique_ptr<torch::optim::OptimizerParamState> paramStateFrom(const StateDict& d,
                                                                    const at::Tensor& p) const override {
    auto st = std::make_unique<State>();
    st->step(d.integer("step", 0, optim::kMaxRestoredCount));
    st->exp_avg(paramStateTensor(d, "exp_avg", p));
    st->exp_avg_sq(paramStateTensor(d, "exp_avg_sq", p));
    if (const c10::IValue* m = d.find("max_exp_avg_sq"); m && !m->isNone())
      st->max_exp_avg_sq(paramStateTensor(d, "max_exp_avg_sq", p));
    return st;
  }
  void checkStateFits(const torch::optim::OptimizerOptions& o, const torch::optim::OptimizerParamState& s,
                      const std::string& what) const override {
    if (static_cast<const Options&>(o).amsgrad() && !static_cast<const State&>(s).max_exp_avg_sq().defined())
      throw InputError(what + ": its group uses amsgrad, but it has no max_exp_avg_sq");
  }
  void groupOptions(const torch::optim::OptimizerOptions& o, Dict& d) const override {
    const auto& s = static_cast<const Options&>(o);
    d.insert("lr", s.lr());
    d.insert("betas", c10::ivalue::Tuple::create(std::get<0>(s.betas()), std::get<1>(s.betas())));
    d.insert("eps", s.eps());
    d.insert("weight_decay", s.weight_decay());
    d.insert("amsgrad", s.amsgrad());
    d.insert("maximize", false);
    d.insert("foreach", c10::IValue());
    d.insert("capturable", false);
    d.insert("differentiable", false);
    d.insert("fused", false);
  }
  void setGroupOptions(torch::optim::OptimizerOptions& o, const StateDict& d) const override {
    auto& s = static_cast<Options&>(o);
    s.lr(d.number("lr", 0.0));
    // PyTorch's constructor check: 0 <= beta < 1.
    const std::vector<double> betas = d.numbers("betas", 2, 0.0, std::nextafter(1.0, 0.0));
    s.betas(std::make_tuple(betas[0], betas[1]));
    s.eps(d.number("eps", 0.0));
    s.weight_decay(d.number("weight_decay", 0.0));
    s.amsgrad(d.flag("amsgrad"));
  }
};

template <class Options>
Options adamOptions(const AdamOptions& a, const std::string& who) {
  checkCommon(a.lr, 0, a.weightDecay, who);
  if (a.eps < 0) throw ConfigError(who + ": invalid epsilon value: " + std::to_string(a.eps));
  if (a.beta1 < 0 || a.beta1 >= 1 || a.beta2 < 0 || a.beta2 >= 1)
    throw ConfigError(who + ": invalid beta parameters: (" + std::to_string(a.beta1) + ", " +
                      std::to_string(a.beta2) + ")");
  Options o(a.lr);
  o.betas(std::make_tuple(a.beta1, a.beta2)).eps(a.eps).weight_decay(a.weightDecay).amsgrad(a.amsgrad);
  return o;
}

template <class Options>
void applyAdamOverrides(Options& o, const ParamGroup& g, const std::string& who) {
  detail::checkOverrides(g, {"lr", "eps", "weight_decay", "amsgrad"}, who);
  for (const auto& [k, v] : g.overrides) {
    if (k == "lr") o.lr(v);
    if (k == "eps") o.eps(v);
    if (k == "weight_decay") o.weight_decay(v);
    if (k == "amsgrad") o.amsgrad(v != 0);
  }
  checkCommon(o.lr(), 0, o.weight_decay(), who);
}

template <class TorchOpt, class Options, class State>
OptimizerPtr makeAdamLike(std::vector<ParamGroup> groups, const AdamOptions& defaults,
                          const std::string& who) {
  detail::checkGroups(groups, who);
  Options d = adamOptions<Options>(defaults, who);
  std::vector<torch::optim::OptimizerParamGroup> tg;
  for (const auto& g : groups) {
    Options o = d;
    applyAdamOverrides(o, g, who);
    tg.emplace_back(g.params, std::make_unique<Options>(o));
  }
  return std::make_shared<AdamLike<TorchOpt, Options, State>>(who,
                                                              std::make_unique<TorchOpt>(std::move(tg), d));
}

}  // namespace

OptimizerPtr makeSGD(std::vector<ParamGroup> groups, const SGDOptions& s) {
  const std::string who = "torch.optim.SGD";
  detail::checkGroups(groups, who);
  auto toTorch = [&](double lr, double momentum, double dampening, double wd, bool nesterov) {
    checkCommon(lr, momentum, wd, who);
    if (nesterov && (momentum <= 0 || dampening != 0))
      throw ConfigError(who + ": Nesterov momentum requires a momentum and zero dampening");
    return torch::optim::SGDOptions(lr).momentum(momentum).dampening(dampening).weight_decay(wd).nesterov(
        nesterov);
  };
  torch::optim::SGDOptions d = toTorch(s.lr, s.momentum, s.dampening, s.weightDecay, s.nesterov);
  std::vector<torch::optim::OptimizerParamGroup> tg;
  for (const auto& g : groups) {
    detail::checkOverrides(g, {"lr", "momentum", "dampening", "weight_decay", "nesterov"}, who);
    auto get = [&](const char* k, double dflt) { return g.overrides.count(k) ? g.overrides.at(k) : dflt; };
    auto o = toTorch(get("lr", s.lr), get("momentum", s.momentum), get("dampening", s.dampening),
                     get("weight_decay", s.weightDecay), get("nesterov", s.nesterov) != 0);
    tg.emplace_back(g.params, std::make_unique<torch::optim::SGDOptions>(o));
  }
  return std::make_shared<SgdOptimizer>(who, std::make_unique<torch::optim::SGD>(std::move(tg), d));
}

OptimizerPtr makeAdam(std::vector<ParamGroup> groups, const AdamOptions& defaults) {
  return makeAdamLike<torch::optim::Adam, torch::optim::AdamOptions, torch::optim::AdamParamState>(
      std::move(groups), defaults, "torch.optim.Adam");
}

OptimizerPtr makeAdamW(std::vector<ParamGroup> groups, const AdamOptions& defaults) {
  return makeAdamLike<torch::optim::AdamW, torch::optim::AdamWOptions, torch::optim::AdamWParamState>(
      std::move(groups), defaults, "torch.optim.AdamW");
}

}  // namespace fmcib::optim
