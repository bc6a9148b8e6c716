// `fmcib linear-probe` end to end: the table and files on success, exit 2 and one line naming the
// problem for each bad input.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "support/paths.hpp"
#include "support/process.hpp"

using fmcib::test::runFmcib;

namespace {

std::string fixture(const std::string& name) {
  return fmcib::test::fixture("probe/" + name);
}

std::string writeProbeCsv(const std::string& name, const std::string& text) {
  static const auto dir = fmcib::test::tempDir("probe_cli");
  return fmcib::test::writeFile(dir, name, text);
}

std::string binaryArgs() {
  return "linear-probe --train " + fixture("binary_train.csv") + " --test " + fixture("binary_test.csv") +
         " --label label --bootstrap 50";
}

/// Exit code 2 and exactly one stderr line containing `part`.
void expectUsageError(const std::string& args, const std::string& part) {
  const auto r = runFmcib(args);
  EXPECT_EQ(r.code, 2) << args << "\n" << r.out << r.err;
  EXPECT_NE(r.err.find(part), std::string::npos) << args << "\nstderr: " << r.err;
  EXPECT_LE(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_EQ(r.err.find("terminate"), std::string::npos) << r.err;
}

}  // namespace

TEST(LinearProbeCli, HelpListsTheOptions) {
  const auto r = runFmcib("linear-probe --help");
  EXPECT_EQ(r.code, 0);
  for (const char* opt : {"--train", "--test", "--val", "--label", "--features-regex", "--C", "--folds",
                          "--bootstrap", "--seed", "--solver", "--out"})
    EXPECT_NE(r.out.find(opt), std::string::npos) << opt;
  EXPECT_NE(runFmcib("--help").out.find("linear-probe"), std::string::npos);
}

TEST(LinearProbeCli, PrintsTheTableAndWritesBothFiles) {
  const auto out = fmcib::test::tempDir("probe_cli_run") / "probe";
  const auto r = runFmcib(binaryArgs() + " --C 0.01,1 --out " + out.string());
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  for (const char* part : {"2 classes (0, 1), 64 features", "stratified 5-fold", "AUROC", "balanced accuracy",
                           "95% percentile bootstrap", "final fit on train: C = 0.01", "wrote "})
    EXPECT_NE(r.out.find(part), std::string::npos) << part << "\n" << r.out;
  EXPECT_TRUE(std::filesystem::exists(out / "probabilities.csv"));
  EXPECT_TRUE(std::filesystem::exists(out / "metrics.json"));
  std::ifstream csv(out / "probabilities.csv");
  std::string header;
  std::getline(csv, header);
  EXPECT_EQ(header, "id,label,prob_0,prob_1");
}

TEST(LinearProbeCli, BadInputsExitTwoWithOneLine) {
  const std::string train = fixture("binary_train.csv"), test = fixture("binary_test.csv");
  const std::string both = " --train " + train + " --test " + test;
  expectUsageError("linear-probe --train /no/such.csv --test " + test + " --label label",
                   "'/no/such.csv' does not exist");
  expectUsageError("linear-probe" + both, "--label is required");
  expectUsageError("linear-probe" + both + " --label outcome", "has no label column 'outcome'");
  expectUsageError("linear-probe" + both + " --label label --features-regex '^emb'",
                   "no column matches --features-regex '^emb'");
  expectUsageError("linear-probe" + both + " --label label --C 0.1,abc", "--C: 'abc' is not a number");
  expectUsageError("linear-probe" + both + " --label label --C 0,1",
                   "--C: every value must be a positive number");
  expectUsageError("linear-probe" + both + " --label label --solver sag", "--solver");
  expectUsageError("linear-probe" + both + " --label label --seed -1", "--seed must be in [0, 4294967295]");
  expectUsageError("linear-probe" + both + " --label label --folds 1", "--folds must be at least 2");

  const std::string text = writeProbeCsv("text.csv", "id,label,pred_0\na,0,1.5\nb,1,high\n");
  expectUsageError("linear-probe --train " + text + " --test " + text + " --label label",
                   "row 1 (line 3), column 'pred_0': 'high' is not a finite number");
  const std::string one = writeProbeCsv("one.csv", "label,pred_0\n3,1\n3,2\n3,0\n");
  expectUsageError("linear-probe --train " + one + " --test " + one + " --label label",
                   "at least two classes");
  const std::string few = writeProbeCsv("few.csv", "label,pred_0\n0,1\n0,2\n0,3\n1,4\n1,5\n1,7\n");
  expectUsageError("linear-probe --train " + few + " --test " + few + " --label label",
                   "has 3 row(s), fewer than --folds 5");
  const std::string unseen = writeProbeCsv("unseen.csv", "label,pred_0\n0,1\n5,2\n");
  expectUsageError("linear-probe --train " + few + " --test " + unseen + " --label label --folds 3",
                   "class '5' does not occur in the training labels");
  const std::string otherFeatures = writeProbeCsv("other.csv", "label,pred_9\n0,1\n1,2\n");
  expectUsageError("linear-probe --train " + few + " --test " + otherFeatures + " --label label --folds 3",
                   "lacks feature column(s) 'pred_0'");
}
