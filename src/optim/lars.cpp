// fmcib.optimizers.LARS (SGD with layer-wise adaptive rate scaling), written as a LibTorch
// optimizer so it shares param groups, state and schedulers with the torch.optim ones.
#include "fmcib/common/torch_compat.hpp"
#include "fmcib/config/error.hpp"
#include "torch_backed.hpp"

namespace fmcib::optim {

namespace {

using detail::Dict;

struct LarsTorchOptions : public torch::optim::OptimizerCloneableOptions<LarsTorchOptions> {
  explicit LarsTorchOptions(double lr) : lr_(lr) {}
  TORCH_ARG(double, lr);
  TORCH_ARG(double, momentum) = 0;
  TORCH_ARG(double, dampening) = 0;
  TORCH_ARG(double, weight_decay) = 0;
  TORCH_ARG(bool, nesterov) = false;
  TORCH_ARG(double, trust_coefficient) = 0.001;
  TORCH_ARG(double, eps) = 1e-8;

 public:
  double get_lr() const override { return lr(); }
  void set_lr(const double lr) override { this->lr(lr); }
};

struct LarsParamState : public torch::optim::OptimizerCloneableParamState<LarsParamState> {
  TORCH_ARG(torch::Tensor, momentum_buffer);
};

class LarsTorch : public torch::optim::Optimizer {
 public:
  LarsTorch(std::vector<torch::optim::OptimizerParamGroup> groups, const LarsTorchOptions& defaults)
      : Optimizer(std::move(groups), std::make_unique<LarsTorchOptions>(defaults)) {}

  torch::Tensor step(LossClosure closure = nullptr) override {
    torch::NoGradGuard noGrad;
    torch::Tensor loss;
    if (closure) {
      torch::AutoGradMode enable(true);
      loss = closure();
    }
    for (auto& group : param_groups_) {
      const auto& o = static_cast<const LarsTorchOptions&>(group.options());
      for (auto& p : group.params()) {
        if (!p.grad().defined()) continue;
        torch::Tensor dp = p.grad();
        // Layer-wise scaling (and weight decay) only in groups with weight decay, and only when
        // both norms are nonzero — exactly the reference's conditions.
        if (o.weight_decay() != 0) {
          torch::Tensor pNorm = torch::norm(p), gNorm = torch::norm(dp);
          if (pNorm.item<double>() != 0 && gNorm.item<double>() != 0) {
            torch::Tensor larsLr = pNorm / (gNorm + pNorm * o.weight_decay() + o.eps());
            larsLr *= o.trust_coefficient();
            dp = dp.add(p, o.weight_decay());
            dp *= larsLr;
          }
        }
        if (o.momentum() != 0) {
          const auto key = compat::optimizerStateKey(p);
          auto it = state_.find(key);
          torch::Tensor buf;
          if (it == state_.end() || !static_cast<LarsParamState&>(*it->second).momentum_buffer().defined()) {
            buf = torch::clone(dp).detach();
            auto st = std::make_unique<LarsParamState>();
            st->momentum_buffer(buf);
            state_[key] = std::move(st);
          } else {
            buf = static_cast<LarsParamState&>(*it->second).momentum_buffer();
            buf.mul_(o.momentum()).add_(dp, 1 - o.dampening());
          }
          dp = o.nesterov() ? dp.add(buf, o.momentum()) : buf;
        }
        p.add_(dp, -o.lr());
      }
    }
    return loss;
  }
};

class LarsOptimizer : public detail::TorchBacked {
 public:
  using TorchBacked::TorchBacked;

 protected:
  std::optional<Dict> paramState(const torch::optim::OptimizerParamState& s) const override {
    const auto& st = static_cast<const LarsParamState&>(s);
    if (!st.momentum_buffer().defined()) return std::nullopt;
    Dict d = detail::stringDict();
    d.insert("momentum_buffer", st.momentum_buffer().detach().clone());
    return d;
  }
  std::unique_ptr<torch::optim::OptimizerParamState> paramStateFrom(const StateDict& d,
                                                                    const at::Tensor& p) const override {
    const c10::IValue* buf = d.find("momentum_buffer");
    if (!buf || buf->isNone()) return nullptr;
    auto st = std::make_unique<LarsParamState>();
    st->momentum_buffer(detail::paramStateTensor(d, "momentum_buffer", p));
    return st;
  }
  void groupOptions(const torch::optim::OptimizerOptions& o, Dict& d) const override {
    const auto& s = static_cast<const LarsTorchOptions&>(o);
    d.insert("lr", s.lr());
    d.insert("momentum", s.momentum());
    d.insert("dampening", s.dampening());
    d.insert("weight_decay", s.weight_decay());
    d.insert("nesterov", s.nesterov());
    d.insert("trust_coefficient", s.trust_coefficient());
    d.insert("eps", s.eps());
  }
  void setGroupOptions(torch::optim::OptimizerOptions& o, const StateDict& d) const override {
    auto& s = static_cast<LarsTorchOptions&>(o);
    s.lr(d.number("lr", 0.0));
    s.momentum(d.number("momentum", 0.0));
    s.dampening(d.number("dampening"));
    s.weight_decay(d.number("weight_decay", 0.0));
    s.nesterov(d.flag("nesterov"));
    s.trust_coefficient(d.number("trust_coefficient"));
    s.eps(d.number("eps", 0.0));
    detail::checkNesterov(s.nesterov(), s.momentum(), s.dampening(), d);
  }
};

LarsTorchOptions toTorch(const LARSOptions& l, const std::string& who) {
  if (l.lr < 0) throw ConfigError(who + ": invalid learning rate: " + std::to_string(l.lr));
  if (l.momentum < 0) throw ConfigError(who + ": invalid momentum value: " + std::to_string(l.momentum));
  if (l.weightDecay < 0)
    throw ConfigError(who + ": invalid weight_decay value: " + std::to_string(l.weightDecay));
  if (l.nesterov && (l.momentum <= 0 || l.dampening != 0))
    throw ConfigError(who + ": Nesterov momentum requires a momentum and zero dampening");
  LarsTorchOptions o(l.lr);
  o.momentum(l.momentum).dampening(l.dampening).weight_decay(l.weightDecay).nesterov(l.nesterov);
  o.trust_coefficient(l.trustCoefficient).eps(l.eps);
  return o;
}

}  // namespace

OptimizerPtr makeLARS(std::vector<ParamGroup> groups, const LARSOptions& defaults) {
  const std::string who = "fmcib.optimizers.LARS";
  detail::checkGroups(groups, who);
  LarsTorchOptions d = toTorch(defaults, who);
  std::vector<torch::optim::OptimizerParamGroup> tg;
  for (const auto& g : groups) {
    detail::checkOverrides(
        g, {"lr", "momentum", "dampening", "weight_decay", "nesterov", "trust_coefficient", "eps"}, who);
    LARSOptions l = defaults;
    for (const auto& [k, v] : g.overrides) {
      if (k == "lr") l.lr = v;
      if (k == "momentum") l.momentum = v;
      if (k == "dampening") l.dampening = v;
      if (k == "weight_decay") l.weightDecay = v;
      if (k == "nesterov") l.nesterov = v != 0;
      if (k == "trust_coefficient") l.trustCoefficient = v;
      if (k == "eps") l.eps = v;
    }
    tg.emplace_back(g.params, std::make_unique<LarsTorchOptions>(toTorch(l, who)));
  }
  return std::make_shared<LarsOptimizer>(who, std::make_unique<LarsTorch>(std::move(tg), d));
}

}  // namespace fmcib::optim
