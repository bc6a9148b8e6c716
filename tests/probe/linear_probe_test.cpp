// The whole protocol against make_probe_reference.py (scikit-learn's cross_val_score-style loop,
// metrics and numpy's bootstrap recipe on the fixture CSVs), its outputs, and its input checks.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>
#include <fstream>

#include "fmcib/config/error.hpp"
#include "fmcib/io/csv.hpp"
#include "fmcib/probe/linear_probe.hpp"
#include "fmcib/probe/probe_report.hpp"
#include "probe/probe_reference.hpp"
#include "support/errors.hpp"
#include "support/paths.hpp"

namespace fmcib::probe {
namespace {

using fmcib::test::errorOf;

/// "binary", "multiclass": those CSVs with column `label`; "wide_label3": wide_*.csv (more than
/// twice as many features as rows, the row-span solver path) with column `label3`.
ProbeOptions fixtureOptions(const std::string& task) {
  const size_t split = task.find('_');
  const std::string files = task.substr(0, split);
  ProbeOptions o;
  o.trainPath = fmcib::test::fixture("probe/" + files + "_train.csv");
  o.testPath = fmcib::test::fixture("probe/" + files + "_test.csv");
  o.labelColumn = split == std::string::npos ? "label" : task.substr(split + 1);
  o.bootstrap = 200;
  return o;
}

class ProbeProtocol : public ::testing::TestWithParam<std::string> {};

TEST_P(ProbeProtocol, CrossValidationMetricsAndIntervalsMatchScikitLearn) {
  const YAML::Node& ref = test::protocolReference()[GetParam()];
  const ProbeResult r = runLinearProbe(fixtureOptions(GetParam()));
  ASSERT_EQ(r.candidates.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    const YAML::Node& c = ref["cv"][i];
    EXPECT_EQ(r.candidates[i].C, c["C"].as<double>());
    EXPECT_NEAR(r.candidates[i].score, c["score"].as<double>(), 1e-9) << i;
    const auto folds = test::asVector<double>(c["fold_scores"]);
    ASSERT_EQ(r.candidates[i].foldScores.size(), folds.size());
    for (size_t f = 0; f < folds.size(); ++f)
      EXPECT_NEAR(r.candidates[i].foldScores[f], folds[f], 1e-9) << i << "/" << f;
    EXPECT_EQ(r.candidates[i].unconverged, 0);
  }
  EXPECT_EQ(r.chosenC, ref["chosen_C"].as<double>());
  const auto metrics = test::asVector<double>(ref["test_metrics"]);
  const YAML::Node& boot = ref["bootstrap"];
  ASSERT_EQ(r.metrics.size(), metrics.size());
  EXPECT_EQ(r.bootstrapUsed, boot["used"].as<int>());
  EXPECT_EQ(r.bootstrapSkipped, boot["skipped"].as<int>());
  for (size_t m = 0; m < metrics.size(); ++m) {
    EXPECT_NEAR(r.metrics[m].value, metrics[m], 1e-9) << r.metrics[m].name;
    EXPECT_NEAR(r.metrics[m].low, boot["low"][m].as<double>(), 1e-9) << r.metrics[m].name;
    EXPECT_NEAR(r.metrics[m].high, boot["high"][m].as<double>(), 1e-9) << r.metrics[m].name;
  }
  EXPECT_EQ(r.metrics[0].key, r.classes.size() == 2 ? "auroc" : "map");
  EXPECT_TRUE(r.finalFit.converged);
  EXPECT_TRUE(r.warnings.empty());
}

TEST_P(ProbeProtocol, ValidationSetChoosesC) {
  const YAML::Node& ref = test::protocolReference()[GetParam()];
  ProbeOptions o = fixtureOptions(GetParam());
  o.valPath = o.testPath;
  o.bootstrap = 0;
  const ProbeResult r = runLinearProbe(o);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_NEAR(r.candidates[i].score, ref["val"][i]["score"].as<double>(), 1e-9) << i;
    EXPECT_TRUE(r.candidates[i].foldScores.empty());
  }
  EXPECT_EQ(r.chosenC, ref["val_chosen_C"].as<double>());
  EXPECT_TRUE(std::isnan(r.metrics[0].low));
}

TEST_P(ProbeProtocol, NewtonSolverAgreesWithScikitLearnToItsTolerance) {
  ProbeOptions o = fixtureOptions(GetParam());
  o.bootstrap = 0;
  const ProbeResult lbfgs = runLinearProbe(o);
  o.solver.solver = Solver::kNewton;
  o.solver.tol = 1e-8;
  const ProbeResult newton = runLinearProbe(o);
  EXPECT_EQ(newton.chosenC, lbfgs.chosenC);
  EXPECT_LT(newton.finalGradient, 1e-7);
  EXPECT_LT((newton.testProba - lbfgs.testProba).abs().max().item<double>(), 2e-4);
  for (size_t m = 0; m < newton.metrics.size(); ++m)
    EXPECT_NEAR(newton.metrics[m].value, lbfgs.metrics[m].value, 5e-3) << newton.metrics[m].name;
}

INSTANTIATE_TEST_SUITE_P(Probe, ProbeProtocol, ::testing::Values("binary", "multiclass", "wide_label3"));

TEST(ProbeOutputs, WritesProbabilitiesInInputOrderAndTheMetricsJson) {
  ProbeOptions o = fixtureOptions("multiclass");
  o.bootstrap = 20;
  const ProbeResult r = runLinearProbe(o);
  const auto dir = fmcib::test::tempDir("probe_outputs") / "out";
  const ProbeOutputs files = writeProbeOutputs(r, dir.string());
  const io::CsvTable csv = io::CsvTable::read(files.probabilities);
  EXPECT_EQ(csv.header(),
            (std::vector<std::string>{"id", "label", "prob_0", "prob_1", "prob_2", "prob_3", "prob_4"}));
  ASSERT_EQ(csv.numRows(), 200u);
  const io::CsvTable input = io::CsvTable::read(o.testPath);
  for (size_t row = 0; row < csv.numRows(); ++row) {
    EXPECT_EQ(csv.cell(row, 0), input.cell(row, 0));
    double sum = 0;
    for (size_t k = 0; k < 5; ++k) {
      EXPECT_EQ(csv.number(row, 2 + k),
                r.testProba[static_cast<int64_t>(row)][static_cast<int64_t>(k)].item<double>());
      sum += csv.number(row, 2 + k);
    }
    EXPECT_NEAR(sum, 1.0, 1e-12);
  }
  const YAML::Node json = YAML::LoadFile(files.metrics);
  EXPECT_EQ(json["task"].as<std::string>(), "multiclass");
  EXPECT_EQ(json["selection"]["chosen_C"].as<double>(), r.chosenC);
  EXPECT_EQ(json["selection"]["candidates"].size(), 3u);
  EXPECT_EQ(json["test"]["map"]["value"].as<double>(), r.metrics[0].value);
  EXPECT_EQ(json["bootstrap"]["used"].as<int>(), 20);
  EXPECT_EQ(json["final_fit"]["converged"].as<bool>(), true);
  const std::string table = formatProbeReport(r);
  EXPECT_NE(table.find("mAP (macro AP)"), std::string::npos) << table;
  EXPECT_NE(table.find("* "), std::string::npos) << table;
  // A rerun replaces the files and leaves no temporaries.
  writeProbeOutputs(r, dir.string());
  size_t entries = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir)) ++entries;
  EXPECT_EQ(entries, 2u);
}

