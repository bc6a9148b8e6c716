#pragma once
/// What `fmcib linear-probe` shows and writes: a plain-text table (C selection, final fit, test
/// metrics with intervals) and, in the output folder, `probabilities.csv` (the test table's
/// non-feature columns, then prob_<class> per class, rows in input order) and `metrics.json`
/// (classes, C candidates with fold scores, chosen C, solver report, metrics with intervals,
/// bootstrap counts; NaN as null).
#include <string>

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

}  // namespace fmcib::probe
