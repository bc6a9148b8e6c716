#include "fmcib/optim/scheduler.hpp"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

#include "fmcib/config/error.hpp"

namespace fmcib::optim {
namespace {

constexpr double kPi = 3.14159265358979323846;

struct TwoGroups {
  std::vector<torch::Tensor> params{torch::zeros({2}, torch::requires_grad()),
                                    torch::zeros({1}, torch::requires_grad())};
  OptimizerPtr opt;
  explicit TwoGroups(double lr0 = 0.5, double lr1 = 0.2) {
    SGDOptions o;
    o.lr = lr0;
    opt = makeSGD({ParamGroup{{params[0]}, {}}, ParamGroup{{params[1]}, {{"lr", lr1}}}}, o);
  }
};

/// lrs of group `g` at epochs 0..n (after construction and each step).
std::vector<double> trace(Scheduler& s, const Optimizer& opt, int n, size_t g = 0) {
  std::vector<double> out{opt.lr(g)};
  for (int i = 0; i < n; ++i) {
    s.step();
    out.push_back(opt.lr(g));
    EXPECT_DOUBLE_EQ(s.lastLr()[g], opt.lr(g));
  }
  return out;
}

void expectSeq(const std::vector<double>& got, const std::function<double(int)>& expected,
               double tol = 1e-12) {
  for (size_t e = 0; e < got.size(); ++e) EXPECT_NEAR(got[e], expected(int(e)), tol) << "epoch " << e;
}

TEST(CosineAnnealingLR, FollowsTheClosedFormOverSeveralPeriods) {
  TwoGroups s;
  CosineAnnealingLR sched(s.opt, 10, 0.01);
  EXPECT_EQ(*s.opt->initialLr(0), 0.5);
  auto lrs = trace(sched, *s.opt, 35);
  expectSeq(lrs, [](int e) { return 0.01 + (0.5 - 0.01) * (1 + std::cos(kPi * e / 10)) / 2; });
  // Group 1 anneals from its own base lr.
  TwoGroups s2;
  CosineAnnealingLR sched2(s2.opt, 4);
  auto g1 = trace(sched2, *s2.opt, 12, 1);
  expectSeq(g1, [](int e) { return 0.2 * (1 + std::cos(kPi * e / 4)) / 2; });
}

TEST(StepLR, DecaysEveryStepSize) {
  TwoGroups s;
  StepLR sched(s.opt, 3, 0.5);
  expectSeq(trace(sched, *s.opt, 10), [](int e) { return 0.5 * std::pow(0.5, e / 3); });
}

TEST(MultiStepLR, DecaysAtEachMilestoneOccurrence) {
  TwoGroups s;
  MultiStepLR sched(s.opt, {6, 2, 6}, 0.1);  // unsorted, 6 twice
  expectSeq(trace(sched, *s.opt, 9), [](int e) { return 0.5 * std::pow(0.1, (e >= 2) + 2 * (e >= 6)); });
}

TEST(LinearLR, RampsFromStartToEndFactor) {
  TwoGroups s;
  LinearLR sched(s.opt, 0.25, 1.0, 4);
  expectSeq(trace(sched, *s.opt, 8), [](int e) { return 0.5 * (0.25 + 0.75 * std::min(e, 4) / 4.0); });
  TwoGroups d;
  LinearLR down(d.opt, 1.0, 0.1, 3);
  expectSeq(trace(down, *d.opt, 5), [](int e) { return 0.5 * (1.0 - 0.9 * std::min(e, 3) / 3.0); });
  EXPECT_THROW(LinearLR(d.opt, 1.5), ConfigError);
}

TEST(SequentialLR, WarmupThenCosineAsPyTorch) {
  TwoGroups s;
  auto warm = std::make_shared<LinearLR>(s.opt, 0.25, 1.0, 3);
  auto cosine = std::make_shared<CosineAnnealingLR>(s.opt, 6, 0.01);
  SequentialLR seq(s.opt, {warm, cosine}, {4});
  auto lrs = trace(seq, *s.opt, 12);
  // PyTorch 1.13.1's sequence for this setup (lr 0.5).
  const std::vector<double> torch113{0.125,
                                     0.25,
                                     0.375,
                                     0.5,
                                     0.5,
                                     0.4671762239271875,
                                     0.3775,
                                     0.255,
                                     0.13250000000000006,
                                     0.04282377607281252,
                                     0.01,
                                     0.04282377607281252,
                                     0.1325};
  ASSERT_EQ(lrs.size(), torch113.size());
  for (size_t e = 0; e < lrs.size(); ++e) EXPECT_NEAR(lrs[e], torch113[e], 1e-15) << e;
  auto st = seq.state();
  EXPECT_EQ(st.at("last_epoch").toInt(), 12);
  auto children = st.at("_schedulers").toList();
  EXPECT_EQ(children.get(0).toGenericDict().at("last_epoch").toInt(), 3);
  EXPECT_EQ(children.get(0).toGenericDict().at("_step_count").toInt(), 4);
  EXPECT_EQ(children.get(1).toGenericDict().at("last_epoch").toInt(), 8);
  EXPECT_EQ(children.get(1).toGenericDict().at("_step_count").toInt(), 10);
}

TEST(SequentialLR, RejectsForeignSchedulersAndBadMilestones) {
  TwoGroups a, b;
  auto sa = std::make_shared<StepLR>(a.opt, 2);
  auto sb = std::make_shared<StepLR>(b.opt, 2);
  EXPECT_THROW(SequentialLR(a.opt, {sa, sb}, {3}), ConfigError);
  auto sa2 = std::make_shared<StepLR>(a.opt, 3);
  EXPECT_THROW(SequentialLR(a.opt, {sa, sa2}, {}), ConfigError);
}

TEST(SchedulerState, RoundTripResumesTheSequence) {
  auto build = [](TwoGroups& s) {
    auto warm = std::make_shared<LinearLR>(s.opt, 0.5, 1.0, 2);
    auto cosine = std::make_shared<CosineAnnealingLR>(s.opt, 5, 0.0);
    return std::make_shared<SequentialLR>(s.opt, std::vector<SchedulerPtr>{warm, cosine},
                                          std::vector<int64_t>{3});
  };
  TwoGroups a, b;
  auto sa = build(a);
  auto sb = build(b);
  for (int i = 0; i < 5; ++i) sa->step();
  // Resume: optimizer state (with the current lrs and initial_lr) and scheduler state.
  b.opt->loadState(a.opt->state());
  sb->loadState(sa->state());
  EXPECT_EQ(sb->lastEpoch(), sa->lastEpoch());
  for (int i = 0; i < 6; ++i) {
    sa->step();
    sb->step();
    EXPECT_DOUBLE_EQ(b.opt->lr(0), a.opt->lr(0)) << i;
    EXPECT_DOUBLE_EQ(b.opt->lr(1), a.opt->lr(1)) << i;
  }
  TwoGroups c;
  StepLR plain(c.opt, 2);
  EXPECT_THROW(plain.loadState(sa->state()), InputError);
}

TEST(SchedulerState, PyTorchKeysAndResumeWithLastEpoch) {
  TwoGroups s;
  CosineAnnealingLR sched(s.opt, 8, 0.0);
  for (int i = 0; i < 3; ++i) sched.step();
  auto st = sched.state();
  for (const char* k : {"T_max", "eta_min", "base_lrs", "last_epoch", "_step_count", "_last_lr"})
    EXPECT_TRUE(st.contains(k)) << k;
  EXPECT_EQ(st.at("last_epoch").toInt(), 3);
  EXPECT_EQ(st.at("_step_count").toInt(), 4);
  // A scheduler created with last_epoch continues from the closed form (initial_lr is set).
  CosineAnnealingLR resumed(s.opt, 8, 0.0, 3);
  EXPECT_NEAR(s.opt->lr(0), 0.5 * (1 + std::cos(kPi * 4 / 8)) / 2, 1e-12);
  TwoGroups fresh;
  EXPECT_THROW(CosineAnnealingLR(fresh.opt, 8, 0.0, 3), ConfigError);  // no initial_lr yet
}

}  // namespace
}  // namespace fmcib::optim
