#include "fmcib/probe/evaluation.hpp"

#include <cmath>
#include <set>

#include "fmcib/config/error.hpp"
#include "fmcib/io/csv.hpp"
#include "fmcib/probe/feature_table.hpp"

namespace fmcib::probe {

EvaluationResult evaluatePredictions(const EvaluationOptions& o) {
  if (o.score.bootstrap < 0)
    throw ConfigError("--bootstrap must be >= 0, got " + std::to_string(o.score.bootstrap));
  const FeatureTable table = readFeatureTable(o.predictionsPath, {o.labelColumn, o.probaRegex});
  EvaluationResult r;
  r.options = o;
  r.probaColumns = table.featureNames;
  const auto K = static_cast<int64_t>(r.probaColumns.size());
  if (K < 2)
    throw InputError(o.predictionsPath + ": one column matches '" + o.probaRegex + "' (" + r.probaColumns[0] +
                     "); evaluate needs one probability column per class (two or more)");
  for (int64_t k = 0; k < K; ++k) r.classes.push_back(std::to_string(k));
  std::vector<int64_t> targets;
  for (size_t i = 0; i < table.labels.size(); ++i) {
    const std::optional<double> v = io::parseDecimal(table.labels[i]);
    if (!v || *v != std::floor(*v) || *v < 0 || *v >= static_cast<double>(K))
      throw InputError(table.where(i) + ", column " + o.labelColumn + ": '" + table.labels[i] +
                       "' is not a class index 0.." + std::to_string(K - 1) +
                       " (one per probability column)");
    targets.push_back(static_cast<int64_t>(*v));
  }
  r.rows = table.rows();
  const std::set<int64_t> present(targets.begin(), targets.end());
  if (present.size() < 2)
    throw InputError(o.predictionsPath + ": every label is " + std::to_string(*present.begin()) +
                     "; the metrics need two classes or more");
  if (static_cast<int64_t>(present.size()) < K)
    r.warnings.push_back(o.predictionsPath + " holds " + std::to_string(present.size()) + " of the " +
                         std::to_string(K) + " classes; metrics average over the classes present");
  r.scores = scoreProbabilities(table.features, targets, K, o.score);
  if (r.scores.bootstrapSkipped)
    r.warnings.push_back(std::to_string(r.scores.bootstrapSkipped) + " of " +
                         std::to_string(o.score.bootstrap) +
                         " bootstrap resamples missed a class and were skipped");
  return r;
}

}  // namespace fmcib::probe
