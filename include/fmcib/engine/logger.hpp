#pragma once
/// Experiment loggers (Lightning's CSVLogger / TensorBoardLogger; WandbLogger falls back to the local
/// ones). Stored in configs as `config::Value::object<engine::Logger>`. Only rank 0 logs.
#include <cstdint>
#include <map>
#include <memory>
#include <string>

namespace fmcib::engine {

class Logger {
 public:
  virtual ~Logger() = default;
  /// The registered name, e.g. "pytorch_lightning.loggers.CSVLogger".
  virtual std::string name() const = 0;
  /// Lightning's log_dir: `save_dir/name/version_N` (created on first use).
  virtual std::string logDir() = 0;
  /// The resolved config (hparams.yaml for the CSV logger, a text summary for TensorBoard).
  virtual void logHyperparams(const std::string& resolvedYaml) = 0;
  /// Scalars at a global step, e.g. {"train/loss/step": 0.7, "epoch": 3}.
  virtual void logMetrics(const std::map<std::string, double>& metrics, int64_t step) = 0;
  /// Flushes files (called at the end of a run and after each validation).
  virtual void flush() = 0;
};

using LoggerPtr = std::shared_ptr<Logger>;

}  // namespace fmcib::engine
