#include "fmcib/optim/targets.hpp"

#include <torch/torch.h>

#include "fmcib/optim/optimizer.hpp"
#include "fmcib/optim/param_list.hpp"
#include "fmcib/optim/scheduler.hpp"

namespace fmcib::optim {

namespace {

using config::Args;
using config::Value;

// SGD and LARS (SGD with a layer-wise trust ratio) share these arguments.
template <class Options>
void readMomentumOptions(const Args& a, Options& o) {
  o.lr = a.getDouble("lr");
  o.momentum = a.getDouble("momentum");
  o.dampening = a.getDouble("dampening");
  o.weightDecay = a.getDouble("weight_decay");
  o.nesterov = a.getBool("nesterov");
}

std::vector<ParamGroup> paramGroups(const Args& a) {
  Value v = a.get("params");
  if (v.holds<ParamList>()) return {ParamGroup{v.as<ParamList>()->tensors, {}}};
  if (!v.isList())
    a.fail(
        "params",
        "expected the model's parameters (\"$@system#model.parameters()\") or a list of param groups, got " +
            v.kindName());
  std::vector<ParamGroup> groups;
  for (size_t i = 0; i < v.asList().size(); ++i) {
    const Value& g = v.asList()[i];
    const std::string at = "group " + std::to_string(i) + ": ";
    if (!g.isMap())
      a.fail("params", at + "expected a map {params: ..., <option>: value}, got " + g.kindName());
    ParamGroup group;
    bool hasParams = false;
    for (const auto& [key, val] : g.asMap()) {
      if (key == "params") {
        if (!val.holds<ParamList>())
          a.fail("params", at + "'params' must be the model's parameters, got " + val.kindName());
        group.params = val.as<ParamList>()->tensors;
        hasParams = true;
      } else if (val.isBool()) {
        group.overrides[key] = val.asBool() ? 1.0 : 0.0;
      } else if (val.isNumber()) {
        group.overrides[key] = val.asDouble();
      } else {
        a.fail("params", at + "option '" + key + "' must be a number or a bool, got " + val.kindName());
      }
    }
    if (!hasParams) a.fail("params", at + "has no 'params'");
    groups.push_back(std::move(group));
  }
  return groups;
}

[[noreturn]] void failHere(const Args& a, const std::string& message) {
  const std::string loc = a.resolver().locate(a.path());
  throw ConfigError((loc.empty() ? "" : loc + ": ") + a.path() + ": " + message);
}

/// Builds, turning the constructor's ConfigErrors (PyTorch's ValueErrors) into errors that name
/// the config path. Arguments are read before, so their own errors are not wrapped twice.
template <class Base, class Make>
Value store(const Args& a, const Make& make) {
  try {
    return Value::object<Base>(make(), a.target());
  } catch (const ConfigError& e) {
    failHere(a, e.what());
  }
}

OptimizerPtr optimizerArg(const Args& a) {
  auto opt = a.getObject<Optimizer>("optimizer");
  if (!opt) a.fail("optimizer", "an optimizer is required (e.g. \"@system#optimizer\")");
  return opt;
}

std::vector<config::ArgSpec> schedulerTail() {
  using namespace config;
  return {arg("last_epoch", kInt, -1, "index of the last epoch when resuming (-1: start)"),
          arg("verbose", kBool, false, "accepted for compatibility (no printing)")};
}

config::ArgSpec paramsArg() {
  return config::required(
      "params", config::kObject | config::kList,
      "the model's parameters (\"$@system#model.parameters()\") or a list of param groups");
}

void registerOptimizers(config::Registry& r) {
  using namespace config;
  auto add = [&r](TargetSpec s) {
    if (!r.find(s.name)) r.add(std::move(s));
  };
  for (const std::string name : {"fmcib.optimizers.LARS", "fmcib.ssl.optimizers.LARS"}) {
    add({name,
         "SGD with layer-wise adaptive rate scaling (groups with weight_decay 0 skip the scaling)",
         {paramsArg(), required("lr", kFloat, "learning rate"),
          arg("momentum", kFloat, 0.0, "momentum factor"),
          arg("dampening", kFloat, 0.0, "dampening for momentum"),
          arg("weight_decay", kFloat, 0.0, "L2 penalty (also enables the LARS scaling)"),
          arg("nesterov", kBool, false, "Nesterov momentum"),
          arg("trust_coefficient", kFloat, 0.001, "LARS trust coefficient"),
          arg("eps", kFloat, 1e-8, "added to the LARS denominator")},
         [](const Args& a) {
           LARSOptions o;
           readMomentumOptions(a, o);
           o.trustCoefficient = a.getDouble("trust_coefficient");
           o.eps = a.getDouble("eps");
           auto groups = paramGroups(a);
           return store<Optimizer>(a, [&] { return makeLARS(groups, o); });
         }});
  }
  add({"torch.optim.SGD",
       "stochastic gradient descent (momentum, dampening, weight decay, Nesterov)",
       {paramsArg(), required("lr", kFloat, "learning rate"), arg("momentum", kFloat, 0.0, "momentum factor"),
        arg("dampening", kFloat, 0.0, "dampening for momentum"),
        arg("weight_decay", kFloat, 0.0, "L2 penalty"), arg("nesterov", kBool, false, "Nesterov momentum"),
        arg("maximize", kBool, false, "only false is supported"),
        arg("foreach", kBool | kNull, nullptr, "accepted (implementation detail in PyTorch)"),
        arg("differentiable", kBool, false, "only false is supported")},
       [](const Args& a) {
         if (a.getBool("maximize")) a.fail("maximize", "maximize: true is not supported");
         if (a.getBool("differentiable")) a.fail("differentiable", "differentiable: true is not supported");
         SGDOptions o;
         readMomentumOptions(a, o);
         auto groups = paramGroups(a);
         return store<Optimizer>(a, [&] { return makeSGD(groups, o); });
       }});
  for (const bool decoupled : {false, true}) {
    const std::string name = decoupled ? "torch.optim.AdamW" : "torch.optim.Adam";
    add({name,
         decoupled ? "Adam with decoupled weight decay" : "Adam (L2 weight decay added to the gradient)",
         {paramsArg(), arg("lr", kFloat, 1e-3, "learning rate"),
          arg("betas", kList, List{0.9, 0.999}, "coefficients of the running averages"),
          arg("eps", kFloat, 1e-8, "added to the denominator"),
          arg("weight_decay", kFloat, decoupled ? 1e-2 : 0.0, "weight decay"),
          arg("amsgrad", kBool, false, "AMSGrad variant"),
          arg("maximize", kBool, false, "only false is supported"),
          arg("foreach", kBool | kNull, nullptr, "accepted (implementation detail in PyTorch)"),
          arg("capturable", kBool, false, "accepted (CUDA graphs; no effect here)"),
          arg("differentiable", kBool, false, "only false is supported"),
          arg("fused", kBool | kNull, false, "accepted (implementation detail in PyTorch)")},
         [decoupled](const Args& a) {
           if (a.getBool("maximize")) a.fail("maximize", "maximize: true is not supported");
           if (a.getBool("differentiable")) a.fail("differentiable", "differentiable: true is not supported");
           std::vector<double> betas = a.getDoubles("betas");
           if (betas.size() != 2) a.fail("betas", "expected 2 numbers");
           AdamOptions o;
           o.lr = a.getDouble("lr");
           o.beta1 = betas[0];
           o.beta2 = betas[1];
           o.eps = a.getDouble("eps");
           o.weightDecay = a.getDouble("weight_decay");
           o.amsgrad = a.getBool("amsgrad");
           auto groups = paramGroups(a);
           return store<Optimizer>(a, [&] { return decoupled ? makeAdamW(groups, o) : makeAdam(groups, o); });
         }});
  }
}

void registerSchedulers(config::Registry& r) {
  using namespace config;
  auto add = [&r](TargetSpec s) {
    s.args.insert(s.args.begin(), required("optimizer", kObject, "the optimizer (\"@system#optimizer\")"));
    for (auto& t : schedulerTail()) s.args.push_back(t);
    if (!r.find(s.name)) r.add(std::move(s));
  };
  const std::string ns = "torch.optim.lr_scheduler.";
  add({ns + "CosineAnnealingLR",
       "cosine annealing from the base lr to eta_min over T_max steps",
       {required("T_max", kNumber, "half period, in scheduler steps"),
        arg("eta_min", kFloat, 0.0, "minimum lr")},
       [](const Args& a) {
         auto opt = optimizerArg(a);
         const double tMax = a.getDouble("T_max"), etaMin = a.getDouble("eta_min");
         const int64_t last = a.getInt("last_epoch");
         return store<Scheduler>(
             a, [&] { return std::make_shared<CosineAnnealingLR>(opt, tMax, etaMin, last); });
       }});
  add({ns + "StepLR",
       "multiplies the lr by gamma every step_size steps",
       {required("step_size", kInt, "period of the decay"), arg("gamma", kFloat, 0.1, "decay factor")},
       [](const Args& a) {
         auto opt = optimizerArg(a);
         const int64_t stepSize = a.getInt("step_size"), last = a.getInt("last_epoch");
         const double gamma = a.getDouble("gamma");
         return store<Scheduler>(a, [&] { return std::make_shared<StepLR>(opt, stepSize, gamma, last); });
       }});
  add({ns + "MultiStepLR",
       "multiplies the lr by gamma at each milestone",
       {required("milestones", kList, "steps at which to decay (ints)"),
        arg("gamma", kFloat, 0.1, "decay factor")},
       [](const Args& a) {
         auto opt = optimizerArg(a);
         auto milestones = a.getInts("milestones");
         const double gamma = a.getDouble("gamma");
         const int64_t last = a.getInt("last_epoch");
         return store<Scheduler>(a,
                                 [&] { return std::make_shared<MultiStepLR>(opt, milestones, gamma, last); });
       }});
  add({ns + "LinearLR",
       "linear change of the lr factor from start_factor to end_factor over total_iters steps",
       {arg("start_factor", kFloat, 1.0 / 3, "factor at step 0"),
        arg("end_factor", kFloat, 1.0, "final factor"), arg("total_iters", kInt, 5, "steps of the ramp")},
       [](const Args& a) {
         auto opt = optimizerArg(a);
         const double start = a.getDouble("start_factor"), end = a.getDouble("end_factor");
         const int64_t total = a.getInt("total_iters"), last = a.getInt("last_epoch");
         return store<Scheduler>(a, [&] { return std::make_shared<LinearLR>(opt, start, end, total, last); });
       }});
  add({ns + "SequentialLR",
       "runs schedulers one after the other, switching at the milestones",
       {required("schedulers", kList, "schedulers built on the same optimizer"),
        required("milestones", kList, "steps at which to switch (one fewer than schedulers)")},
       [](const Args& a) {
         Value list = a.get("schedulers");
         std::vector<SchedulerPtr> schedulers;
         for (const Value& v : list.asList()) {
           if (!v.holds<Scheduler>()) a.fail("schedulers", "expected schedulers, got " + v.kindName());
           schedulers.push_back(v.as<Scheduler>());
         }
         auto opt = optimizerArg(a);
         auto milestones = a.getInts("milestones");
         const int64_t last = a.getInt("last_epoch");
         return store<Scheduler>(
             a, [&] { return std::make_shared<SequentialLR>(opt, schedulers, milestones, last); });
       }});
}

}  // namespace

void registerTargets(config::Registry& r) {
  registerOptimizers(r);
  registerSchedulers(r);
}

}  // namespace fmcib::optim
