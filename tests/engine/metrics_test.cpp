// torchmetrics AUROC / AveragePrecision / Accuracy against hand-computed values (ties included),
// built from YAML through the registry as a config would build them.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <random>

#include "fmcib/config/config.hpp"
#include "fmcib/config/error.hpp"
#include "fmcib/config/registry.hpp"
#include "fmcib/engine/metrics.hpp"

namespace fmcib::engine {
namespace {

using config::Config;

MetricPtr buildMetric(const std::string& body) {
  registerMetricTargets(config::Registry::global());
  Config c = Config::fromString("system:\n  metrics:\n    train:\n      - " + body, "metrics.yaml");
  return c.resolve("system#metrics#train#0").as<Metric>();
}

std::string buildError(const std::string& body) {
  try {
    buildMetric(body);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "no error";
}

at::Tensor f(std::vector<double> v) {
  return torch::tensor(v, torch::kFloat);
}
at::Tensor l(std::vector<int64_t> v) {
  return torch::tensor(v, torch::kLong);
}
at::Tensor rows(std::vector<std::vector<double>> r) {
  std::vector<at::Tensor> ts;
  for (auto& x : r) ts.push_back(f(x));
  return torch::stack(ts);
}

constexpr double kTol = 1e-6;

// Scores 0.1 0.4 0.4 0.8 0.4 0.9, targets 0 0 1 1 1 0. Pairs (pos, neg) won, ties counting 1/2:
// 0.4: 1 + 1/2 + 0, 0.8: 1 + 1 + 0, 0.4: 1 + 1/2 + 0 -> 5 of 9.
// PR points by decreasing threshold: 0.9 (P 0, R 0), 0.8 (P 1/2, R 1/3), 0.4 (P 3/5, R 1),
// 0.1 (P 1/2, R 1) -> AP = 1/3 * 1/2 + 2/3 * 3/5 = 17/30.
const std::vector<double> kTiedScores = {0.1, 0.4, 0.4, 0.8, 0.4, 0.9};
const std::vector<int64_t> kTiedTargets = {0, 0, 1, 1, 1, 0};

TEST(Metrics, BinaryAurocAndApWithTies) {
  auto auroc = buildMetric("{_target_: torchmetrics.AUROC, task: binary}");
  auto ap = buildMetric("{_target_: torchmetrics.AveragePrecision, task: binary, num_classes: 8}");
  EXPECT_EQ(auroc->name(), "BinaryAUROC");
  EXPECT_EQ(ap->name(), "BinaryAveragePrecision");
  // Two batches: the state is the concatenation.
  for (auto& m : {auroc, ap}) {
    m->update(f({0.1, 0.4, 0.4}), l({0, 0, 1}));
    m->update(f({0.8, 0.4, 0.9}).unsqueeze(1), l({1, 1, 0}));
  }
  EXPECT_NEAR(auroc->compute(), 5.0 / 9.0, kTol);
  EXPECT_NEAR(ap->compute(), 17.0 / 30.0, kTol);
  EXPECT_NEAR(binaryAuroc(kTiedScores, kTiedTargets), 5.0 / 9.0, 1e-12);
  EXPECT_NEAR(binaryAveragePrecision(kTiedScores, kTiedTargets), 17.0 / 30.0, 1e-12);
  auroc->reset();
  EXPECT_TRUE(std::isnan(auroc->compute()));
}

TEST(Metrics, BinaryDegenerateCasesFollowTorchmetrics) {
  // No negatives / no positives: AUROC 0 (all-zero rate); AP without positives: NaN.
  EXPECT_DOUBLE_EQ(binaryAuroc({0.2, 0.7}, {1, 1}), 0.0);
  EXPECT_DOUBLE_EQ(binaryAuroc({0.2, 0.7}, {0, 0}), 0.0);
  EXPECT_TRUE(std::isnan(binaryAveragePrecision({0.2, 0.7}, {0, 0})));
  EXPECT_DOUBLE_EQ(binaryAveragePrecision({0.2, 0.7}, {1, 1}), 1.0);
  // Every score tied: one ROC point besides (0, 0) -> the diagonal; AP = prevalence.
  EXPECT_DOUBLE_EQ(binaryAuroc({0.5, 0.5, 0.5, 0.5}, {1, 0, 0, 0}), 0.5);
  EXPECT_DOUBLE_EQ(binaryAveragePrecision({0.5, 0.5, 0.5, 0.5}, {1, 0, 0, 0}), 0.25);
}

TEST(Metrics, ExactCurvesMatchBruteForceOnRandomTiedScores) {
  std::mt19937 rng(7);
  std::uniform_int_distribution<int> level(0, 9), coin(0, 2);
  for (int trial = 0; trial < 20; ++trial) {
    std::vector<double> s(60);
    std::vector<int64_t> t(60);
    for (size_t i = 0; i < s.size(); ++i) {
      s[i] = level(rng) / 10.0;  // heavy ties
      t[i] = coin(rng) == 0;
    }
    t[0] = 1;
    t[1] = 0;
    // Mann-Whitney with ties counted as 1/2.
    double won = 0, pairs = 0;
    for (size_t i = 0; i < s.size(); ++i)
      for (size_t j = 0; j < s.size(); ++j)
        if (t[i] == 1 && t[j] == 0) {
          won += s[i] > s[j] ? 1.0 : s[i] == s[j] ? 0.5 : 0.0;
          pairs += 1;
        }
    EXPECT_NEAR(binaryAuroc(s, t), won / pairs, 1e-12);
    // AP = sum over distinct thresholds (high to low) of (R(th) - R(previous)) * P(th), P/R at score >= th.
    double positives = 0;
    for (auto v : t) positives += static_cast<double>(v);
    double ap = 0, prevRecall = 0;
    for (int lv = 9; lv >= 0; --lv) {
      double tp = 0, all = 0;
      for (size_t i = 0; i < s.size(); ++i)
        if (s[i] >= lv / 10.0 - 1e-12) {
          all += 1;
          tp += static_cast<double>(t[i]);
        }
      if (all == 0) continue;
      ap += (tp / positives - prevRecall) * (tp / all);
      prevRecall = tp / positives;
    }
    EXPECT_NEAR(binaryAveragePrecision(s, t), ap, 1e-12);
  }
}

TEST(Metrics, BinaryLogitsGoThroughSigmoidPerBatch) {
  auto auroc = buildMetric("{_target_: torchmetrics.AUROC, task: binary}");
  // Batch 1 is in [0, 1] and kept; batch 2 has logits: sigmoid(-1) = 0.269, sigmoid(3) = 0.953.
  // Order 0.953 (1) > 0.6 (0) > 0.269 (0) > 0.2 (1): the positives win 2 of 4 pairs.
  // (Applying the sigmoid to all four would rank 0.2 -> 0.55 above 0.269 and give 3/4.)
  auroc->update(f({0.2, 0.6}), l({1, 0}));
  auroc->update(f({-1.0, 3.0}), l({0, 1}));
  EXPECT_NEAR(auroc->compute(), 0.5, kTol);
  auto [p, t] = auroc->accumulated();
  EXPECT_NEAR(p[2].item<double>(), 1.0 / (1.0 + std::exp(1.0)), 1e-6);
  // Re-adding the accumulated state (as after a gather over ranks) gives the same value.
  auto again = buildMetric("{_target_: torchmetrics.AUROC, task: binary}");
  again->update(p, t);
  EXPECT_NEAR(again->compute(), 0.5, kTol);
}

TEST(Metrics, BinnedThresholdsFollowTorchmetrics) {
  // torchmetrics' doc example: preds 0 .5 .7 .8, target 0 1 1 0; thresholds = 5 (0, .25, .5, .75, 1):
  // P/R per threshold (score >= t): (.5, 1) (2/3, 1) (2/3, 1) (0, 0) (0, 0) -> AP 2/3; AUROC 0.5.
  auto ap = buildMetric("{_target_: torchmetrics.AveragePrecision, task: binary, thresholds: 5}");
  auto auroc =
      buildMetric("{_target_: torchmetrics.AUROC, task: binary, thresholds: [0.0, 0.25, 0.5, 0.75, 1.0]}");
  auto exact = buildMetric("{_target_: torchmetrics.AveragePrecision, task: binary}");
  for (auto& m : {ap, auroc, exact}) m->update(f({0, 0.5, 0.7, 0.8}), l({0, 1, 1, 0}));
  EXPECT_NEAR(ap->compute(), 2.0 / 3.0, kTol);
  EXPECT_NEAR(auroc->compute(), 0.5, kTol);
  EXPECT_NEAR(exact->compute(), 7.0 / 12.0, kTol);  // 1/2 * 1/2 + 1/2 * 2/3
}

TEST(Metrics, PartialAurocUsesMcClishCorrection) {
  // ROC of the tied example: fpr 0 1/3 1/3 2/3 1, tpr 0 0 1/3 1 1. Up to fpr 0.5: area
  // 1/6 * (1/3 + 2/3) / 2 = 1/12 after interpolating tpr(0.5) = 2/3; min 1/8, max 1/2.
  auto m = buildMetric("{_target_: torchmetrics.AUROC, task: binary, max_fpr: 0.5}");
  m->update(f(kTiedScores), l(kTiedTargets));
  const double partial = 1.0 / 12.0, minArea = 0.125;
  EXPECT_NEAR(m->compute(), 0.5 * (1 + (partial - minArea) / (0.5 - minArea)), kTol);
}

// torchmetrics' multiclass doc example: 4 samples, 5 classes, each row 0.75 on one class.
at::Tensor docPreds() {
  return rows({{0.75, 0.05, 0.05, 0.05, 0.05},
               {0.05, 0.75, 0.05, 0.05, 0.05},
               {0.05, 0.05, 0.75, 0.05, 0.05},
               {0.05, 0.05, 0.05, 0.75, 0.05}});
}

TEST(Metrics, MulticlassMacroAndWeighted) {
  // Per class (one vs rest): classes 0, 1 perfect (AUROC 1, AP 1); classes 2, 3: the positive
  // ties at 0.05 with two negatives below one negative at 0.75 -> AUROC (1/2 + 1/2 + 0) / 3 = 1/3,
  // AP 1/4; class 4 has no positive: AUROC 0, AP NaN (skipped by the average).
  auto auroc = buildMetric("{_target_: torchmetrics.AUROC, task: multiclass, num_classes: 5}");
  auto weighted =
      buildMetric("{_target_: torchmetrics.AUROC, task: multiclass, num_classes: 5, average: weighted}");
  auto ap = buildMetric("{_target_: torchmetrics.AveragePrecision, task: multiclass, num_classes: 5}");
  auto binnedAp = buildMetric(
      "{_target_: torchmetrics.AveragePrecision, task: multiclass, num_classes: 5, thresholds: 5}");
  for (auto& m : {auroc, weighted, ap, binnedAp}) m->update(docPreds(), l({0, 1, 3, 2}));
  EXPECT_EQ(auroc->name(), "MulticlassAUROC");
  EXPECT_NEAR(auroc->compute(), (1 + 1 + 1.0 / 3 + 1.0 / 3 + 0) / 5, kTol);
  EXPECT_NEAR(weighted->compute(), (1 + 1 + 1.0 / 3 + 1.0 / 3) / 4, kTol);  // class 4 has weight 0
  EXPECT_NEAR(ap->compute(), (1 + 1 + 0.25 + 0.25) / 4, kTol);
  EXPECT_NEAR(binnedAp->compute(), (1 + 1 + 0.25 + 0.25 + 0) / 5, kTol);  // binned: 0 instead of NaN
}

TEST(Metrics, MulticlassLogitsAreSoftmaxedPerRow) {
  // Rows (0, 0) and (5, 6): softmax gives (.5, .5) and (.269, .731), so class 0 ranks sample 0
  // first (AUROC 1) although its raw logit is lower; class 1: AUROC 1. Raw logits would give 0.5.
  auto m = buildMetric("{_target_: torchmetrics.AUROC, task: multiclass, num_classes: 2}");
  m->update(rows({{0, 0}, {5, 6}}), l({0, 1}));
  EXPECT_NEAR(m->compute(), 1.0, kTol);
}

TEST(Metrics, AccuracyBinaryAndMulticlass) {
  auto bin = buildMetric("{_target_: torchmetrics.Accuracy, task: binary}");
  // Logits (some outside [0, 1]) -> sigmoid: .27 .62 .88 .55 -> > 0.5: 0 1 1 1.
  bin->update(f({-1.0, 0.5, 2.0, 0.2}), l({0, 1, 1, 1}));
  EXPECT_EQ(bin->name(), "BinaryAccuracy");
  EXPECT_NEAR(bin->compute(), 1.0, kTol);
  auto strict = buildMetric("{_target_: torchmetrics.Accuracy, task: binary, threshold: 0.6}");
  strict->update(f({0.6, 0.61, 0.1}), l({1, 1, 0}));  // 0.6 is not > 0.6
  EXPECT_NEAR(strict->compute(), 2.0 / 3.0, kTol);

  // torchmetrics' example: preds 2 1 0 1, target 2 1 0 0. Micro (the wrapper's default): 3/4.
  // Macro: class 0 1/2, class 1 1, class 2 1 -> 5/6 (class 3 never seen nor predicted: skipped).
  // Weighted by support 2 1 1: (1 + 1 + 1) / 4.
  const at::Tensor labels = l({2, 1, 0, 1}), target = l({2, 1, 0, 0});
  auto micro = buildMetric("{_target_: torchmetrics.Accuracy, task: multiclass, num_classes: 3}");
  auto macro =
      buildMetric("{_target_: torchmetrics.Accuracy, task: multiclass, num_classes: 4, average: macro}");
  auto weighted =
      buildMetric("{_target_: torchmetrics.Accuracy, task: multiclass, num_classes: 3, average: weighted}");
  for (auto& m : {micro, macro, weighted}) m->update(labels, target);
  EXPECT_EQ(micro->name(), "MulticlassAccuracy");
  EXPECT_NEAR(micro->compute(), 0.75, kTol);
  EXPECT_NEAR(macro->compute(), 5.0 / 6.0, kTol);
  EXPECT_NEAR(weighted->compute(), 0.75, kTol);

  // Scores: argmax, ties to the first class; top_k 2 (torchmetrics' example): 2 of 3.
  auto argmax = buildMetric("{_target_: torchmetrics.Accuracy, task: multiclass, num_classes: 3}");
  argmax->update(rows({{0.5, 0.5, 0.0}, {0.1, 0.2, 0.7}}), l({0, 1}));
  EXPECT_NEAR(argmax->compute(), 0.5, kTol);
  auto top2 = buildMetric("{_target_: torchmetrics.Accuracy, task: multiclass, num_classes: 3, top_k: 2}");
  top2->update(rows({{0.1, 0.9, 0}, {0.3, 0.1, 0.6}, {0.2, 0.5, 0.3}}), l({0, 1, 2}));
  EXPECT_NEAR(top2->compute(), 2.0 / 3.0, kTol);
}

TEST(Metrics, IgnoreIndexDropsSamples) {
  auto m = buildMetric("{_target_: torchmetrics.AUROC, task: binary, ignore_index: -1}");
  m->update(f({0.1, 0.4, 0.4, 0.8, 0.4, 0.9, 0.95}), l({0, 0, 1, 1, 1, 0, -1}));
  EXPECT_NEAR(m->compute(), 5.0 / 9.0, kTol);
}

TEST(Metrics, OlderSpellingWithoutTaskInfersFromPreds) {
  auto bin = buildMetric("{_target_: torchmetrics.AUROC, num_classes: 2}");
  EXPECT_EQ(bin->name(), "AUROC");
  bin->update(f(kTiedScores), l(kTiedTargets));
  EXPECT_NEAR(bin->compute(), 5.0 / 9.0, kTol);
  auto multi = buildMetric("{_target_: torchmetrics.AveragePrecision, num_classes: 5}");
  multi->update(docPreds(), l({0, 1, 3, 2}));
  EXPECT_NEAR(multi->compute(), 0.625, kTol);
  auto acc = buildMetric("{_target_: torchmetrics.Accuracy}");
  acc->update(f({0.9, 0.2}), torch::tensor({1.0, 1.0}));  // float targets holding labels are accepted
  EXPECT_NEAR(acc->compute(), 0.5, kTol);
}

TEST(Metrics, BadArgumentsNameTheArgument) {
  auto has = [](const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; };
  std::string e = buildError("{_target_: torchmetrics.AUROC, task: regression}");
  EXPECT_TRUE(has(e, "system#metrics#train#0#task: expected 'binary' or 'multiclass', got 'regression'"))
      << e;
  e = buildError("{_target_: torchmetrics.AUROC, task: multilabel}");
  EXPECT_TRUE(has(e, "#task: 'multilabel' is not supported")) << e;
  e = buildError("{_target_: torchmetrics.AveragePrecision, task: multiclass}");
  EXPECT_TRUE(has(e, "system#metrics#train#0#num_classes: required when task is 'multiclass'")) << e;
  e = buildError("{_target_: torchmetrics.Accuracy, task: multiclass, num_classes: 1}");
  EXPECT_TRUE(has(e, "#num_classes: must be >= 2")) << e;
  e = buildError("{_target_: torchmetrics.AUROC, task: multiclass, num_classes: 3, average: micro}");
  EXPECT_TRUE(has(e, "#average: expected 'macro' or 'weighted', got 'micro'")) << e;
  e = buildError("{_target_: torchmetrics.AUROC, task: multiclass, num_classes: 3, average: null}");
  EXPECT_TRUE(has(e, "#average: per-class values")) << e;
  e = buildError("{_target_: torchmetrics.Accuracy, task: binary, threshold: 1.5}");
  EXPECT_TRUE(has(e, "#threshold: must be in [0, 1]")) << e;
  e = buildError("{_target_: torchmetrics.Accuracy, task: multiclass, num_classes: 3, top_k: 4}");
  EXPECT_TRUE(has(e, "#top_k: must be <= num_classes")) << e;
  e = buildError("{_target_: torchmetrics.AUROC, task: binary, thresholds: 1}");
  EXPECT_TRUE(has(e, "#thresholds: an int must be >= 2")) << e;
  e = buildError("{_target_: torchmetrics.AUROC, task: binary, max_fpr: 0}");
  EXPECT_TRUE(has(e, "#max_fpr: must be in (0, 1]")) << e;
  e = buildError("{_target_: torchmetrics.AUROC, task: binary, pos_label: 1}");
  EXPECT_TRUE(has(e, "pos_label")) << e;
}

TEST(Metrics, BadTensorsAreInputErrors) {
  auto bin = buildMetric("{_target_: torchmetrics.AUROC, task: binary}");
  EXPECT_THROW(bin->update(f({0.1, 0.2}), l({0, 2})), InputError);
  EXPECT_THROW(bin->update(f({0.1, 0.2, 0.3}), l({0, 1})), InputError);
  EXPECT_THROW(bin->update(f({0.1, 0.2}), torch::tensor({0.5, 1.0})), InputError);
  auto multi = buildMetric("{_target_: torchmetrics.AUROC, task: multiclass, num_classes: 3}");
  EXPECT_THROW(multi->update(rows({{0.1, 0.9}}), l({0})), InputError);
  EXPECT_THROW(multi->update(rows({{0.1, 0.5, 0.4}}), l({3})), InputError);
}

}  // namespace
}  // namespace fmcib::engine
