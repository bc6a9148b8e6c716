// The probe against scikit-learn 1.2.1 (tests/fixtures/probe, README there): StandardScaler
// statistics, and LogisticRegression(C, random_state=42, max_iter=1000) coef, intercept and test
// probabilities for C = 0.01 and 1, binary and 5-class.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "fmcib/io/torch_file.hpp"
#include "fmcib/probe/feature_table.hpp"
#include "fmcib/probe/logistic_regression.hpp"
#include "fmcib/probe/scaler.hpp"
#include "support/paths.hpp"

namespace fmcib::probe {
namespace {

torch::Tensor reference(const std::string& key) {
  static const c10::IValue file = io::readTorchFile(fmcib::test::fixture("probe/probe.pt"));
  return file.toGenericDict().at(key).toTensor();
}

double maxDiff(const torch::Tensor& a, const torch::Tensor& b) {
  EXPECT_EQ(a.sizes(), b.sizes());
  return (a.to(torch::kDouble) - b.to(torch::kDouble)).abs().max().item<double>();
}

struct Task {
  FeatureTable train, test;
  ClassLabels classes;
  std::vector<int64_t> y;
  StandardScaler scaler;

  explicit Task(const std::string& name)
      : train(readFeatureTable(fmcib::test::fixture("probe/" + name + "_train.csv"), {"label", "pred"})),
        test(readFeatureTable(fmcib::test::fixture("probe/" + name + "_test.csv"),
                              {"label", "pred", train.featureNames, train.path})),
        classes(ClassLabels::fromTrainingLabels(train)),
        y(classes.encode(train)),
        scaler(StandardScaler::fit(train.features)) {}
};

std::string cKey(double C) {
  return C == 1.0 ? "C1.0" : "C0.01";
}

class ProbeFixture : public ::testing::TestWithParam<std::string> {};

TEST_P(ProbeFixture, ScalerMatchesStandardScaler) {
  const Task t(GetParam());
  EXPECT_LT(maxDiff(t.scaler.mean, reference(GetParam() + ".mean")), 1e-12);
  EXPECT_LT(maxDiff(t.scaler.scale, reference(GetParam() + ".scale")), 1e-12);
}

TEST_P(ProbeFixture, LbfgsMatchesScikitLearnStepForStep) {
  const Task t(GetParam());
  const LogisticTrainer trainer(t.scaler.transform(t.train.features), t.y, t.classes.size());
  const torch::Tensor Xtest = t.scaler.transform(t.test.features);
  for (double C : {0.01, 1.0}) {
    const std::string key = GetParam() + "." + cKey(C);
    LogisticOptions o;
    o.C = C;
    FitReport report;
    const LogisticModel model = trainer.fit(o, &report);
    EXPECT_TRUE(report.converged) << key << ": " << report.stop;
    // The brief's tolerance is 1e-4; the same algorithm lands within rounding of scikit-learn.
    EXPECT_LT(maxDiff(model.predictProba(Xtest), reference(key + ".proba")), 1e-6) << key;
    EXPECT_LT(maxDiff(model.coef, reference(key + ".coef")), 1e-6) << key;
    EXPECT_LT(maxDiff(model.intercept, reference(key + ".intercept")), 1e-6) << key;
  }
}

TEST_P(ProbeFixture, NewtonReachesTheOptimum) {
  const Task t(GetParam());
  const torch::Tensor Xtrain = t.scaler.transform(t.train.features);
  const LogisticTrainer trainer(Xtrain, t.y, t.classes.size());
  const torch::Tensor Xtest = t.scaler.transform(t.test.features);
  for (double C : {0.01, 1.0}) {
    const std::string key = GetParam() + "." + cKey(C);
    LogisticOptions o;
    o.C = C;
    o.solver = Solver::kNewton;
    o.tol = 1e-10;
    FitReport report;
    const LogisticModel model = trainer.fit(o, &report);
    EXPECT_TRUE(report.converged) << key << ": " << report.stop;
    EXPECT_LT(gradientMaxAbs(model, Xtrain, t.y, C), 1e-9) << key;
    // scikit-learn stops at max|g| <= 1e-4 or a relative decrease of f below 2.2e-9, so its answer
    // is only near the optimum: within 1e-4 in probability at C = 0.01, 1.3e-4 for 5 classes at C = 1.
    const double tolerance = C == 1.0 ? 2e-4 : 1e-4;
    EXPECT_LT(maxDiff(model.predictProba(Xtest), reference(key + ".proba")), tolerance) << key;
    EXPECT_LT(maxDiff(model.coef, reference(key + ".coef")), tolerance) << key;
  }
}

TEST_P(ProbeFixture, LbfgsFitIsNearTheOptimumOnly) {
  // What the Newton test's wider tolerance is about: scikit-learn's answer has a gradient far
  // from zero, so a solver that converges cannot match it more closely than the optimum does.
  const Task t(GetParam());
  const torch::Tensor Xtrain = t.scaler.transform(t.train.features);
  const LogisticTrainer trainer(Xtrain, t.y, t.classes.size());
  LogisticOptions o;
  o.C = 1.0;
  const double g = gradientMaxAbs(trainer.fit(o), Xtrain, t.y, 1.0);
  EXPECT_GT(g, 1e-7);
  EXPECT_LT(g, 1e-2);
}

INSTANTIATE_TEST_SUITE_P(Probe, ProbeFixture, ::testing::Values("binary", "multiclass"));

std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

TEST(ProbeFixtureFiles, CopiesMatchTheSharedFixtures) {
  const std::filesystem::path shared =
      fmcib::test::sourceDir().parent_path() / "shared" / "fixtures" / "probe";
  for (const char* name :
       {"probe.pt", "binary_train.csv", "binary_test.csv", "multiclass_train.csv", "multiclass_test.csv"}) {
    const std::filesystem::path copy = fmcib::test::fixture(std::string("probe/") + name);
    ASSERT_TRUE(std::filesystem::exists(copy)) << copy;
    if (std::filesystem::is_directory(shared)) {
      EXPECT_TRUE(slurp(copy) == slurp(shared / name)) << name << " differs from " << shared;
    }
  }
}

}  // namespace
}  // namespace fmcib::probe
