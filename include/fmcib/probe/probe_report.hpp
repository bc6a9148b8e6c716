#pragma once
/// What `fmcib linear-probe` shows and writes: a plain-text table (C selection, final fit, test
/// metrics with intervals) and, in the output folder, `probabilities.csv` (the test table's
/// non-feature columns, then prob_<class> per class, rows in input order) and `metrics.json`
/// (classes, C candidates with fold scores, chosen C, solver report, metrics with intervals,
/// bootstrap counts; NaN as null).
#include <cstdint>
#include <string>
#include <vector>

#include "fmcib/probe/evaluation.hpp"
#include "fmcib/probe/linear_probe.hpp"

namespace fmcib::probe {

std::string formatProbeReport(const ProbeResult& result);

/// The JSON document written to metrics.json.
std::string probeJson(const ProbeResult& result);

struct ProbeOutputs {
  std::string probabilities, metrics;
};

/// Creates `dir` if needed and writes both files (each to a temporary name, then renamed over any
/// older one). RuntimeError when a file cannot be written.
ProbeOutputs writeProbeOutputs(const ProbeResult& result, const std::string& dir);

/// `fmcib evaluate`'s table and metrics.json (the probe's "bootstrap" and "test" members, the
/// predictions file, its probability columns).
std::string formatEvaluationReport(const EvaluationResult& result);
std::string evaluationJson(const EvaluationResult& result);
/// Creates `dir` if needed and writes metrics.json into it (atomically); returns its path.
std::string writeEvaluationJson(const EvaluationResult& result, const std::string& dir);

/// One row of `fmcib metrics-table`: a named metrics.json of linear-probe or evaluate.
struct MetricsRow {
  std::string name, path;
  int64_t testRows = 0;
  int bootstrapUsed = 0;
  double level = 0.95;
  std::vector<TestMetric> metrics;
};

/// Reads the "rows", "bootstrap" and "test" members of a metrics.json. InputError naming the file
/// (and the member) when it cannot be read or lacks them.
MetricsRow readMetricsJson(const std::string& name, const std::string& path);

/// One line per row: AUROC, mAP and balanced accuracy with their intervals ("n/a" where a file has
/// no such metric), the test rows, and a note on the intervals.
std::string formatMetricsTable(const std::vector<MetricsRow>& rows);

}  // namespace fmcib::probe
