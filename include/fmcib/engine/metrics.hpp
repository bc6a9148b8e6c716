#pragma once
/// torchmetrics' AUROC, AveragePrecision and Accuracy (torchmetrics >= 0.11 definitions, the task
/// wrappers' defaults) as engine::Metric objects, plus the exact curve functions they are built on.
///
/// Semantics kept from torchmetrics:
/// - binary preds outside [0, 1] go through a sigmoid, multiclass scores outside [0, 1] through a
///   softmax over classes; the check is per update() batch, as torchmetrics formats each batch;
/// - AUROC is the trapezoidal area under the ROC over the distinct score values (ties collapse into
///   one point); AveragePrecision is sum_n (R_n - R_{n-1}) P_n over the same points;
/// - a binary AUROC without positives or negatives is 0; an AP without positives is NaN and
///   multiclass averages skip NaN classes; binned `thresholds` use `pred >= t` as torchmetrics does;
/// - Accuracy: binary `pred > threshold`; multiclass argmax / top-k, `average` micro by default.
/// compute() before any sample returns NaN.
#include <ATen/Tensor.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "fmcib/engine/metric.hpp"

namespace fmcib::config {
class Registry;
}

namespace fmcib::engine {

enum class MetricTask {
  kAuto,  ///< torchmetrics < 0.11 spelling (no `task`): multiclass when preds are [N, C>1], else binary
  kBinary,
  kMulticlass,
};

enum class MetricAverage { kMicro, kMacro, kWeighted };

struct MetricOptions {
  MetricTask task = MetricTask::kBinary;
  /// Required (>= 2) for multiclass; checked against preds.size(1) when given for kAuto.
  std::optional<int64_t> numClasses;
  /// Multiclass reduction. AUROC/AP accept macro|weighted, Accuracy micro|macro|weighted.
  MetricAverage average = MetricAverage::kMacro;
  /// Binary Accuracy: a sample is positive when its probability is > threshold.
  double threshold = 0.5;
  /// Multiclass Accuracy: correct when the target is among the k highest scores.
  int64_t topK = 1;
  /// Samples whose target equals this value are dropped.
  std::optional<int64_t> ignoreIndex;
  /// Binary AUROC: standardized partial AUC over [0, maxFpr] (McClish correction).
  std::optional<double> maxFpr;
  /// Binned AUROC/AP: these thresholds instead of every distinct score (empty = exact).
  std::vector<double> thresholds;
};

/// The metrics as torchmetrics builds them. name() is torchmetrics' class name: "BinaryAUROC",
/// "MulticlassAUROC", "BinaryAveragePrecision", "MulticlassAveragePrecision", "BinaryAccuracy",
/// "MulticlassAccuracy" ("AUROC", "AveragePrecision", "Accuracy" with MetricTask::kAuto).
/// Throws ConfigError for inconsistent options; update() throws InputError for bad tensors.
MetricPtr makeAuroc(const MetricOptions& options);
MetricPtr makeAveragePrecision(const MetricOptions& options);
MetricPtr makeAccuracy(const MetricOptions& options);

/// Exact binary curves over scores (any real numbers, used as given) and 0/1 targets.
/// AUROC: 0 when one class is absent; NaN for no samples.
double binaryAuroc(const std::vector<double>& scores, const std::vector<int64_t>& target,
                   std::optional<double> maxFpr = std::nullopt);
/// AP: NaN without positives.
double binaryAveragePrecision(const std::vector<double>& scores, const std::vector<int64_t>& target);
/// Binned versions (torchmetrics' multi-threshold confusion matrix, `score >= t`).
double binnedBinaryAuroc(const std::vector<double>& scores, const std::vector<int64_t>& target,
                         const std::vector<double>& thresholds, std::optional<double> maxFpr = std::nullopt);
double binnedBinaryAveragePrecision(const std::vector<double>& scores, const std::vector<int64_t>& target,
                                    const std::vector<double>& thresholds);

/// Registers torchmetrics.{AUROC, AveragePrecision, Accuracy}. Idempotent.
void registerMetricTargets(config::Registry& registry);

}  // namespace fmcib::engine
