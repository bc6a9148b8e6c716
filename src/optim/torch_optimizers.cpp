// torch.optim.SGD, Adam and AdamW: LibTorch's implementations (the same update rules as
// PyTorch 1.13), with PyTorch's state_dict layout for checkpoints.
#include <sstream>

#include "fmcib/config/error.hpp"
#include "torch_backed.hpp"

namespace fmcib::optim {

namespace {

using detail::Dict;
using detail::number;
using detail::numberAt;

/// A saved state tensor checked against its parameter and moved to its device/dtype.
torch::Tensor stateTensor(const Dict& d, const std::string& key, const at::Tensor& p,
                          const std::string& what) {
  auto it = d.find(key);
  if (it == d.end() || !it->value().isTensor())
    throw InputError("optimizer " + what + ": no tensor '" + key + "'");
  torch::Tensor t = it->value().toTensor();
  if (t.sizes() != p.sizes()) {
    std::ostringstream os;
    os << "optimizer " << what << "." << key << " has shape " << t.sizes() << " but its parameter "
       << p.sizes();
    throw InputError(os.str());
  }
  return t.to(p.options(), /*non_blocking=*/false, /*copy=*/true);
}

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
  std::unique_ptr<torch::optim::OptimizerParamState> paramStateFrom(const Dict& d, const at::Tensor& p,
                                                                    const std::string& what) const override {
    auto st = std::make_unique<torch::optim::SGDParamState>();
    if (d.contains("momentum_buffer") && !d.at("momentum_buffer").isNone())
      st->momentum_buffer(stateTensor(d, "momentum_buffer", p, what));
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
  void setGroupOptions(torch::optim::OptimizerOptions& o, const Dict& d,
                       const std::string& what) const override {
    auto& s = static_cast<torch::optim::SGDOptions&>(o);
    s.lr(numberAt(d, "lr", what));
    s.momentum(numberAt(d, "momentum", what));
    s.dampening(numberAt(d, "dampening", what));
    s.weight_decay(numberAt(d, "weight_decay", what));
    s.nesterov(numberAt(d, "nesterov", what) != 0);
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
  std::unique_ptr<torch::optim::OptimizerParamState> paramStateFrom(const Dict& d, const at::Tensor& p,
                                                                    const std::string& what) const override {
    auto st = std::make_unique<State>();
    st->step(static_cast<int64_t>(numberAt(d, "step", what)));
    st->exp_avg(stateTensor(d, "exp_avg", p, what));
    st->exp_avg_sq(stateTensor(d, "exp_avg_sq", p, what));
    if (d.contains("max_exp_avg_sq")) st->max_exp_avg_sq(stateTensor(d, "max_exp_avg_sq", p, what));
    return st;
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
  void setGroupOptions(torch::optim::OptimizerOptions& o, const Dict& d,
                       const std::string& what) const override {
    auto& s = static_cast<Options&>(o);
    s.lr(numberAt(d, "lr", what));
    if (!d.contains("betas")) throw InputError("optimizer state: " + what + " has no 'betas'");
    c10::IValue betas = d.at("betas");
    std::vector<c10::IValue> bs =
        betas.isTuple() ? betas.toTupleRef().elements().vec() : betas.toListRef().vec();
    if (bs.size() != 2) throw InputError("optimizer state: " + what + ".betas must hold 2 numbers");
    s.betas(std::make_tuple(number(bs[0], what + ".betas"), number(bs[1], what + ".betas")));
    s.eps(numberAt(d, "eps", what));
    s.weight_decay(numberAt(d, "weight_decay", what));
    s.amsgrad(numberAt(d, "amsgrad", what) != 0);
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
