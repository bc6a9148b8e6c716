#include "fmcib/losses/contrastive.hpp"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <memory>
#include <optional>

#include "dist/thread_world.hpp"
#include "fmcib/config/error.hpp"
#include "losses/fixture_dict.hpp"

namespace fmcib::losses {
namespace {

const char* kViews[] = {"pos0", "pos1", "neg0", "neg1"};

struct Inputs {
  std::vector<torch::Tensor> x;  // pos0, pos1, neg0, neg1 (leaves with requires_grad)
  Embeddings views() const { return {{"positive", {x[0], x[1]}}, {"negative", {x[2], x[3]}}}; }
};

Inputs inputs(const test::FixtureDict& f, const std::string& prefix) {
  Inputs in;
  for (const char* v : kViews) in.x.push_back(f[prefix + v].clone().requires_grad_());
  return in;
}

void expectClose(const torch::Tensor& a, const torch::Tensor& b, const std::string& what) {
  ASSERT_EQ(a.sizes(), b.sizes()) << what;
  EXPECT_TRUE(torch::allclose(a, b, 1e-4, 1e-5))
      << what << ": max diff " << (a - b).abs().max().item<double>();
}

TEST(NTXentNegativeMinedLoss, MatchesReferenceValueAndGradients) {
  test::FixtureDict f("losses.pt");
  Inputs in = inputs(f, "ntxent_mined.");
  NTXentNegativeMinedLoss loss(0.1, false);
  torch::Tensor l = loss.forwardViews(in.views());
  expectClose(l, f["ntxent_mined.loss"], "loss");
  l.backward();
  for (int i = 0; i < 4; ++i)
    expectClose(in.x[i].grad(), f[std::string("ntxent_mined.grad_") + kViews[i]], kViews[i]);
}

TEST(NegativeMiningInfoNCECriterion, MatchesReferenceValueAndGradients) {
  test::FixtureDict f("losses.pt");
  Inputs in = inputs(f, "infonce.");
  NegativeMiningInfoNCECriterion loss(16, 6, 1, false, 0.1);
  torch::Tensor l = loss.forwardViews(in.views());
  expectClose(l, f["infonce.loss"], "loss");
  l.backward();
  for (int i = 0; i < 4; ++i)
    expectClose(in.x[i].grad(), f[std::string("infonce.grad_") + kViews[i]], kViews[i]);
}

TEST(NegativeMiningInfoNCECriterion, GatherWithWorldOneIsTheSingleProcessLoss) {
  test::FixtureDict f("losses.pt");
  Inputs in = inputs(f, "infonce.");
  NegativeMiningInfoNCECriterion loss(16, 6, 1, true, 0.1,
                                      std::make_shared<dist::SingleProcessCommunicator>());
  expectClose(loss.forwardViews(in.views()), f["infonce.loss"], "loss");
}

// A communicator that plays rank `rank` of 2 and returns the fixture's other rank for the gather
// (forward only: its backward all-reduce would need the other rank's gradients).
class FixtureComm : public dist::SingleProcessCommunicator {
 public:
  FixtureComm(int rank, torch::Tensor other) : rank_(rank), other_(std::move(other)) {}
  int rank() const override { return rank_; }
  int worldSize() const override { return 2; }
  std::vector<at::Tensor> allGather(const at::Tensor& t) override {
    return rank_ == 0 ? std::vector<at::Tensor>{t, other_} : std::vector<at::Tensor>{other_, t};
  }

