#include "fmcib/losses/supervised.hpp"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "fmcib/config/error.hpp"

namespace fmcib::losses {
namespace {

TEST(CrossEntropyLoss, MeanOfNegativeLogSoftmaxAtTheLabel) {
  torch::Tensor x = torch::tensor({{2.0, 0.5, -1.0}, {0.1, 0.2, 0.3}});
  torch::Tensor y = torch::tensor({0, 2});
  CrossEntropyLoss ce;
  torch::Tensor lsm = torch::log_softmax(x, 1);
  double expected = -(lsm[0][0].item<double>() + lsm[1][2].item<double>()) / 2;
  EXPECT_NEAR(ce.forward(x, y).item<double>(), expected, 1e-6);
  // Labels that arrive as floats are class indices too.
  EXPECT_NEAR(ce.forward(x, y.to(torch::kFloat)).item<double>(), expected, 1e-6);
}

TEST(CrossEntropyLoss, WeightsIgnoreIndexAndReductions) {
  torch::Tensor x = torch::tensor({{2.0, 0.5, -1.0}, {0.1, 0.2, 0.3}, {1.0, 1.0, 0.0}});
  torch::Tensor y = torch::tensor({0, 2, 1});
  torch::Tensor w = torch::tensor({1.0, 2.0, 3.0});
  torch::Tensor lsm = torch::log_softmax(x, 1);
  double l0 = -lsm[0][0].item<double>(), l1 = -lsm[1][2].item<double>(), l2 = -lsm[2][1].item<double>();
  // PyTorch's weighted mean divides by the sum of the weights of the counted samples.
  EXPECT_NEAR(CrossEntropyLoss(w).forward(x, y).item<double>(), (1 * l0 + 3 * l1 + 2 * l2) / 6, 1e-6);
  EXPECT_NEAR(CrossEntropyLoss(w, 2).forward(x, y).item<double>(), (1 * l0 + 2 * l2) / 3, 1e-6);
  EXPECT_NEAR(CrossEntropyLoss({}, -100, Reduction::Sum).forward(x, y).item<double>(), l0 + l1 + l2, 1e-5);
  torch::Tensor none = CrossEntropyLoss({}, -100, Reduction::None).forward(x, y);
  EXPECT_TRUE(torch::allclose(none, torch::tensor({l0, l1, l2}, torch::kFloat), 1e-5, 1e-6));
}

TEST(CrossEntropyLoss, LabelSmoothingAndProbabilityTargets) {
  torch::Tensor x = torch::tensor({{2.0, 0.5, -1.0}, {0.1, 0.2, 0.3}});
  torch::Tensor y = torch::tensor({0, 2});
  torch::Tensor lsm = torch::log_softmax(x, 1);
  const double eps = 0.2;
  // (1 - ε)·nll + ε·mean over classes of -log p.
  double expected = 0;
  for (int i = 0; i < 2; ++i)
    expected +=
        (1 - eps) * -lsm[i][y[i].item<int64_t>()].item<double>() + eps * -lsm[i].mean().item<double>();
  EXPECT_NEAR(CrossEntropyLoss({}, -100, Reduction::Mean, eps).forward(x, y).item<double>(), expected / 2,
              1e-6);
  torch::Tensor probs = torch::tensor({{0.5, 0.5, 0.0}, {0.0, 0.25, 0.75}});
  double pexp = -((probs * lsm).sum(1)).mean().item<double>();
  EXPECT_NEAR(CrossEntropyLoss().forward(x, probs).item<double>(), pexp, 1e-6);
  EXPECT_THROW(CrossEntropyLoss({}, -100, Reduction::Mean, 1.5), ConfigError);
  EXPECT_THROW(CrossEntropyLoss().forward(x, torch::tensor({{0}, {1}})), InputError);
}

TEST(BCEWithLogitsLoss, PosWeightWeightAndReductions) {
  torch::Tensor x = torch::tensor({{0.3, -1.2}, {2.0, 0.0}});
  torch::Tensor y = torch::tensor({{1, 0}, {0, 1}});
  torch::Tensor pw = torch::tensor({3.0, 0.5});
  torch::Tensor w = torch::tensor({1.0, 2.0});
  torch::Tensor yf = y.to(torch::kFloat);
  torch::Tensor s = torch::sigmoid(x);
  torch::Tensor elem = -(pw * yf * torch::log(s) + (1 - yf) * torch::log(1 - s)) * w;
  EXPECT_NEAR(BCEWithLogitsLoss(w, Reduction::Mean, pw).forward(x, y).item<double>(),
              elem.mean().item<double>(), 1e-5);
  EXPECT_NEAR(BCEWithLogitsLoss(w, Reduction::Sum, pw).forward(x, y).item<double>(),
              elem.sum().item<double>(), 1e-5);
  torch::Tensor plain = -(yf * torch::log(s) + (1 - yf) * torch::log(1 - s));
  EXPECT_TRUE(torch::allclose(BCEWithLogitsLoss({}, Reduction::None).forward(x, yf), plain, 1e-5, 1e-6));
  EXPECT_THROW(BCEWithLogitsLoss().forward(x, yf.flatten()), InputError);
  EXPECT_THROW(BCEWithLogitsLoss().forwardViews({}), RuntimeError);
}

TEST(Supervised, GradientsFlowAndWeightsMoveWithTheModule) {
  torch::Tensor x = torch::randn({4, 3}, torch::requires_grad());
  CrossEntropyLoss ce(torch::tensor({1.0, 1.0, 2.0}));
  ce.forward(x, torch::tensor({0, 1, 2, 2})).backward();
  ASSERT_TRUE(x.grad().defined());
  // Softmax gradients of each row sum to zero.
  EXPECT_TRUE(torch::allclose(x.grad().sum(1), torch::zeros({4}), 1e-6, 1e-6));
  EXPECT_EQ(ce.named_buffers().size(), 1u);
  EXPECT_EQ(parseReduction("sum"), Reduction::Sum);
  EXPECT_THROW(parseReduction("avg"), ConfigError);
}

}  // namespace
}  // namespace fmcib::losses
