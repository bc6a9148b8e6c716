#pragma once
/// Lightning's CSVLogger and TensorBoardLogger, and WandbLogger falling back to both (see logger.hpp
/// for the interface). Layout as Lightning: `save_dir/name/version_N` with N the next free integer
/// unless `version` is given (an int N gives "version_N", a string is the folder name itself).
/// The folder is chosen and created on first use (logDir() or the first log call).
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "fmcib/engine/logger.hpp"

namespace fmcib::config {
class Registry;
}

namespace fmcib::engine {

/// Where a logger writes: save_dir / name / version (Lightning's rules).
struct LogDirOptions {
  std::string saveDir = ".";
  /// Empty: the version folders sit directly under saveDir.
  std::string name = "lightning_logs";
  /// Folder name ("version_3" or a custom string); empty: "version_<next free integer>".
  std::string version;
};

/// 1 + the largest N of the `version_N` folders in `root`, or 0 (Lightning's _get_next_version).
int64_t nextVersion(const std::filesystem::path& root);
/// save_dir/name/version, choosing the next free version when none is set (does not create it).
std::filesystem::path resolveLogDir(const LogDirOptions& options);
/// Python's repr of a float for CSV cells: shortest round-trip text ("0.1", "3", "nan", "inf").
std::string formatMetricValue(double v);

struct CsvLoggerOptions {
  LogDirOptions dir;
  /// Prepended to every key with "-" (Lightning's LOGGER_JOIN_CHAR).
  std::string prefix;
  /// Rows are written when (step + 1) % n == 0, and on flush().
  int64_t flushLogsEveryNSteps = 100;
};

/// metrics.csv: one row per logMetrics call with the keys given plus `step`; columns are every key
/// seen so far in first-seen order (the file is rewritten when new keys appear). hparams.yaml: the
/// resolved config. An existing metrics.csv in a reused version folder is replaced (as Lightning).
class CsvLogger : public Logger {
 public:
  explicit CsvLogger(CsvLoggerOptions options);
  ~CsvLogger() override;
  std::string name() const override { return "pytorch_lightning.loggers.CSVLogger"; }
  std::string logDir() override;
  void logHyperparams(const std::string& resolvedYaml) override;
  void logMetrics(const std::map<std::string, double>& metrics, int64_t step) override;
  void flush() override;
  const CsvLoggerOptions& options() const { return options_; }

 private:
  /// Cells of one row in the order their keys were logged ("step" last).
  using Row = std::vector<std::pair<std::string, std::string>>;
  void save();
  void writeRows(std::string& out, const std::vector<Row>& rows) const;
  CsvLoggerOptions options_;
  std::string logDir_;
  std::vector<std::string> columns_;
  /// Rows written to the file so far (kept to rewrite it under a new header) and rows pending.
  std::vector<Row> written_, pending_;
  bool fileStarted_ = false;
};

struct TensorBoardLoggerOptions {
  LogDirOptions dir;
  std::string prefix;
  /// Logs hp_metric = -1 at step 0 with the hyperparameters (Lightning's placeholder).
  bool defaultHpMetric = true;
  /// Accepted; no graph is written (a warning says so).
  bool logGraph = false;
  /// Optional folder under the version folder.
  std::string subDir;
};

/// Writes `events.out.tfevents.<unix time>.<host>.<pid>.<n>` in the log folder: TFRecord framing
/// (length, masked CRC-32C of length, Event protobuf, masked CRC-32C of data), a first Event with
/// file_version "brain.Event:2", then one Event per scalar (Summary.Value{tag, simple_value}), as
/// torch.utils.tensorboard does. Hyperparameters: hparams.yaml in the log folder and a text summary
/// tagged "hparams".
class TensorBoardLogger : public Logger {
 public:
  explicit TensorBoardLogger(TensorBoardLoggerOptions options);
  ~TensorBoardLogger() override;
  std::string name() const override { return "pytorch_lightning.loggers.TensorBoardLogger"; }
  std::string logDir() override;
  void logHyperparams(const std::string& resolvedYaml) override;
  void logMetrics(const std::map<std::string, double>& metrics, int64_t step) override;
  void flush() override;
  /// The event file (empty before the first use).
  std::string eventFile() const { return eventFile_; }
  const TensorBoardLoggerOptions& options() const { return options_; }

 private:
  void open();
  void writeRecord(const std::string& data);
  TensorBoardLoggerOptions options_;
  std::string logDir_, eventFile_;
  int fd_ = -1;  ///< the event file
};

struct WandbLoggerOptions {
  /// W&B's save_dir: local logs go to save_dir/<project or "lightning_logs">/version_N.
  std::string saveDir = ".";
  std::string project;
  std::string runName;
  std::string version;
  std::string prefix;
};

/// `pytorch_lightning.loggers.WandbLogger` without W&B: warns once ("W&B is not available here;
/// logging locally to <dir>") on first use and forwards everything to a CsvLogger and a
/// TensorBoardLogger sharing one version folder.
class WandbFallbackLogger : public Logger {
 public:
  explicit WandbFallbackLogger(WandbLoggerOptions options);
  std::string name() const override { return "pytorch_lightning.loggers.WandbLogger"; }
  std::string logDir() override;
  void logHyperparams(const std::string& resolvedYaml) override;
  void logMetrics(const std::map<std::string, double>& metrics, int64_t step) override;
  void flush() override;

 private:
  void start();
  WandbLoggerOptions options_;
  std::string logDir_;
  std::unique_ptr<CsvLogger> csv_;
  std::unique_ptr<TensorBoardLogger> tensorboard_;
};

/// Registers pytorch_lightning.loggers.{CSVLogger, TensorBoardLogger, WandbLogger} (also under
/// lightning.pytorch.loggers.*). Idempotent.
void registerLoggerTargets(config::Registry& registry);

}  // namespace fmcib::engine
