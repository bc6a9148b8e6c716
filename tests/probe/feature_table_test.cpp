// Reading feature CSVs: column selection by regex, label classes, and one clear error per bad input.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <fstream>

#include "fmcib/config/error.hpp"
#include "fmcib/probe/feature_table.hpp"
#include "support/errors.hpp"
#include "support/paths.hpp"

namespace fmcib::probe {
namespace {

using fmcib::test::errorOf;

std::string writeTableCsv(const std::string& name, const std::string& text) {
  static const auto dir = fmcib::test::tempDir("feature_table");
  return fmcib::test::writeFile(dir, name, text);
}

void expectError(const std::string& message, const std::string& part) {
  EXPECT_NE(message.find(part), std::string::npos) << "'" << part << "' not in: " << message;
}

TEST(FeatureTable, SelectsMatchingColumnsAndKeepsTheRest) {
  const std::string path = writeTableCsv("ok.csv",
                                         "id,pred_1,image_path,pred_0,label,feature_x\n"
                                         "a,1.5,/x.nii,2,cat,-3e-2\n"
                                         "\"b,1\",0, y ,  4 ,dog,5\n");
  const FeatureTable t = readFeatureTable(path, {"label"});
  EXPECT_EQ(t.featureNames, (std::vector<std::string>{"pred_1", "pred_0", "feature_x"}));
  EXPECT_EQ(t.otherColumns, (std::vector<std::string>{"id", "image_path", "label"}));
  EXPECT_EQ(t.labelIndex, 2u);
  EXPECT_EQ(t.labels, (std::vector<std::string>{"cat", "dog"}));
  EXPECT_EQ(t.otherCells[1][0], "b,1");
  EXPECT_EQ(t.lines, (std::vector<size_t>{2, 3}));
  EXPECT_TRUE(torch::equal(t.features,
                           torch::tensor({1.5, 2.0, -0.03, 0.0, 4.0, 5.0}, torch::kDouble).reshape({2, 3})));
}

TEST(FeatureTable, LabelColumnIsNeverAFeatureAndRegexSearchesAnywhere) {
  const std::string path = writeTableCsv("regex.csv", "prediction,x_pred,label_pred\n1,2,0\n3,4,1\n");
  const FeatureTable t = readFeatureTable(path, {"label_pred", "pred"});
  EXPECT_EQ(t.featureNames, (std::vector<std::string>{"prediction", "x_pred"}));
  const FeatureTable anchored = readFeatureTable(path, {"label_pred", "^x"});
  EXPECT_EQ(anchored.featureNames, (std::vector<std::string>{"x_pred"}));
}

TEST(FeatureTable, SecondTableIsReorderedToTheFirstsFeatures) {
  const std::string path = writeTableCsv("reorder.csv", "label,pred_1,pred_0\n0,10,20\n");
  const FeatureTable t = readFeatureTable(path, {"label", "pred", {"pred_0", "pred_1"}, "train.csv"});
  EXPECT_EQ(t.featureNames, (std::vector<std::string>{"pred_0", "pred_1"}));
  EXPECT_TRUE(torch::equal(t.features, torch::tensor({20.0, 10.0}, torch::kDouble).reshape({1, 2})));
}

TEST(FeatureTable, BadInputsNameFileRowAndColumn) {
  const std::string good = "label,pred_0,pred_1\n0,1,2\n1,3,4\n";
  expectError(errorOf([&] { readFeatureTable("/nonexistent/x.csv", {"label"}); }),
              "'/nonexistent/x.csv' does not exist");
  const std::string noLabel = writeTableCsv("nolabel.csv", good);
  expectError(errorOf([&] { readFeatureTable(noLabel, {"target"}); }), "has no label column 'target'");
  expectError(errorOf([&] {
                readFeatureTable(noLabel, {"label", "feat_"});
              }),
              "no column matches --features-regex 'feat_'");
  const std::string text = writeTableCsv("text.csv", "label,pred_0,pred_1\n0,1,2\n1,abc,4\n");
  const std::string e = errorOf([&] { readFeatureTable(text, {"label"}); });
  expectError(e, "text.csv row 1 (line 3), column 'pred_0': 'abc' is not a finite number");
  const std::string nan = writeTableCsv("nan.csv", "label,pred_0\n0,nan\n");
  expectError(errorOf([&] { readFeatureTable(nan, {"label"}); }), "'nan' is not a finite number");
  const std::string inf = writeTableCsv("inf.csv", "label,pred_0\n0,1e999\n");
  expectError(errorOf([&] { readFeatureTable(inf, {"label"}); }), "'1e999' is not a finite number");
  const std::string empty = writeTableCsv("empty_label.csv", "label,pred_0\n0,1\n ,2\n");
  expectError(errorOf([&] { readFeatureTable(empty, {"label"}); }),
              "row 1 (line 3), column 'label': the label is empty");
  const std::string header = writeTableCsv("header_only.csv", "label,pred_0\n");
  expectError(errorOf([&] { readFeatureTable(header, {"label"}); }), "has a header but no data rows");
  const std::string ragged = writeTableCsv("ragged.csv", "label,pred_0\n0,1,7\n");
  expectError(errorOf([&] { readFeatureTable(ragged, {"label"}); }), "has 3 fields, the header has 2");
  const std::string dup = writeTableCsv("dup.csv", "label,pred_0,pred_0\n0,1,2\n");
  expectError(errorOf([&] { readFeatureTable(dup, {"label"}); }),
              "feature column 'pred_0' appears more than once");
  expectError(errorOf<ConfigError>([&] {
                readFeatureTable(noLabel, {"label", "pred(["});
              }),
              "--features-regex 'pred([' is not a valid regular expression");
}

TEST(FeatureTable, FeatureColumnsMustMatchTheTrainingFile) {
  const std::string other = writeTableCsv("other.csv", "label,pred_0,pred_2\n0,1,2\n");
  expectError(errorOf([&] {
                readFeatureTable(other, {"label", "pred", {"pred_0", "pred_1"}, "train.csv"});
              }),
              "lacks feature column(s) 'pred_1' that train.csv has");
  const std::string extra = writeTableCsv("extra.csv", "label,pred_0,pred_1,pred_2\n0,1,2,3\n");
  expectError(errorOf([&] {
                readFeatureTable(extra, {"label", "pred", {"pred_0", "pred_1"}, "train.csv"});
              }),
              "has feature column(s) 'pred_2' that train.csv lacks");
}

FeatureTable labelsTable(const std::string& name, const std::vector<std::string>& labels) {
  std::string text = "label,pred_0\n";
  for (const auto& l : labels) text += l + ",0\n";
  return readFeatureTable(writeTableCsv(name, text), {"label"});
}

TEST(ClassLabels, NumbersSortByValueAndTextByCodePoint) {
  const FeatureTable numbers = labelsTable("num.csv", {"10", "9", "2.0", "10", "9"});
  const ClassLabels n = ClassLabels::fromTrainingLabels(numbers);
  EXPECT_EQ(n.names(), (std::vector<std::string>{"2", "9", "10"}));
  EXPECT_EQ(n.encode(numbers), (std::vector<int64_t>{2, 1, 0, 2, 1}));
  EXPECT_EQ(n.find("9.0"), 1);
  EXPECT_EQ(n.find(" 2"), 0);
  EXPECT_FALSE(n.find("x").has_value());
  EXPECT_FALSE(n.find("3").has_value());

  const ClassLabels fractional =
      ClassLabels::fromTrainingLabels(labelsTable("frac.csv", {"0.5", "1.25", "0.5"}));
  EXPECT_EQ(fractional.names(), (std::vector<std::string>{"0.5", "1.25"}));

  const ClassLabels text =
      ClassLabels::fromTrainingLabels(labelsTable("text.csv", {"b", "a", "B", "\xC3\xA4", "a"}));
  EXPECT_EQ(text.names(), (std::vector<std::string>{"B", "a", "b", "\xC3\xA4"}));
  const ClassLabels mixed = ClassLabels::fromTrainingLabels(labelsTable("mixed.csv", {"10", "a", "9"}));
  EXPECT_EQ(mixed.names(), (std::vector<std::string>{"10", "9", "a"}));  // text order: "10" < "9"
}

TEST(ClassLabels, OneClassAndUnseenClassesAreErrors) {
  expectError(errorOf([] {
                ClassLabels::fromTrainingLabels(labelsTable("one.csv", {"1", "1", "1"}));
              }),
              "every row has the label '1'; a classifier needs at least two classes");
  const ClassLabels c = ClassLabels::fromTrainingLabels(labelsTable("two.csv", {"0", "1"}));
  const FeatureTable test = labelsTable("unseen.csv", {"1", "0", "2"});
  expectError(errorOf([&] { c.encode(test); }),
              "unseen.csv row 2 (line 4), column 'label': class '2' does not occur in the training labels "
              "(classes: '0', '1')");
}

}  // namespace
}  // namespace fmcib::probe
