#pragma once
/// `fmcib evaluate`: the probe's test metrics and bootstrap intervals (scoring.hpp) for a table of
/// class probabilities another model wrote, e.g. `fmcib predict` with a fine-tuned model
/// (SavePredictions: the input columns + pred_0 ... pred_{K-1}). Column k (in file order, among
/// those matching the regex) is class k; the label cells must be the integers 0 ... K-1.
#include <cstdint>
#include <string>
#include <vector>

#include "fmcib/probe/scoring.hpp"

namespace fmcib::probe {

struct EvaluationOptions {
  std::string predictionsPath;
  std::string labelColumn;
  std::string probaRegex = "^pred_";
  ScoreOptions score;
};

struct EvaluationResult {
  EvaluationOptions options;
  std::vector<std::string> probaColumns;  ///< class k's column
  std::vector<std::string> classes;       ///< "0" ... "K-1"
  int64_t rows = 0;
  Scores scores;
  std::vector<std::string> warnings;
};

/// InputError naming the file (row, line, column, value) for: fewer than two probability columns,
/// a label that is not an integer in [0, K), a non-numeric probability; ConfigError for bad options.
EvaluationResult evaluatePredictions(const EvaluationOptions& options);

}  // namespace fmcib::probe
