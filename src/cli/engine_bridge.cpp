// Hands a validated config to the training engine and maps its exit status (130/143 after
// SIGINT/SIGTERM) to the process exit code. After a fit, rank 0 draws the training curves
// (curves.png next to the CSV logger's metrics.csv; a problem there is a warning, never a failure).
#include <chrono>
#include <filesystem>

#include "config_options.hpp"
#include "fmcib/engine/run.hpp"
#include "fmcib/inspect/curves.hpp"

namespace fmcib::cli {

void runEngine(const std::string& command, const config::Config& cfg, const ConfigOptions& opts) {
  engine::RunOptions run;
  run.ckptPath = opts.ckptPath;
  run.seed = opts.seed;
  // Slack for file systems with coarse timestamps: a metrics.csv written by this run is never older.
  const auto started = std::filesystem::file_time_type::clock::now() - std::chrono::seconds(2);
  run.afterFitOnRankZero = [&] { inspect::writeFitCurves(cfg, started); };
  const int status = engine::runEngine(command, cfg, run);
  if (status != 0) throw Exit{status};
}

}  // namespace fmcib::cli
