// Gradient averaging, parameter broadcast, the differentiable all-reduce and SyncBatchNorm in a
// world of threads (exact collectives), against single-process computations.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "fmcib/dist/all_gather.hpp"
#include "fmcib/dist/grad_reducer.hpp"
#include "fmcib/models/batch_norm.hpp"
#include "thread_world.hpp"

using fmcib::test::ThreadWorld;

TEST(GradientReducer, AveragesOverRanksInSizeBoundBuckets) {
  auto world = std::make_shared<ThreadWorld>(2);
  world->run([](int rank, const fmcib::dist::CommunicatorPtr& comm) {
    // 3 parameters of 400, 400 and 40 bytes; an 800-byte budget gives buckets {2, 1} and {0}.
    std::vector<at::Tensor> params{torch::zeros({100}).requires_grad_(), torch::zeros({100}).requires_grad_(),
                                   torch::zeros({10}).requires_grad_()};
    for (size_t k = 0; k < params.size(); ++k)
      params[k].mutable_grad() = torch::full_like(params[k], static_cast<double>((rank + 1) * (k + 1)));
    fmcib::dist::GradientReducer reducer(params, comm, 800);
    ASSERT_EQ(reducer.buckets().size(), 2u);
    EXPECT_EQ(reducer.buckets()[0], (std::vector<size_t>{2, 1}));
    EXPECT_EQ(reducer.buckets()[1], (std::vector<size_t>{0}));
    reducer.reduce();
    for (size_t k = 0; k < params.size(); ++k)  // mean of (k+1) and 2(k+1)
      EXPECT_TRUE(torch::allclose(params[k].grad(), torch::full_like(params[k], 1.5 * (k + 1))));
  });
}

TEST(GradientReducer, ParameterWithoutGradientAnywhereKeepsNone) {
  auto world = std::make_shared<ThreadWorld>(2);
  world->run([](int rank, const fmcib::dist::CommunicatorPtr& comm) {
    std::vector<at::Tensor> params{torch::zeros({3}).requires_grad_(), torch::zeros({3}).requires_grad_(),
                                   torch::zeros({3}).requires_grad_()};
    params[0].mutable_grad() = torch::full({3}, 2.0);
    if (rank == 1) params[1].mutable_grad() = torch::full({3}, 4.0);  // used on one rank only
    fmcib::dist::GradientReducer reducer(params, comm);
    reducer.reduce();
    EXPECT_TRUE(torch::allclose(params[0].grad(), torch::full({3}, 2.0)));
    ASSERT_TRUE(params[1].grad().defined());
    EXPECT_TRUE(torch::allclose(params[1].grad(), torch::full({3}, 2.0)));
    EXPECT_FALSE(params[2].grad().defined());
  });
}

TEST(BroadcastTensors, RankZeroValuesEverywhere) {
  auto world = std::make_shared<ThreadWorld>(3);
  world->run([](int rank, const fmcib::dist::CommunicatorPtr& comm) {
    std::vector<at::Tensor> state{torch::full({2, 2}, rank * 1.0), torch::full({3}, rank * 10.0),
                                  torch::tensor({static_cast<int64_t>(rank)}, torch::kLong)};
    fmcib::dist::broadcastTensors(state, comm, 0);
    EXPECT_TRUE(torch::equal(state[0], torch::zeros({2, 2})));
    EXPECT_TRUE(torch::equal(state[1], torch::zeros({3})));
    EXPECT_EQ(state[2].item<int64_t>(), 0);
  });
}

TEST(AllReduceSumWithGrad, BackwardSumsGradientsOverRanks) {
  auto world = std::make_shared<ThreadWorld>(2);
  world->run([](int rank, const fmcib::dist::CommunicatorPtr& comm) {
    at::Tensor x = torch::tensor({1.0 + rank, 2.0}).requires_grad_();
    at::Tensor s = fmcib::dist::allReduceSumWithGrad(x, comm);
    EXPECT_TRUE(torch::allclose(s, torch::tensor({3.0, 4.0})));
    // loss_r = (r + 1) * Σ s  →  d(Σ_r loss_r)/dx = 1 + 2 = 3 on every rank.
    ((rank + 1.0) * s.sum()).backward();
    EXPECT_TRUE(torch::allclose(x.grad(), torch::full({2}, 3.0)));
  });
}

TEST(SyncBatchNorm, TwoRanksEqualOneBatchNormOverTheConcatenatedBatch) {
  torch::manual_seed(3);
  const at::Tensor x = torch::randn({4, 3, 2, 3, 2}) * 2 + 1;  // ranks get 3 and 1 items
  const at::Tensor r = torch::randn({4, 3, 2, 3, 2});
  fmcib::models::BatchNorm3d single(3);
  {
    torch::NoGradGuard g;
    single->weight.copy_(torch::tensor({0.5, 1.0, 2.0}));
    single->bias.copy_(torch::tensor({0.1, -0.2, 0.3}));
  }
  at::Tensor xs = x.clone().requires_grad_();
  at::Tensor ys = single->forward(xs);
  (ys * r).sum().backward();

  auto world = std::make_shared<ThreadWorld>(2);
  std::vector<at::Tensor> weightGrads(2), biasGrads(2);
  world->run([&](int rank, const fmcib::dist::CommunicatorPtr& comm) {
    fmcib::models::BatchNorm3d bn(3);
    {
      torch::NoGradGuard g;
      bn->weight.copy_(torch::tensor({0.5, 1.0, 2.0}));
      bn->bias.copy_(torch::tensor({0.1, -0.2, 0.3}));
    }
    EXPECT_EQ(fmcib::models::setSyncBatchNorm(*bn, comm), 1);
    const int64_t start = rank == 0 ? 0 : 3, len = rank == 0 ? 3 : 1;
    at::Tensor xr = x.narrow(0, start, len).clone().requires_grad_();
    at::Tensor yr = bn->forward(xr);
    EXPECT_TRUE(torch::allclose(yr, ys.narrow(0, start, len).detach(), 1e-5, 1e-5));
    (yr * r.narrow(0, start, len)).sum().backward();
    EXPECT_TRUE(torch::allclose(xr.grad(), xs.grad().narrow(0, start, len), 1e-4, 1e-5));
    EXPECT_TRUE(torch::allclose(bn->running_mean, single->running_mean, 1e-5, 1e-6));
    EXPECT_TRUE(torch::allclose(bn->running_var, single->running_var, 1e-5, 1e-6));
    weightGrads[rank] = bn->weight.grad().clone();
    biasGrads[rank] = bn->bias.grad().clone();
  });
  // Parameter gradients add up over ranks to the single-process ones (DDP then averages them).
  EXPECT_TRUE(torch::allclose(weightGrads[0] + weightGrads[1], single->weight.grad(), 1e-4, 1e-5));
  EXPECT_TRUE(torch::allclose(biasGrads[0] + biasGrads[1], single->bias.grad(), 1e-4, 1e-5));
}

TEST(SyncBatchNorm, EvalModeUsesRunningStatistics) {
  fmcib::models::BatchNorm3d bn(2);
  bn->eval();
  {
    torch::NoGradGuard g;
    bn->running_mean.copy_(torch::tensor({1.0, -1.0}));
    bn->running_var.copy_(torch::tensor({4.0, 1.0}));
  }
  at::Tensor y = bn->forward(torch::ones({1, 2, 1, 1, 1}));
  EXPECT_NEAR(y[0][0].item<double>(), 0.0, 1e-6);
  EXPECT_NEAR(y[0][1].item<double>(), 2.0 / std::sqrt(1.0 + 1e-5), 1e-5);
}
