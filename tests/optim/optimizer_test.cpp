#include "fmcib/optim/optimizer.hpp"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

#include "fmcib/config/error.hpp"
#include "fmcib/io/torch_file.hpp"
#include "losses/fixture_dict.hpp"
#include "support/paths.hpp"

namespace fmcib::optim {
namespace {

void expectClose(const torch::Tensor& a, const torch::Tensor& b, const std::string& what, double rtol = 1e-5,
                 double atol = 1e-7) {
  ASSERT_EQ(a.sizes(), b.sizes()) << what;
  EXPECT_TRUE(torch::allclose(a, b, rtol, atol))
      << what << ": max diff " << (a - b).abs().max().item<double>();
}

TEST(LARS, MatchesReferenceStepByStep) {
  test::FixtureDict f("lars.pt");
  torch::Tensor w = f["w0"].clone().requires_grad_();
  torch::Tensor b = f["b0"].clone().requires_grad_();
  LARSOptions o;
  o.lr = 0.3;
  o.momentum = 0.9;
  o.weightDecay = 1e-6;
  auto opt = makeLARS({ParamGroup{{w}, {}}, ParamGroup{{b}, {{"weight_decay", 0.0}}}}, o);
  for (int s = 0; s < 3; ++s) {
    const std::string k = "step" + std::to_string(s) + ".";
    w.mutable_grad() = f[k + "grad_w"].clone();
    b.mutable_grad() = f[k + "grad_b"].clone();
    opt->step();
    expectClose(w.detach(), f[k + "w"], k + "w");
    expectClose(b.detach(), f[k + "b"], k + "b");
  }
}

TEST(LARS, ScalingFormulaNesterovAndZeroNorms) {
  // One parameter, hand-computed: g' = (g + wd p) tc |p| / (|g| + wd |p| + eps); nesterov d = g' + m buf.
  torch::Tensor p = torch::tensor({3.0, 4.0}, torch::kDouble).requires_grad_();  // |p| = 5
  torch::Tensor z = torch::zeros({2}, torch::kDouble).requires_grad_();          // |p| = 0: no scaling
  LARSOptions o;
  o.lr = 0.5;
  o.momentum = 0.9;
  o.weightDecay = 0.1;
  o.nesterov = true;
  o.trustCoefficient = 0.02;
  o.eps = 0.0;
  auto opt = makeLARS({ParamGroup{{p, z}, {}}}, o);
  torch::Tensor g = torch::tensor({0.0, 1.0}, torch::kDouble);  // |g| = 1
  p.mutable_grad() = g.clone();
  z.mutable_grad() = g.clone();
  opt->step();
  const double scale = 0.02 * 5 / (1 + 0.1 * 5);
  torch::Tensor gp = (g + 0.1 * torch::tensor({3.0, 4.0}, torch::kDouble)) * scale;
  torch::Tensor d = gp + 0.9 * gp;  // first step: buf = g'
  expectClose(p.detach(), torch::tensor({3.0, 4.0}, torch::kDouble) - 0.5 * d, "p", 1e-12, 1e-12);
  // Zero parameter norm: the gradient is used unscaled and undecayed.
  expectClose(z.detach(), -0.5 * (g + 0.9 * g), "z", 1e-12, 1e-12);
}

TEST(SGD, MomentumDampeningWeightDecayByHand) {
  torch::Tensor p = torch::tensor({1.0, -2.0}, torch::kDouble).requires_grad_();
  SGDOptions o;
  o.lr = 0.1;
  o.momentum = 0.5;
  o.dampening = 0.25;
  o.weightDecay = 0.01;
  auto opt = makeSGD({ParamGroup{{p}, {}}}, o);
  torch::Tensor ref = p.detach().clone(), buf;
  for (int s = 0; s < 3; ++s) {
    torch::Tensor g = torch::tensor({0.3 * (s + 1), -0.2}, torch::kDouble);
    p.mutable_grad() = g.clone();
    opt->step();
    torch::Tensor d = g + 0.01 * ref;
    buf = s == 0 ? d.clone() : buf * 0.5 + 0.75 * d;
    ref = ref - 0.1 * buf;
    expectClose(p.detach(), ref, "step " + std::to_string(s), 1e-12, 1e-12);
  }
}

void adamByHand(bool decoupled) {
  torch::Tensor p = torch::tensor({0.5, -1.5, 2.0}, torch::kDouble).requires_grad_();
  AdamOptions o;
  o.lr = 0.01;
  o.beta1 = 0.8;
  o.beta2 = 0.9;
  o.eps = 1e-6;
  o.weightDecay = 0.1;
  auto opt = decoupled ? makeAdamW({ParamGroup{{p}, {}}}, o) : makeAdam({ParamGroup{{p}, {}}}, o);
  torch::Tensor ref = p.detach().clone(), m = torch::zeros({3}, torch::kDouble), v = m.clone();
  for (int t = 1; t <= 4; ++t) {
    torch::Tensor g = torch::tensor({0.1 * t, -0.3, 0.05}, torch::kDouble);
    p.mutable_grad() = g.clone();
    opt->step();
    if (decoupled)
      ref = ref * (1 - 0.01 * 0.1);
    else
      g = g + 0.1 * ref;
    m = 0.8 * m + 0.2 * g;
    v = 0.9 * v + 0.1 * g * g;
    const double bc1 = 1 - std::pow(0.8, t), bc2 = 1 - std::pow(0.9, t);
    ref = ref - (0.01 / bc1) * m / (v.sqrt() / std::sqrt(bc2) + 1e-6);
    expectClose(p.detach(), ref, "t=" + std::to_string(t), 1e-10, 1e-12);
  }
}

TEST(Adam, MatchesTheUpdateRuleByHand) {
  adamByHand(false);
}
TEST(AdamW, MatchesTheDecoupledUpdateRuleByHand) {
  adamByHand(true);
}

TEST(Optimizer, GroupsLrAndZeroGrad) {
  torch::Tensor a = torch::ones({2}, torch::requires_grad()), b = torch::ones({3}, torch::requires_grad());
  SGDOptions o;
  o.lr = 0.1;
  auto opt = makeSGD({ParamGroup{{a}, {}}, ParamGroup{{b}, {{"lr", 0.5}}}}, o);
  ASSERT_EQ(opt->numGroups(), 2u);
  EXPECT_DOUBLE_EQ(opt->lr(0), 0.1);
  EXPECT_DOUBLE_EQ(opt->lr(1), 0.5);
  opt->setLr(1, 0.25);
  a.mutable_grad() = torch::ones({2});
  b.mutable_grad() = torch::ones({3});
  opt->step();
  EXPECT_TRUE(torch::allclose(a.detach(), torch::full({2}, 0.9)));
  EXPECT_TRUE(torch::allclose(b.detach(), torch::full({3}, 0.75)));
  EXPECT_EQ(opt->parameters().size(), 2u);
  opt->zeroGrad(false);
  EXPECT_TRUE(torch::equal(a.grad(), torch::zeros({2})));
  opt->zeroGrad();
  EXPECT_FALSE(a.grad().defined());
  opt->step();  // no gradients: nothing moves
  EXPECT_TRUE(torch::allclose(a.detach(), torch::full({2}, 0.9)));
}

TEST(Optimizer, InvalidHyperParametersAreConfigErrors) {
  torch::Tensor a = torch::ones({2}, torch::requires_grad());
  SGDOptions s;
  s.lr = -1;
  EXPECT_THROW(makeSGD({ParamGroup{{a}, {}}}, s), ConfigError);
  s.lr = 0.1;
  s.nesterov = true;
  EXPECT_THROW(makeSGD({ParamGroup{{a}, {}}}, s), ConfigError);
  s.nesterov = false;
  EXPECT_THROW(makeSGD({ParamGroup{{a}, {{"betas", 0.1}}}}, s), ConfigError);
  EXPECT_THROW(makeSGD({ParamGroup{{}, {}}}, s), ConfigError);
  AdamOptions ad;
  ad.beta2 = 1.0;
  EXPECT_THROW(makeAdam({ParamGroup{{a}, {}}}, ad), ConfigError);
  LARSOptions l;
  l.lr = 0.1;
  l.weightDecay = -1;
  EXPECT_THROW(makeLARS({ParamGroup{{a}, {}}}, l), ConfigError);
}

/// Runs `steps` updates with deterministic gradients.
void run(Optimizer& opt, std::vector<torch::Tensor>& params, int from, int steps) {
  for (int s = from; s < from + steps; ++s) {
    for (size_t i = 0; i < params.size(); ++i)
      params[i].mutable_grad() = torch::sin(torch::arange(params[i].numel(), torch::kFloat) * (s + 1.0 + i))
                                     .reshape(params[i].sizes());
    opt.step();
  }
}

using Factory = std::function<OptimizerPtr(std::vector<torch::Tensor>)>;

void roundTrip(const Factory& make, bool throughFile) {
  std::vector<torch::Tensor> pa{torch::randn({4, 3}).requires_grad_(), torch::randn({5}).requires_grad_()};
  std::vector<torch::Tensor> pb{pa[0].detach().clone().requires_grad_(),
                                pa[1].detach().clone().requires_grad_()};
  auto a = make(pa), b = make(pb);
  run(*a, pa, 0, 3);
  run(*b, pb, 0, 1);  // different state, to be overwritten
  c10::impl::GenericDict st = a->state();
  if (throughFile) {
    const std::string path = (test::tempDir("optim_state") / "opt.pt").string();
    io::writeTorchFile(path, st);
    st = io::readTorchFile(path).toGenericDict();
  }
  {
    torch::NoGradGuard g;
    pb[0].copy_(pa[0]);
    pb[1].copy_(pa[1]);
  }
  b->loadState(st);
  EXPECT_DOUBLE_EQ(b->lr(0), a->lr(0));
  run(*a, pa, 3, 2);
  run(*b, pb, 3, 2);
  EXPECT_TRUE(torch::equal(pa[0], pb[0])) << a->name();
  EXPECT_TRUE(torch::equal(pa[1], pb[1])) << a->name();
}

std::vector<std::pair<std::string, Factory>> factories() {
  return {{"SGD",
           [](std::vector<torch::Tensor> p) {
             SGDOptions o;
             o.lr = 0.05;
             o.momentum = 0.9;
             o.nesterov = true;
             return makeSGD({ParamGroup{p, {}}}, o);
           }},
          {"Adam",
           [](std::vector<torch::Tensor> p) {
             AdamOptions o;
             o.amsgrad = true;
             return makeAdam({ParamGroup{{p[0]}, {}}, ParamGroup{{p[1]}, {{"lr", 0.01}}}}, o);
           }},
          {"AdamW",
           [](std::vector<torch::Tensor> p) {
             return makeAdamW({ParamGroup{p, {}}}, AdamOptions{});
           }},
          {"LARS", [](std::vector<torch::Tensor> p) {
             LARSOptions o;
             o.lr = 0.3;
             o.momentum = 0.9;
             o.weightDecay = 1e-4;
             return makeLARS({ParamGroup{{p[0]}, {}}, ParamGroup{{p[1]}, {{"weight_decay", 0.0}}}}, o);
           }}};
}

TEST(OptimizerState, RoundTripsInMemoryAndThroughATorchFile) {
  torch::manual_seed(11);
  for (const auto& [name, make] : factories()) {
    SCOPED_TRACE(name);
    roundTrip(make, false);
    roundTrip(make, true);
  }
}

TEST(OptimizerState, PyTorchLayout) {
  torch::Tensor a = torch::ones({2}, torch::requires_grad()), b = torch::ones({3}, torch::requires_grad());
  AdamOptions o;
  auto opt = makeAdam({ParamGroup{{a}, {}}, ParamGroup{{b}, {{"weight_decay", 0.5}}}}, o);
  a.mutable_grad() = torch::ones({2});
  opt->step();  // b has no gradient: no state for it
  opt->setInitialLr(1, 0.125);
  auto st = opt->state();
  auto perParam = st.at("state").toGenericDict();
  ASSERT_EQ(perParam.size(), 1u);
  auto s0 = perParam.at(int64_t{0}).toGenericDict();
  EXPECT_EQ(s0.at("step").toTensor().item<double>(), 1.0);
  EXPECT_EQ(s0.at("exp_avg").toTensor().sizes(), torch::IntArrayRef({2}));
  auto groups = st.at("param_groups").toList();
  ASSERT_EQ(groups.size(), 2u);
  auto g1 = groups.get(1).toGenericDict();
  EXPECT_DOUBLE_EQ(g1.at("weight_decay").toDouble(), 0.5);
  EXPECT_DOUBLE_EQ(g1.at("initial_lr").toDouble(), 0.125);
  EXPECT_EQ(g1.at("params").toList().get(0).toInt(), 1);
  EXPECT_FALSE(groups.get(0).toGenericDict().contains("initial_lr"));
}

TEST(OptimizerState, MismatchedStateIsAnInputError) {
  torch::Tensor a = torch::ones({2}, torch::requires_grad());
  SGDOptions o;
  o.lr = 0.1;
  o.momentum = 0.9;
  auto opt = makeSGD({ParamGroup{{a}, {}}}, o);
  a.mutable_grad() = torch::ones({2});
  opt->step();
  auto st = opt->state();
  torch::Tensor c = torch::ones({3}, torch::requires_grad());
  auto other = makeSGD({ParamGroup{{c}, {}}}, o);
  EXPECT_THROW(other->loadState(st), InputError);  // shape
  auto two = makeSGD({ParamGroup{{c}, {}}, ParamGroup{{a}, {}}}, o);
  EXPECT_THROW(two->loadState(st), InputError);  // group count
  EXPECT_THROW(opt->loadState(c10::impl::GenericDict(c10::StringType::get(), c10::AnyType::get())),
               InputError);
}

}  // namespace
}  // namespace fmcib::optim