std::string writeInputCsv(const std::string& name, const std::string& text) {
  static const auto dir = fmcib::test::tempDir("probe_inputs");
  return fmcib::test::writeFile(dir, name, text);
}

TEST(ProbeChecks, BadDataAndOptionsAreClearErrors) {
  ProbeOptions o = fixtureOptions("binary");
  const std::string oneClass = writeInputCsv("one_class.csv", "label,pred_0\n1,0.5\n1,0.2\n1,0.1\n");
  ProbeOptions bad = o;
  bad.trainPath = oneClass;
  bad.testPath = oneClass;
  EXPECT_NE(errorOf([&] { runLinearProbe(bad); }).find("needs at least two classes"), std::string::npos);

  const std::string few =
      writeInputCsv("few.csv", "label,pred_0\n0,0.5\n0,0.2\n0,0.1\n1,0.3\n1,0.9\n1,0.8\n2,0.4\n2,0.7\n");
  bad.trainPath = few;
  bad.testPath = few;
  bad.folds = 3;
  const std::string e = errorOf([&] { runLinearProbe(bad); });
  EXPECT_NE(e.find("class '2' has 2 row(s), fewer than --folds 3"), std::string::npos) << e;
  EXPECT_NE(e.find("use --folds 2"), std::string::npos) << e;
  EXPECT_NE(e.find("--val"), std::string::npos) << e;

  const std::string unseen = writeInputCsv("unseen.csv", "label,pred_0\n0,0.5\n7,0.2\n");
  bad = o;
  bad.trainPath = few;
  bad.testPath = unseen;
  bad.folds = 2;
  EXPECT_NE(errorOf([&] { runLinearProbe(bad); }).find("class '7' does not occur in the training labels"),
            std::string::npos);

  bad = o;
  bad.Cs = {0.1, -1};
  EXPECT_NE(errorOf<ConfigError>([&] { runLinearProbe(bad); }).find("positive"), std::string::npos);
  bad.Cs = {0.1, 0.1};
  EXPECT_NE(errorOf<ConfigError>([&] { runLinearProbe(bad); }).find("listed twice"), std::string::npos);
  bad.Cs = {};
  EXPECT_NE(errorOf<ConfigError>([&] { runLinearProbe(bad); }).find("at least one value"), std::string::npos);
  bad = o;
  bad.folds = 1;
  EXPECT_NE(errorOf<ConfigError>([&] { runLinearProbe(bad); }).find("--folds must be at least 2"),
            std::string::npos);
  bad = o;
  bad.bootstrap = -3;
  EXPECT_NE(errorOf<ConfigError>([&] { runLinearProbe(bad); }).find("--bootstrap"), std::string::npos);
}

TEST(ProbeChecks, TiesGoToTheSmallestC) {
  // Perfectly separable folds: every C scores AUROC 1, so the smallest is chosen whatever the order.
  std::string text = "label,pred_0\n";
  for (int i = 0; i < 20; ++i)
    text += std::to_string(i % 2) + "," + std::to_string(i % 2 ? 1.0 + i * 0.01 : -1.0 - i * 0.01) + "\n";
  const std::string path = writeInputCsv("separable.csv", text);
  ProbeOptions o;
  o.trainPath = o.testPath = path;
  o.labelColumn = "label";
  o.Cs = {1.0, 0.05, 10.0};
  o.bootstrap = 0;
  const ProbeResult r = runLinearProbe(o);
  for (const auto& c : r.candidates) EXPECT_EQ(c.score, 1.0);
  EXPECT_EQ(r.chosenC, 0.05);
}

}  // namespace
}  // namespace fmcib::probe
