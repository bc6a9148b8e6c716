// Fold assignment against scikit-learn's StratifiedKFold (no shuffle).
#include <gtest/gtest.h>

#include "fmcib/config/error.hpp"
#include "fmcib/probe/cross_validation.hpp"
#include "fmcib/probe/feature_table.hpp"
#include "probe/probe_reference.hpp"
#include "support/errors.hpp"

namespace fmcib::probe {
namespace {

TEST(StratifiedKFold, MatchesScikitLearnOnSmallUnevenClasses) {
  const YAML::Node& ref = test::protocolReference()["stratified_small"];
  const auto labels = test::asVector<int64_t>(ref["labels"]);
  EXPECT_EQ(stratifiedKFold(labels, ref["folds"].as<int>()), test::asVector<int>(ref["test_fold"]));
}

TEST(StratifiedKFold, MatchesScikitLearnOnTheFixtureLabels) {
  for (const std::string task : {"binary", "multiclass"}) {
    const FeatureTable train =
        readFeatureTable(fmcib::test::fixture("probe/" + task + "_train.csv"), {"label"});
    const std::vector<int64_t> y = ClassLabels::fromTrainingLabels(train).encode(train);
    EXPECT_EQ(stratifiedKFold(y, 5), test::asVector<int>(test::protocolReference()[task]["folds"])) << task;
  }
}

TEST(StratifiedKFold, FoldRowsPartitionTheRows) {
  const std::vector<int> foldOf = {0, 1, 2, 0, 1, 2, 0};
  EXPECT_EQ(foldRows(foldOf, 0, true), (std::vector<int64_t>{0, 3, 6}));
  EXPECT_EQ(foldRows(foldOf, 0, false), (std::vector<int64_t>{1, 2, 4, 5}));
}

TEST(StratifiedKFold, RejectsImpossibleSplits) {
  EXPECT_NE(fmcib::test::errorOf([] {
              stratifiedKFold({0, 1, 0, 1}, 1);
            }).find("at least 2 folds"),
            std::string::npos);
  EXPECT_NE(fmcib::test::errorOf([] {
              stratifiedKFold({0, 1, 0}, 4);
            }).find("cannot split 3 rows"),
            std::string::npos);
  EXPECT_NE(fmcib::test::errorOf([] {
              stratifiedKFold({0, 1, 0, 1, 2, 2}, 3);
            }).find("n_splits=3"),
            std::string::npos);
}

}  // namespace
}  // namespace fmcib::probe
