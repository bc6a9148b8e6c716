#pragma once
/// Training curves from Lightning-layout CSV logs (`metrics.csv`: a `step` column, usually `epoch`,
/// and one column per logged key, empty where a row did not log it). One PNG with up to three
/// panels against the global step: losses (keys containing "loss"), learning rates (keys starting
/// with "lr-", as LearningRateMonitor logs them, and lighter's `train/optimizer/...`) and every
/// other metric; validation / test step values (counted in evaluation steps, another axis) are left
/// out; faint vertical lines mark
/// the steps where a new epoch starts. Written by `fmcib plot` and after every `fit` that logged to
/// a CSVLogger (curves.png next to metrics.csv).
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "fmcib/inspect/image.hpp"

namespace fmcib::config {
class Config;
}

namespace fmcib::inspect {

struct MetricSeries {
  std::string name;
  std::vector<std::pair<double, double>> points;  ///< (step, value), in file order; non-finite values dropped
};

struct MetricsLog {
  std::string path;
  std::vector<MetricSeries> series;  ///< every column except step and epoch, in file order
  std::vector<double> epochStarts;   ///< steps where the epoch column changes
};

/// Reads metrics.csv. InputError naming the file (and row/column) when it is missing, has no `step`
/// column, or holds a non-numeric cell.
MetricsLog readMetricsCsv(const std::string& path);

/// Draws the panels (empty panels are left out; a log without any value gives one "NO DATA" panel).
RgbImage plotCurves(const MetricsLog& log, int width = 720);

/// readMetricsCsv + plotCurves + writePng.
void writeCurves(const std::string& metricsCsv, const std::string& pngPath);

/// The metrics.csv a `fit` of this config wrote: for each CSVLogger (or WandbLogger, which logs to
/// CSV here) under trainer#logger, save_dir/name/<version> — the configured version, else the
/// version folder whose metrics.csv changed last — provided it changed at or after `since`.
/// nullopt when the config logs no CSV or no such file exists. Builds nothing.
std::optional<std::string> findFitMetricsCsv(const config::Config& cfg,
                                             std::filesystem::file_time_type since);

/// After a fit: curves.png next to the metrics.csv findFitMetricsCsv finds. Never throws: a problem
/// is logged as a warning (the run itself succeeded). Returns the PNG written, if any.
std::optional<std::string> writeFitCurves(const config::Config& cfg, std::filesystem::file_time_type since);

}  // namespace fmcib::inspect
