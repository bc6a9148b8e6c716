// The probe's metrics against scikit-learn on a 3-class example with a tied row.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

#include "fmcib/probe/classification_metrics.hpp"
#include "probe/probe_reference.hpp"

namespace fmcib::probe {
namespace {

torch::Tensor matrix(const YAML::Node& rows) {
  std::vector<double> flat;
  int64_t n = 0, k = 0;
  for (const auto& row : rows) {
    const auto v = test::asVector<double>(row);
    k = static_cast<int64_t>(v.size());
    flat.insert(flat.end(), v.begin(), v.end());
    ++n;
  }
  return torch::tensor(flat, torch::kDouble).reshape({n, k});
}

TEST(ClassificationMetrics, MulticlassMatchesScikitLearn) {
  const YAML::Node& ref = test::protocolReference()["metrics3"];
  const torch::Tensor proba = matrix(ref["proba"]);
  const auto targets = test::asVector<int64_t>(ref["targets"]);
  EXPECT_NEAR(macroAveragePrecision(proba, targets), ref["map"].as<double>(), 1e-12);
  EXPECT_NEAR(macroAurocOvr(proba, targets), ref["auroc_ovr"].as<double>(), 1e-12);
  EXPECT_NEAR(balancedAccuracy(targets, argmaxRows(proba), 3), ref["balanced_accuracy"].as<double>(), 1e-12);
}

TEST(ClassificationMetrics, BalancedAccuracyIsTheMeanRecallOverPresentClasses) {
  // Recalls: class 0 2/3, class 1 1/1; class 2 never occurs in the targets (only predicted).
  EXPECT_NEAR(balancedAccuracy({0, 0, 0, 1}, {0, 0, 2, 1}, 3), (2.0 / 3 + 1) / 2, 1e-15);
  EXPECT_TRUE(std::isnan(balancedAccuracy({}, {}, 2)));
}

TEST(ClassificationMetrics, BinaryMetricsUseTheSecondClass) {
  const torch::Tensor proba =
      torch::tensor({0.9, 0.1, 0.4, 0.6, 0.3, 0.7, 0.8, 0.2}, torch::kDouble).reshape({4, 2});
  // Second-class scores .1 .6 .7 .2; positives (.6, .2) beat the negatives (.1, .7) in 2 of 4 pairs.
  const std::vector<int64_t> targets = {0, 1, 0, 1};
  EXPECT_DOUBLE_EQ(auroc(proba, targets), 0.5);
  // Ranked .7 (neg) .6 (pos) .2 (pos): precision 1/2 at recall 1/2, 2/3 at recall 1.
  EXPECT_NEAR(averagePrecision(proba, targets), 0.5 * 0.5 + 0.5 * 2.0 / 3, 1e-15);
  EXPECT_DOUBLE_EQ(balancedAccuracy(targets, argmaxRows(proba), 2), 0.5);
}

TEST(ClassificationMetrics, ArgmaxTakesTheFirstOfTiedClasses) {
  const torch::Tensor proba = torch::tensor({0.4, 0.4, 0.2, 0.1, 0.45, 0.45}, torch::kDouble).reshape({2, 3});
  EXPECT_EQ(argmaxRows(proba), (std::vector<int64_t>{0, 1}));
}

TEST(ClassificationMetrics, ClassesMissingFromTheTargetsAreLeftOut) {
  const torch::Tensor proba =
      torch::tensor({0.7, 0.2, 0.1, 0.2, 0.7, 0.1, 0.6, 0.3, 0.1}, torch::kDouble).reshape({3, 3});
  // Class 2 has no rows: the macro averages run over classes 0 and 1 (both perfectly ranked).
  EXPECT_DOUBLE_EQ(macroAveragePrecision(proba, {0, 1, 0}), 1.0);
  EXPECT_DOUBLE_EQ(macroAurocOvr(proba, {0, 1, 0}), 1.0);
  EXPECT_TRUE(std::isnan(auroc(torch::tensor({0.5, 0.5}, torch::kDouble).reshape({1, 2}), {1})));
}

}  // namespace
}  // namespace fmcib::probe
