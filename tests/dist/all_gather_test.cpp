#include "fmcib/dist/all_gather.hpp"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "dist/thread_world.hpp"
#include "fmcib/config/error.hpp"

namespace fmcib::dist {
namespace {

TEST(AllGatherWithGrad, SingleProcessIsIdentityWithGradient) {
  auto comm = std::make_shared<SingleProcessCommunicator>();
  torch::Tensor x = torch::randn({3, 4}, torch::requires_grad());
  auto parts = allGatherWithGrad(x, comm);
  ASSERT_EQ(parts.size(), 1u);
  EXPECT_TRUE(torch::equal(parts[0], x));
  EXPECT_FALSE(parts[0].is_same(x));  // a fresh tensor, not an alias of the input
  torch::Tensor w = torch::randn({3, 4});
  (parts[0] * w).sum().backward();
  EXPECT_TRUE(torch::allclose(x.grad(), w));
}

// Rank r holds x_r = 10 r + arange; its loss is <cat(gather), W_r>. Returns each rank's gathered
// tensor and input gradient.
std::pair<std::vector<torch::Tensor>, std::vector<torch::Tensor>> weightedWorldOfThree(
    const std::vector<torch::Tensor>& weights, GatherBackward backward) {
  const int world = 3;
  std::vector<torch::Tensor> grads(world), gathered(world);
  auto tw = std::make_shared<test::ThreadWorld>(world);
  tw->run([&](int rank, const CommunicatorPtr& comm) {
    torch::Tensor x = (torch::arange(6, torch::kFloat).reshape({2, 3}) + 10.0 * rank).requires_grad_();
    torch::Tensor all = allGatherCat(x, comm, backward);
    gathered[rank] = all.detach();
    (all * weights[rank]).sum().backward();
    grads[rank] = x.grad().clone();
  });
  return {gathered, grads};
}

std::vector<torch::Tensor> randomWeights(int world) {
  std::vector<torch::Tensor> weights;
  for (int r = 0; r < world; ++r) weights.push_back(torch::randn({world * 2, 3}));
  return weights;
}

TEST(AllGatherWithGrad, AllReduceBackwardSumsGradientsAndKeepsOwnSlice) {
  // d(Σ_s loss_s)/d x_r = Σ_s W_s[rows of r], which each rank must receive (lightly >= 1.5.4).
  const std::vector<torch::Tensor> weights = randomWeights(3);
  auto [gathered, grads] = weightedWorldOfThree(weights, GatherBackward::kAllReduce);
  torch::Tensor expectedAll = torch::cat({torch::arange(6, torch::kFloat).reshape({2, 3}),
                                          torch::arange(6, torch::kFloat).reshape({2, 3}) + 10,
                                          torch::arange(6, torch::kFloat).reshape({2, 3}) + 20});
  torch::Tensor wsum = weights[0] + weights[1] + weights[2];
  for (int r = 0; r < 3; ++r) {
    EXPECT_TRUE(torch::equal(gathered[r], expectedAll)) << "rank " << r;
    EXPECT_TRUE(torch::allclose(grads[r], wsum.slice(0, 2 * r, 2 * r + 2), 1e-6, 1e-6)) << "rank " << r;
  }
}

TEST(AllGatherWithGrad, OwnBackwardKeepsOnlyTheRanksOwnLoss) {
  // lightly 1.4.19 (the default): d(loss_r)/d x_r through rank r's own slice = W_r[rows of r].
  const std::vector<torch::Tensor> weights = randomWeights(3);
  auto [gathered, grads] = weightedWorldOfThree(weights, GatherBackward::kOwn);
  for (int r = 0; r < 3; ++r) {
    EXPECT_TRUE(torch::allclose(gathered[r].slice(0, 2 * r, 2 * r + 2),
                                torch::arange(6, torch::kFloat).reshape({2, 3}) + 10.0 * r))
        << "rank " << r;
    EXPECT_TRUE(torch::equal(grads[r], weights[r].slice(0, 2 * r, 2 * r + 2))) << "rank " << r;
  }
}

TEST(AllGatherWithGrad, UnusedOutputsCountAsZeroGradient) {
  // Rank r's loss uses only rank (r+1)%2's slice. All-reduced: rank r's input gets exactly the
  // other rank's weight on its own rows. Own (lightly 1.4.19): nothing at all.
  for (GatherBackward backward : {GatherBackward::kAllReduce, GatherBackward::kOwn}) {
    auto tw = std::make_shared<test::ThreadWorld>(2);
    std::vector<torch::Tensor> grads(2);
    tw->run([&](int rank, const CommunicatorPtr& comm) {
      torch::Tensor x = torch::ones({2, 2}).requires_grad_();
      auto parts = allGatherWithGrad(x, comm, backward);
      ((rank + 1.0) * parts[(rank + 1) % 2]).sum().backward();
      grads[rank] = x.grad().clone();
    });
    const bool all = backward == GatherBackward::kAllReduce;
    EXPECT_TRUE(torch::allclose(grads[0], torch::full({2, 2}, all ? 2.0 : 0.0)))
        << gatherBackwardName(backward);
    EXPECT_TRUE(torch::allclose(grads[1], torch::full({2, 2}, all ? 1.0 : 0.0)))
        << gatherBackwardName(backward);
  }
}

TEST(AllGatherWithGrad, GatherBackwardNames) {
  EXPECT_EQ(parseGatherBackward("own"), GatherBackward::kOwn);
  EXPECT_EQ(parseGatherBackward("all_reduce"), GatherBackward::kAllReduce);
  EXPECT_STREQ(gatherBackwardName(GatherBackward::kAllReduce), "all_reduce");
  EXPECT_THROW(parseGatherBackward("sum"), ConfigError);
}

TEST(AllGatherWithGrad, NoGradInputStillGathers) {
  auto tw = std::make_shared<test::ThreadWorld>(2);
  std::vector<torch::Tensor> out(2);
  tw->run([&](int rank, const CommunicatorPtr& comm) {
    torch::NoGradGuard guard;
    out[rank] = allGatherCat(torch::full({1, 2}, double(rank)), comm);
  });
  for (int r = 0; r < 2; ++r) {
    EXPECT_TRUE(torch::equal(out[r], torch::tensor({{0.f, 0.f}, {1.f, 1.f}})));
    EXPECT_FALSE(out[r].requires_grad());
  }
}

}  // namespace
}  // namespace fmcib::dist
