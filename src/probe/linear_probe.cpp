#include "fmcib/probe/linear_probe.hpp"

#include <spdlog/spdlog.h>
#include <torch/torch.h>

#include <chrono>
#include <cmath>
#include <limits>
#include <set>

#include "fmcib/config/error.hpp"
#include "fmcib/probe/classification_metrics.hpp"
#include "fmcib/probe/cross_validation.hpp"

namespace fmcib::probe {

namespace {

std::string fmt(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

void checkOptions(const ProbeOptions& o) {
  validateCs(o.Cs);
  if (o.valPath.empty() && o.folds < 2)
    throw ConfigError("--folds must be at least 2, got " + std::to_string(o.folds));
  if (o.bootstrap < 0) throw ConfigError("--bootstrap must be >= 0, got " + std::to_string(o.bootstrap));
  if (!(o.solver.tol > 0)) throw ConfigError("--tol must be > 0");
  if (o.solver.maxIter < 1) throw ConfigError("--max-iter must be >= 1");
  if (!(o.level > 0 && o.level < 1)) throw ConfigError("the interval level must be in (0, 1)");
}

/// Every class of train has at least `folds` rows, or the folds would miss it.
void checkFoldCounts(const FeatureTable& train, const ClassLabels& classes, const std::vector<int64_t>& y,
                     int folds) {
  std::vector<int64_t> counts(static_cast<size_t>(classes.size()), 0);
  for (int64_t k : y) ++counts[static_cast<size_t>(k)];
  int64_t smallest = counts[0];
  for (int64_t c : counts) smallest = std::min(smallest, c);
  for (size_t k = 0; k < counts.size(); ++k) {
    if (counts[k] >= folds) continue;
    throw InputError(train.path + ": class '" + classes.names()[k] + "' has " + std::to_string(counts[k]) +
                     " row(s), fewer than --folds " + std::to_string(folds) +
                     ", so some folds would not contain it; use --folds " +
                     std::to_string(std::max<int64_t>(2, smallest)) +
                     (smallest >= 2 ? "" : " with more rows of that class") +
                     " or give a validation set with --val");
  }
}

double selectionScore(const at::Tensor& proba, const std::vector<int64_t>& targets, int64_t numClasses) {
  return numClasses == 2 ? auroc(proba, targets) : macroAveragePrecision(proba, targets);
}

std::vector<int64_t> pick(const std::vector<int64_t>& v, const std::vector<int64_t>& rows) {
  std::vector<int64_t> out;
  out.reserve(rows.size());
  for (int64_t r : rows) out.push_back(v[static_cast<size_t>(r)]);
  return out;
}

}  // namespace

void validateCs(const std::vector<double>& Cs) {
  if (Cs.empty()) throw ConfigError("--C: give at least one value (e.g. --C 0.01,0.1,1)");
  std::set<double> seen;
  for (double C : Cs) {
    if (!(std::isfinite(C) && C > 0))
      throw ConfigError("--C: every value must be a positive number, got " + fmt(C));
    if (!seen.insert(C).second) throw ConfigError("--C: " + fmt(C) + " is listed twice");
  }
}

ProbeResult runLinearProbe(const ProbeOptions& o) {
  checkOptions(o);
  const auto start = std::chrono::steady_clock::now();
  ProbeResult result;
  result.options = o;

  const FeatureTable train = readFeatureTable(o.trainPath, {o.labelColumn, o.featuresRegex});
  const FeatureTableSpec sameFeatures{o.labelColumn, o.featuresRegex, train.featureNames, train.path};
  result.test = readFeatureTable(o.testPath, sameFeatures);
  const ClassLabels classes = ClassLabels::fromTrainingLabels(train);
  const std::vector<int64_t> y = classes.encode(train);
  result.testTargets = classes.encode(result.test);
  const int64_t K = classes.size();
  result.classes = classes.names();
  result.numFeatures = static_cast<int64_t>(train.featureNames.size());
  result.trainRows = train.rows();
  result.selectionMetric = K == 2 ? "AUROC" : "mAP";

  FeatureTable val;
  std::vector<int64_t> yVal;
  if (!o.valPath.empty()) {
    val = readFeatureTable(o.valPath, sameFeatures);
    yVal = classes.encode(val);
    result.valRows = val.rows();
    if (K == 2 && std::set<int64_t>(yVal.begin(), yVal.end()).size() < 2)
      throw InputError(o.valPath + ": the validation labels hold one class only; AUROC needs both");
  } else {
    checkFoldCounts(train, classes, y, o.folds);
  }

  result.scaler = StandardScaler::fit(train.features);
  const LogisticTrainer trainer(result.scaler.transform(train.features), y, K);
  const at::Tensor Xtest = result.scaler.transform(result.test.features);

  // C selection.
  std::vector<int> foldOf;
  if (o.valPath.empty()) foldOf = stratifiedKFold(y, o.folds);
  const at::Tensor Xval = o.valPath.empty() ? at::Tensor() : result.scaler.transform(val.features);
  for (double C : o.Cs) {
    LogisticOptions fitOptions = o.solver;
    fitOptions.C = C;
    CandidateScore cand;
    cand.C = C;
    FitReport report;
    if (o.valPath.empty()) {
      double sum = 0;
      for (int f = 0; f < o.folds; ++f) {
        const std::vector<int64_t> fitRows = foldRows(foldOf, f, false), testRows = foldRows(foldOf, f, true);
        const at::Tensor proba = trainer.fitAndPredict(fitRows, testRows, fitOptions, &report);
        cand.unconverged += !report.converged;
        cand.foldScores.push_back(selectionScore(proba, pick(y, testRows), K));
        sum += cand.foldScores.back();
      }
      cand.score = sum / o.folds;
    } else {
      const LogisticModel model = trainer.fit(fitOptions, &report);
      cand.unconverged += !report.converged;
      cand.score = selectionScore(model.predictProba(Xval), yVal, K);
    }
    spdlog::info("C={}: {} {:.4f}", fmt(C), result.selectionMetric, cand.score);
    result.candidates.push_back(cand);
  }
  const CandidateScore* best = nullptr;
  for (const auto& c : result.candidates)
    if (!best || c.score > best->score || (c.score == best->score && c.C < best->C)) best = &c;
  result.chosenC = best->C;

  // Refit on all of train, then the test set.
  LogisticOptions finalOptions = o.solver;
  finalOptions.C = result.chosenC;
  result.model = trainer.fit(finalOptions, &result.finalFit);
  result.finalGradient =
      gradientMaxAbs(result.model, result.scaler.transform(train.features), y, result.chosenC);
  result.testProba = result.model.predictProba(Xtest);

  int unconverged = !result.finalFit.converged;
  for (const auto& c : result.candidates) unconverged += c.unconverged;
  if (unconverged)
    result.warnings.push_back(
        std::to_string(unconverged) +
        " fit(s) stopped at a solver limit before converging (the final fit: " + result.finalFit.stop +
        "), where scikit-learn warns too (ConvergenceWarning); "
        "--max-iter raises the limit");
  const std::set<int64_t> testClasses(result.testTargets.begin(), result.testTargets.end());
  if (static_cast<int64_t>(testClasses.size()) < K)
    result.warnings.push_back(o.testPath + " holds " + std::to_string(testClasses.size()) + " of the " +
                              std::to_string(K) +
                              " training classes; metrics average over the classes present");

  const Scores scores =
      scoreProbabilities(result.testProba, result.testTargets, K, {o.bootstrap, o.seed, o.level});
  result.metrics = scores.metrics;
  result.bootstrapUsed = scores.bootstrapUsed;
  result.bootstrapSkipped = scores.bootstrapSkipped;
  if (scores.bootstrapSkipped)
    result.warnings.push_back(std::to_string(scores.bootstrapSkipped) + " of " + std::to_string(o.bootstrap) +
                              " bootstrap resamples missed a class and were skipped");
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

}  // namespace fmcib::probe