 private:
  int rank_;
  torch::Tensor other_;
};

torch::Tensor normalizedCat(const test::FixtureDict& f, int rank) {
  std::vector<torch::Tensor> parts;
  for (const char* v : kViews) parts.push_back(f["infonce_w2.rank" + std::to_string(rank) + "." + v]);
  return torch::nn::functional::normalize(torch::cat(parts),
                                          torch::nn::functional::NormalizeFuncOptions().dim(1));
}

TEST(NegativeMiningInfoNCECriterion, WorldOfTwoLossesWithFixtureCommunicator) {
  test::FixtureDict f("losses.pt");
  for (int rank = 0; rank < 2; ++rank) {
    auto comm = std::make_shared<FixtureComm>(rank, normalizedCat(f, 1 - rank));
    NegativeMiningInfoNCECriterion loss(16, 6, 2, true, 0.1, comm);
    torch::NoGradGuard noGrad;
    Inputs in = inputs(f, "infonce_w2.rank" + std::to_string(rank) + ".");
    expectClose(loss.forwardViews(in.views()), f["infonce_w2.loss_rank" + std::to_string(rank)],
                "loss rank " + std::to_string(rank));
  }
}

// Both gather backwards over a thread world against the fixture: lightly 1.4.19's own-loss
// gradients (`grad_own_`, the default) and the all-reduced ones of lightly >= 1.5.4 (`grad_sum_`).
void expectWorldOfTwoFixture(std::optional<dist::GatherBackward> backward, const std::string& kind) {
  test::FixtureDict f("losses.pt");
  std::vector<torch::Tensor> losses(2);
  std::vector<std::vector<torch::Tensor>> grads(2);
  auto world = std::make_shared<test::ThreadWorld>(2);
  world->run([&](int rank, const dist::CommunicatorPtr& comm) {
    auto loss = backward
                    ? std::make_unique<NegativeMiningInfoNCECriterion>(16, 6, 2, true, 0.1, comm, *backward)
                    : std::make_unique<NegativeMiningInfoNCECriterion>(16, 6, 2, true, 0.1, comm);
    Inputs in = inputs(f, "infonce_w2.rank" + std::to_string(rank) + ".");
    torch::Tensor l = loss->forwardViews(in.views());
    l.backward();
    losses[rank] = l.detach();
    for (auto& x : in.x) grads[rank].push_back(x.grad());
  });
  for (int rank = 0; rank < 2; ++rank) {
    const std::string r = std::to_string(rank);
    expectClose(losses[rank], f["infonce_w2.loss_rank" + r], "loss rank " + r);
    for (int i = 0; i < 4; ++i)
      expectClose(grads[rank][i], f["infonce_w2.rank" + r + "." + kind + kViews[i]],
                  "grad rank " + r + " " + kind + kViews[i]);
  }
}

TEST(NegativeMiningInfoNCECriterion, WorldOfTwoDefaultsToLightly1419OwnGradients) {
  expectWorldOfTwoFixture(std::nullopt, "grad_own_");
  expectWorldOfTwoFixture(dist::GatherBackward::kOwn, "grad_own_");
}

TEST(NegativeMiningInfoNCECriterion, WorldOfTwoAllReducedGradients) {
  expectWorldOfTwoFixture(dist::GatherBackward::kAllReduce, "grad_sum_");
}

TEST(NegativeMiningInfoNCECriterion, TheTwoBackwardsDifferOnTheFixture) {
  // The fixture is only a test of the choice if the two variants really differ there.
  test::FixtureDict f("losses.pt");
  double most = 0;
  for (const char* r : {"0", "1"})
    for (const char* v : kViews)
      most = std::max(most, (f[std::string("infonce_w2.rank") + r + ".grad_own_" + v] -
                             f[std::string("infonce_w2.rank") + r + ".grad_sum_" + v])
                                .abs()
                                .max()
                                .item<double>());
  EXPECT_GT(most, 1e-2);
}

TEST(NegativeMiningInfoNCECriterion, MasksSelectOwnPairAndForeignNegatives) {
  // B = 2, world 2, rank 1: buffer blocks [p0 p0' p1 p1' n0 n0' n1 n1'] per rank, 8 columns each.
  auto [pos, neg] = NegativeMiningInfoNCECriterion::masks(2, 2, 1);
  ASSERT_EQ(pos.sizes(), torch::IntArrayRef({8, 16}));
  // pos0_0 of rank 1 (row 0) ↔ pos1_0 of rank 1 (column 8 + 2); pos1_1 (row 3) ↔ pos0_1 (column 9).
  EXPECT_EQ(pos[0][10].item<float>(), 1.0f);
  EXPECT_EQ(pos[3][9].item<float>(), 1.0f);
  EXPECT_TRUE(torch::equal(pos.sum(1), torch::tensor({1.f, 1.f, 1.f, 1.f, 0.f, 0.f, 0.f, 0.f})));
  // Negatives: all 8 negatives of both ranks but this rank's neg0_i / neg1_i → 6 per anchor row.
  EXPECT_TRUE(torch::equal(neg.sum(1), torch::tensor({6.f, 6.f, 6.f, 6.f, 0.f, 0.f, 0.f, 0.f})));
  EXPECT_EQ(neg[0][12].item<float>(), 0.0f);  // rank 1 neg0_0
  EXPECT_EQ(neg[0][14].item<float>(), 0.0f);  // rank 1 neg1_0
  EXPECT_EQ(neg[0][13].item<float>(), 1.0f);  // rank 1 neg0_1
  EXPECT_EQ(neg[0][4].item<float>(), 1.0f);   // rank 0 neg0_0 is a negative for every rank-1 anchor
  EXPECT_EQ(neg[2][12].item<float>(), 0.0f);  // pos1_0 anchor excludes the same two
  EXPECT_EQ((neg * pos).sum().item<float>(), 0.0f);
}

TEST(NegativeMiningInfoNCECriterion, BadBatchesAreClearErrors) {
  test::FixtureDict f("losses.pt");
  Inputs in = inputs(f, "infonce.");
  NegativeMiningInfoNCECriterion wrongBatch(16, 8, 1, false, 0.1);
  EXPECT_THROW(wrongBatch.forwardViews(in.views()), InputError);
  NegativeMiningInfoNCECriterion wrongDim(32, 6, 1, false, 0.1);
  EXPECT_THROW(wrongDim.forwardViews(in.views()), InputError);
  NegativeMiningInfoNCECriterion wrongWorld(16, 6, 2, false, 0.1);
  EXPECT_THROW(wrongWorld.forwardViews(in.views()), InputError);
  NegativeMiningInfoNCECriterion ok(16, 6, 1, false, 0.1);
  EXPECT_THROW(ok.forwardViews({{"positive", {in.x[0], in.x[1]}}}), InputError);
  EXPECT_THROW(ok.forward(in.x[0], in.x[1]), RuntimeError);
}

TEST(NTXentNegativeMinedLoss, IllegalTemperature) {
  EXPECT_THROW(NTXentNegativeMinedLoss(1e-9), ConfigError);
}

TEST(NTXentNegativeMinedLoss, EyeRankPutsTheDiagonalInTheRankBlock) {
  torch::Tensor m = eyeRank(3, 1, 3);
  ASSERT_EQ(m.sizes(), torch::IntArrayRef({3, 9}));
  EXPECT_EQ(m.sum().item<int64_t>(), 3);
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(m[i][3 + i].item<bool>());
}

// Rank r's loss written out directly from the gathered, normalized views of both ranks.
torch::Tensor ntxentReference(const std::vector<std::vector<torch::Tensor>>& ranks, int r, double t) {
  namespace F = torch::nn::functional;
  auto n = [](const torch::Tensor& x) { return F::normalize(x, F::NormalizeFuncOptions().dim(1)); };
  std::vector<torch::Tensor> neg0All, neg1All;
  for (const auto& v : ranks) {
    neg0All.push_back(n(v[2]));
    neg1All.push_back(n(v[3]));
  }
  torch::Tensor p0 = n(ranks[r][0]), p1 = n(ranks[r][1]);
  torch::Tensor pos01 = (p0 * p1).sum(1, true) / t;  // each sample's own positive pair
  torch::Tensor row0 = torch::cat({pos01, torch::mm(p0, torch::cat(neg0All).t()) / t}, 1);
  torch::Tensor row1 = torch::cat({pos01, torch::mm(p1, torch::cat(neg1All).t()) / t}, 1);
  torch::Tensor logits = torch::cat({row0, row1});
  return -torch::log_softmax(logits, 1).select(1, 0).mean();
}

// Both ranks' losses in one graph: each rank's inputs must hold d(loss_r)/d(its inputs) with the
// default (lightly 1.4.19) backward, d(loss0 + loss1)/d(its inputs) with all_reduce.
void expectNtxentWorldOfTwo(dist::GatherBackward backward) {
  torch::manual_seed(7);
  std::vector<std::vector<torch::Tensor>> data(2);
  for (auto& d : data)
    for (int i = 0; i < 4; ++i) d.push_back(torch::randn({5, 8}));

  std::vector<torch::Tensor> losses(2);
  std::vector<std::vector<torch::Tensor>> grads(2);
  auto world = std::make_shared<test::ThreadWorld>(2);
  world->run([&](int rank, const dist::CommunicatorPtr& comm) {
    std::vector<torch::Tensor> x;
    for (auto& t : data[rank]) x.push_back(t.clone().requires_grad_());
    NTXentNegativeMinedLoss loss(0.2, true, comm, backward);
    torch::Tensor l = loss.forwardViews({{"positive", {x[0], x[1]}}, {"negative", {x[2], x[3]}}});
    l.backward();
    losses[rank] = l.detach();
    for (auto& t : x) grads[rank].push_back(t.grad());
  });

  for (int r = 0; r < 2; ++r) {
    std::vector<std::vector<torch::Tensor>> leaves(2);
    for (int s = 0; s < 2; ++s)
      for (auto& t : data[s]) leaves[s].push_back(t.clone().requires_grad_());
    torch::Tensor l0 = ntxentReference(leaves, 0, 0.2), l1 = ntxentReference(leaves, 1, 0.2);
    expectClose(losses[r], (r == 0 ? l0 : l1).detach(), "loss rank " + std::to_string(r));
    if (backward == dist::GatherBackward::kAllReduce)
      (l0 + l1).backward();
    else
      (r == 0 ? l0 : l1).backward();
    for (int i = 0; i < 4; ++i)
      expectClose(grads[r][i], leaves[r][i].grad(),
                  std::string(dist::gatherBackwardName(backward)) + " grad " + std::to_string(r) + kViews[i]);
  }
}

TEST(NTXentNegativeMinedLoss, WorldOfTwoGathersWithGradient) {
  expectNtxentWorldOfTwo(dist::GatherBackward::kOwn);
  expectNtxentWorldOfTwo(dist::GatherBackward::kAllReduce);
}

}  // namespace
}  // namespace fmcib::losses
