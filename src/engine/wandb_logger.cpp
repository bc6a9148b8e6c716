// WandbLogger without Weights & Biases: a user's config keeps working and still produces local logs
// (DESIGN §3: a logger the machine cannot serve falls back to the local loggers with one warning).
#include <spdlog/spdlog.h>

#include "fmcib/engine/loggers.hpp"

namespace fmcib::engine {

WandbFallbackLogger::WandbFallbackLogger(WandbLoggerOptions options) : options_(std::move(options)) {}

void WandbFallbackLogger::start() {
  if (csv_) return;
  LogDirOptions dir;
  dir.saveDir = options_.saveDir.empty() ? "." : options_.saveDir;
  dir.name = options_.project.empty() ? "lightning_logs" : options_.project;
  dir.version = options_.version;
  const std::filesystem::path path = resolveLogDir(dir);
  // Both loggers get the chosen folder name, so they share one version_N instead of taking two.
  dir.version = path.filename().string();
  CsvLoggerOptions csv;
  csv.dir = dir;
  csv.prefix = options_.prefix;
  TensorBoardLoggerOptions tb;
  tb.dir = dir;
  tb.prefix = options_.prefix;
  csv_ = std::make_unique<CsvLogger>(csv);
  tensorboard_ = std::make_unique<TensorBoardLogger>(tb);
  logDir_ = csv_->logDir();
  tensorboard_->logDir();
  spdlog::warn("W&B is not available here; logging locally to {}", logDir_);
}

std::string WandbFallbackLogger::logDir() {
  start();
  return logDir_;
}

void WandbFallbackLogger::logHyperparams(const std::string& resolvedYaml) {
  start();
  csv_->logHyperparams(resolvedYaml);
  tensorboard_->logHyperparams(resolvedYaml);
}

void WandbFallbackLogger::logMetrics(const std::map<std::string, double>& metrics, int64_t step) {
  start();
  csv_->logMetrics(metrics, step);
  tensorboard_->logMetrics(metrics, step);
}

void WandbFallbackLogger::flush() {
  if (!csv_) return;
  csv_->flush();
  tensorboard_->flush();
}

}  // namespace fmcib::engine
