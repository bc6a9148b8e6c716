#pragma once
/// The linear probe of FMCIB's experiments/adaptation/linear/run.py, the protocol behind the
/// paper's "Foundation (Features)" numbers:
/// 1. StandardScaler fitted on the training features, applied to every set;
/// 2. for each C: LogisticRegression(C=C, random_state=42, max_iter=1000) scored by stratified
///    k-fold cross-validation on the scaled training set (StratifiedKFold(k), no shuffle; the score
///    is the mean over folds, as cross_val_score), or fitted on train and scored on --val;
///    the score is AUROC for two classes, mAP (macro average precision) for more;
/// 3. the best C (ties: the smallest) refitted on all of train;
/// 4. test metrics with percentile bootstrap intervals (bootstrap.hpp).
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <string>
#include <vector>

#include "fmcib/probe/bootstrap.hpp"
#include "fmcib/probe/feature_table.hpp"
#include "fmcib/probe/logistic_regression.hpp"
#include "fmcib/probe/scaler.hpp"
#include "fmcib/probe/scoring.hpp"

namespace fmcib::probe {

struct ProbeOptions {
  std::string trainPath, testPath;
  std::string valPath;  ///< empty: choose C by cross-validation on train
  std::string labelColumn;
  std::string featuresRegex = "pred|feature";
  std::vector<double> Cs = {0.01, 0.1, 1.0};
  int folds = 5;
  int bootstrap = 1000;  ///< resamples; 0 = no intervals
  uint32_t seed = 42;
  double level = 0.95;
  LogisticOptions solver;  ///< solver, tol, maxIter (C comes from Cs)
};

struct CandidateScore {
  double C = 0;
  double score = 0;                ///< mean over folds, or the validation score
  std::vector<double> foldScores;  ///< empty with --val
  int unconverged = 0;             ///< fits that hit a solver limit
};

struct ProbeResult {
  ProbeOptions options;
  std::vector<std::string> classes;
  int64_t numFeatures = 0, trainRows = 0, valRows = 0;
  std::string selectionMetric;  ///< "AUROC" or "mAP"
  std::vector<CandidateScore> candidates;
  double chosenC = 0;
  FitReport finalFit;
  double finalGradient = 0;  ///< max |gradient| of the final fit (0 at the exact optimum)
  StandardScaler scaler;
  LogisticModel model;
  FeatureTable test;  ///< the test table (its non-feature columns go to the output)
  std::vector<int64_t> testTargets;
  at::Tensor testProba;  ///< [test rows, classes]
  std::vector<TestMetric> metrics;
  int bootstrapUsed = 0, bootstrapSkipped = 0;
  double seconds = 0;
  std::vector<std::string> warnings;
};

/// Runs the protocol. InputError for bad data (messages name file, row, column), ConfigError for
/// bad options (empty or non-positive C list, folds < 2, negative bootstrap count).
ProbeResult runLinearProbe(const ProbeOptions& options);

/// Checks a C list: non-empty, every value finite and > 0, no repeats. ConfigError otherwise.
void validateCs(const std::vector<double>& Cs);

}  // namespace fmcib::probe
