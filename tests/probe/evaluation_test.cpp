// `fmcib evaluate` (metrics of another model's probabilities, scored as the probe scores its test
// set) and `fmcib metrics-table` (metrics.json files read back into one table).
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "fmcib/config/error.hpp"
#include "fmcib/probe/evaluation.hpp"
#include "fmcib/probe/probe_report.hpp"
#include "fmcib/probe/scoring.hpp"
#include "support/errors.hpp"
#include "support/paths.hpp"

namespace fmcib::probe {
namespace {

namespace fs = std::filesystem;
using fmcib::test::errorOf;

std::string writeFile(const std::string& tag, const std::string& name, const std::string& text) {
  return fmcib::test::writeFile(fmcib::test::tempDir(tag), name, text);
}

// Labels 0 1 0 1 with positive-class probabilities 0.1 0.8 0.6 0.4: three of the four
// positive/negative pairs are ordered (AUROC 0.75); precision 1 at recall 0.5 and 2/3 at recall 1
// (AP 5/6); argmax gets one row of each class right (balanced accuracy 0.5).
const char* kPredictions =
    "image_path,malignancy,pred_0,pred_1\n"
    "a.nii.gz,0,0.9,0.1\n"
    "b.nii.gz,1,0.2,0.8\n"
    "c.nii.gz,0,0.4,0.6\n"
    "d.nii.gz,1,0.6,0.4\n";

EvaluationOptions options(const std::string& path) {
  EvaluationOptions o;
  o.predictionsPath = path;
  o.labelColumn = "malignancy";
  o.score.bootstrap = 50;
  return o;
}

TEST(Evaluate, ScoresTheProbabilityColumnsAsTheProbeScoresItsTestSet) {
  const EvaluationResult r = evaluatePredictions(options(writeFile("eval", "p.csv", kPredictions)));
  EXPECT_EQ(r.rows, 4);
  EXPECT_EQ(r.probaColumns, (std::vector<std::string>{"pred_0", "pred_1"}));
  ASSERT_EQ(r.scores.metrics.size(), 3u);
  EXPECT_EQ(r.scores.metrics[0].key, "auroc");
  EXPECT_DOUBLE_EQ(r.scores.metrics[0].value, 0.75);
  EXPECT_EQ(r.scores.metrics[1].key, "average_precision");
  EXPECT_NEAR(r.scores.metrics[1].value, 5.0 / 6.0, 1e-12);
  EXPECT_EQ(r.scores.metrics[2].key, "balanced_accuracy");
  EXPECT_DOUBLE_EQ(r.scores.metrics[2].value, 0.5);
  // The same numbers and intervals as the shared scoring on the same table.
  const at::Tensor proba =
      torch::tensor({0.9, 0.1, 0.2, 0.8, 0.4, 0.6, 0.6, 0.4}, torch::kDouble).view({4, 2});
  const Scores direct = scoreProbabilities(proba, {0, 1, 0, 1}, 2, {50, 42, 0.95});
  EXPECT_EQ(r.scores.bootstrapUsed + r.scores.bootstrapSkipped, 50);
  EXPECT_EQ(r.scores.bootstrapUsed, direct.bootstrapUsed);
  for (size_t m = 0; m < 3; ++m) {
    EXPECT_DOUBLE_EQ(r.scores.metrics[m].low, direct.metrics[m].low);
    EXPECT_DOUBLE_EQ(r.scores.metrics[m].high, direct.metrics[m].high);
    EXPECT_LE(direct.metrics[m].low, direct.metrics[m].high);
  }
}

TEST(Evaluate, RejectsLabelsThatAreNoClassIndexAndASingleColumn) {
  const std::string bad = writeFile("eval_bad", "p.csv",
                                    "image_path,malignancy,pred_0,pred_1\n"
                                    "a.nii.gz,0,0.9,0.1\n"
                                    "b.nii.gz,2,0.2,0.8\n");
  EXPECT_NE(errorOf([&] {
              evaluatePredictions(options(bad));
            }).find(", column malignancy: '2' is not a class index 0..1 (one per probability column)"),
            std::string::npos);
  const std::string one = writeFile("eval_one", "p.csv", "malignancy,pred_0\n0,0.2\n1,0.7\n");
  EXPECT_EQ(
      errorOf([&] { evaluatePredictions(options(one)); }),
      one +
          ": one column matches '^pred_' (pred_0); evaluate needs one probability column per class (two or "
          "more)");
}

TEST(MetricsTable, ReadsWhatEvaluateWritesAndShowsOneLinePerFile) {
  const EvaluationResult r = evaluatePredictions(options(writeFile("eval_json", "p.csv", kPredictions)));
  const std::string json = writeEvaluationJson(r, (fmcib::test::tempDir("eval_json_out") / "fine").string());
  const MetricsRow row = readMetricsJson("fine-tuned", json);
  EXPECT_EQ(row.testRows, 4);
  EXPECT_EQ(row.bootstrapUsed, r.scores.bootstrapUsed);
  ASSERT_EQ(row.metrics.size(), 3u);
  for (size_t m = 0; m < 3; ++m) {
    EXPECT_EQ(row.metrics[m].key, r.scores.metrics[m].key);
    EXPECT_DOUBLE_EQ(row.metrics[m].value, r.scores.metrics[m].value);
    EXPECT_DOUBLE_EQ(row.metrics[m].low, r.scores.metrics[m].low);
  }
  // A multiclass file without intervals (null bounds): its AUROC column is the macro one-vs-rest.
  const std::string multi = writeFile("eval_multi", "metrics.json", R"({
  "rows": {"train": 10, "val": 0, "test": 7},
  "bootstrap": {"resamples": 0, "used": 0, "skipped": 0, "seed": 42, "level": 0.95},
  "test": {
    "map": {"value": 0.5, "ci_low": null, "ci_high": null},
    "balanced_accuracy": {"value": 0.25, "ci_low": null, "ci_high": null},
    "auroc_macro_ovr": {"value": 0.625, "ci_low": null, "ci_high": null}}
})");
  const std::string table = formatMetricsTable({row, readMetricsJson("probe", multi)});
  char fine[96];
  std::snprintf(fine, sizeof fine, "0.750 [%.3f, %.3f]", row.metrics[0].low, row.metrics[0].high);
  EXPECT_NE(table.find("fine-tuned   " + std::string(fine)), std::string::npos) << table;
  EXPECT_NE(table.find("probe        0.625"), std::string::npos) << table;
  EXPECT_NE(table.find("0.500"), std::string::npos) << table;
  EXPECT_NE(table.find("95% percentile bootstrap interval"), std::string::npos) << table;
  EXPECT_EQ(table.substr(0, table.find('\n')).find("AUROC"), 13u) << table;

  const std::string broken = writeFile("eval_broken", "metrics.json", "{\"rows\": {\"train\": 3}}");
  EXPECT_EQ(errorOf([&] { readMetricsJson("x", broken); }), broken + ": no rows.test member");
}

}  // namespace
}  // namespace fmcib::probe
