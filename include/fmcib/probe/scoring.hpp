#pragma once
/// Test metrics of class probabilities with percentile bootstrap intervals: the linear probe's test
/// step, shared with `fmcib evaluate` (a fine-tuned model's predictions), so both report the same
/// metrics the same way. Two classes: AUROC, average precision, balanced accuracy; more: mAP (macro
/// AP), balanced accuracy, AUROC (macro, one-vs-rest). A resample that misses a class present in
/// the targets is skipped (bootstrap.hpp).
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <string>
#include <vector>

namespace fmcib::probe {

struct TestMetric {
  std::string key;   ///< JSON key: auroc, average_precision, map, balanced_accuracy, auroc_macro_ovr
  std::string name;  ///< for the table
  double value = 0, low = 0, high = 0;  ///< low/high NaN without bootstrap
};

struct ScoreOptions {
  int bootstrap = 1000;  ///< resamples; 0 = no intervals
  uint32_t seed = 42;
  double level = 0.95;
};

struct Scores {
  std::vector<TestMetric> metrics;  ///< in table order
  int bootstrapUsed = 0, bootstrapSkipped = 0;
};

/// proba [rows, numClasses] (double), targets in [0, numClasses).
Scores scoreProbabilities(const at::Tensor& proba, const std::vector<int64_t>& targets, int64_t numClasses,
                          const ScoreOptions& options);

}  // namespace fmcib::probe
