#include "fmcib/probe/scoring.hpp"

#include <torch/torch.h>

#include <limits>
#include <set>
#include <utility>

#include "fmcib/probe/bootstrap.hpp"
#include "fmcib/probe/classification_metrics.hpp"

namespace fmcib::probe {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

/// The reported metrics, in the order of the table (the probe's selection metric first).
std::vector<double> testMetrics(const at::Tensor& proba, const std::vector<int64_t>& targets,
                                int64_t numClasses) {
  const std::vector<int64_t> predicted = argmaxRows(proba);
  if (numClasses == 2)
    return {auroc(proba, targets), averagePrecision(proba, targets),
            balancedAccuracy(targets, predicted, numClasses)};
  return {macroAveragePrecision(proba, targets), balancedAccuracy(targets, predicted, numClasses),
          macroAurocOvr(proba, targets)};
}

}  // namespace

Scores scoreProbabilities(const at::Tensor& proba, const std::vector<int64_t>& targets, int64_t numClasses,
                          const ScoreOptions& o) {
  const std::vector<double> values = testMetrics(proba, targets, numClasses);
  const std::set<int64_t> present(targets.begin(), targets.end());
  BootstrapResult boot;
  if (o.bootstrap > 0) {
    auto keep = [&](const std::vector<int64_t>& idx) {
      std::set<int64_t> seen;
      for (int64_t i : idx) seen.insert(targets[static_cast<size_t>(i)]);
      return seen.size() == present.size();
    };
    const at::Tensor probaCpu = proba.contiguous();
    auto metrics = [&](const std::vector<int64_t>& idx) {
      std::vector<int64_t> drawn;
      drawn.reserve(idx.size());
      for (int64_t i : idx) drawn.push_back(targets[static_cast<size_t>(i)]);
      return testMetrics(probaCpu.index_select(0, torch::tensor(idx, torch::kLong)), drawn, numClasses);
    };
    boot = bootstrap(static_cast<int64_t>(targets.size()), o.bootstrap, o.seed, o.level, keep, metrics);
  }
  const std::vector<std::pair<std::string, std::string>> names =
      numClasses == 2
          ? std::vector<std::pair<std::string, std::string>>{{"auroc", "AUROC"},
                                                             {"average_precision", "average precision"},
                                                             {"balanced_accuracy", "balanced accuracy"}}
          : std::vector<std::pair<std::string, std::string>>{
                {"map", "mAP (macro AP)"},
                {"balanced_accuracy", "balanced accuracy"},
                {"auroc_macro_ovr", "AUROC (macro, one-vs-rest)"}};
  Scores s;
  s.bootstrapUsed = boot.used;
  s.bootstrapSkipped = boot.skipped;
  for (size_t m = 0; m < values.size(); ++m) {
    const bool ci = m < boot.low.size();
    s.metrics.push_back(
        {names[m].first, names[m].second, values[m], ci ? boot.low[m] : kNaN, ci ? boot.high[m] : kNaN});
  }
  return s;
}

}  // namespace fmcib::probe
