#pragma once
/// The callbacks fmcib's configs use, with Lightning 2.0's semantics:
/// `pytorch_lightning.callbacks.ModelCheckpoint`, `LearningRateMonitor`, `EarlyStopping`, and
/// `fmcib.callbacks.SavePredictions`.
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "fmcib/config/registry.hpp"
#include "fmcib/engine/callback.hpp"

namespace fmcib::engine {

struct ModelCheckpointOptions {
  std::string dirpath;  ///< "" → `<log_dir>/checkpoints` with a logger, else `<default_root_dir>/checkpoints`
  std::string filename;  ///< "" → "{epoch}-{step}"; `{name}` / `{name:fmt}` insert values
  std::optional<std::string> monitor;
  bool verbose = false;
  bool saveLast = false;
  int64_t saveTopK = 1;
  std::string mode = "min";
  bool autoInsertMetricName = true;
  int64_t everyNTrainSteps = 0;  ///< 0: off
  int64_t everyNEpochs = 1;      ///< 0: off (1 when neither this nor every_n_train_steps is given)
  std::optional<bool> saveOnTrainEpochEnd;
};

/// Saves `<dirpath>/<filename>.ckpt` every N epochs (after training or after validation, as
/// Lightning decides) and/or every N optimizer steps, keeping the best `save_top_k` by `monitor`
/// (or the latest when there is none), plus `last.ckpt` with save_last.
///
/// Files: only checkpoints this process wrote into its own `dirpath` are ever replaced or deleted.
/// A file of the same name from another run (or from the run being resumed) is kept and the new one
/// gets Lightning's `-vN` suffix; the bookkeeping restored from a checkpoint (best_model_path,
/// best_k_models, ...) is information only: it ranks the restored scores when the resumed run writes
/// into the same folder, but its files are never deleted (unlike Lightning, which deletes them when
/// they leave the top k). A resumed run in the same folder continues its `last.ckpt`.
class ModelCheckpoint : public Callback, public CheckpointDirProvider {
 public:
  /// ConfigError for inconsistent options (save_top_k > 1 without monitor, bad mode, ...).
  explicit ModelCheckpoint(ModelCheckpointOptions options);
  std::string name() const override { return "pytorch_lightning.callbacks.ModelCheckpoint"; }
  std::string stateKey() const override;
  bool disabledByFastDevRun() const override { return true; }

  /// Also removes this folder's stale temporary files of interrupted writes (io::removeStaleTemporaries).
  void onFitStart(Trainer& trainer) override;
  void onTrainStepEnd(Trainer& trainer) override;
  void onValidationEnd(Trainer& trainer) override;
  void onTrainEpochEnd(Trainer& trainer) override;
  /// The folder: dirpath, else `<log_dir>/checkpoints` with a logger, else `<default_root_dir>/checkpoints`.
  std::string checkpointDir(Trainer& trainer);
  std::string lastCheckpointPath(Trainer& trainer) override;

  c10::impl::GenericDict state() const override;
  std::function<void()> prepareLoad(const c10::impl::GenericDict& state, const std::string& where) override;

  const ModelCheckpointOptions& options() const { return options_; }
  const std::string& bestModelPath() const { return bestModelPath_; }
  const std::string& lastModelPath() const { return lastModelPath_; }
  /// The file name (without folder) for the given values, e.g. "epoch=3-step=120.ckpt".
  std::string formatName(const std::map<std::string, double>& values, const std::string& templ) const;

 private:
  /// What a checkpoint restored (information only, see the class comment).
  struct Restored {
    std::string dirpath, bestModelPath, lastModelPath;
    std::optional<double> bestModelScore;
    std::map<std::string, double> bestK;
  };
  bool saveOnTrainEpochEnd(Trainer& trainer) const;
  void save(Trainer& trainer);
  /// Once per run, when the folder is known: adopts the restored bookkeeping if it is this folder's.
  void adoptRestored(Trainer& trainer);
  /// `path` unless a file of that name exists that this process did not write: then name-vN.ckpt.
  std::string unusedName(const std::string& path) const;
  void writeCheckpoint(Trainer& trainer, const std::string& path);
  /// Deletes `path` if this process wrote it into its folder; otherwise leaves it.
  void removeOwn(Trainer& trainer, const std::string& path);
  std::map<std::string, double> candidates(Trainer& trainer) const;
  bool better(double a, double b) const;

  ModelCheckpointOptions options_;
  std::string dirpath_;
  int64_t lastGlobalStepSaved_ = -1;
  std::string bestModelPath_, lastModelPath_;
  std::optional<Restored> restored_;
  bool adopted_ = false;
  /// The restored state was this folder's: last.ckpt is continued.
  bool continues_ = false;
  /// Every checkpoint file this process wrote (only these are ever replaced or deleted).
  std::set<std::string> written_;
  std::optional<double> bestModelScore_;
  std::map<std::string, double> bestK_;  ///< path → score
};

/// Logs `lr-<Optimizer>` (`lr-<Optimizer>/pg<i>` with several param groups) per step and/or epoch.
class LearningRateMonitor : public Callback {
 public:
  /// logging_interval: "step", "epoch" or "" (the scheduler's interval).
  explicit LearningRateMonitor(std::string loggingInterval);
  std::string name() const override { return "pytorch_lightning.callbacks.LearningRateMonitor"; }
  void onFitStart(Trainer& trainer) override;
  void onTrainBatchStart(Trainer& trainer) override;
  void onTrainEpochStart(Trainer& trainer) override;
  /// The current values as logged (for tests).
  std::map<std::string, double> stats(Trainer& trainer, const std::string& interval) const;

 private:
  std::string interval_;
};

struct EarlyStoppingOptions {
  std::string monitor;
  double minDelta = 0.0;
  int64_t patience = 3;
  bool verbose = false;
  std::string mode = "min";
  bool strict = true;
  bool checkFinite = true;
  std::optional<bool> checkOnTrainEpochEnd;
};

/// Stops fit when `monitor` has not improved by more than min_delta for `patience` checks.
class EarlyStopping : public Callback {
 public:
  explicit EarlyStopping(EarlyStoppingOptions options);
  std::string name() const override { return "pytorch_lightning.callbacks.EarlyStopping"; }
  std::string stateKey() const override;
  bool disabledByFastDevRun() const override { return true; }
  void onFitStart(Trainer& trainer) override;
  void onValidationEnd(Trainer& trainer) override;
  void onTrainEpochEnd(Trainer& trainer) override;
  c10::impl::GenericDict state() const override;
  std::function<void()> prepareLoad(const c10::impl::GenericDict& state, const std::string& where) override;
  int64_t waitCount() const { return waitCount_; }
  double bestScore() const { return bestScore_; }

 private:
  void check(Trainer& trainer);
  EarlyStoppingOptions options_;
  bool onTrainEnd_ = true;
  int64_t waitCount_ = 0;
  int64_t stoppedEpoch_ = 0;
  double bestScore_;
};

/// fmcib.callbacks.SavePredictions: after predict, a CSV at `path` with the predict CSV's columns
/// and the prediction of each row (`pred` for one value per row, `pred_0 … pred_{D-1}` otherwise),
/// rows in dataset order; with save_preview_samples N, `previews/<i>.png` next to it (axial,
/// sagittal and coronal middle slices of the first N inputs, min-max scaled, as fmcib's previews).
/// The layout is pandas' `DataFrame.to_csv` (what upstream writes): an unnamed first column with
/// the row's 0-based index in the predict CSV (`pd.read_csv(path, index_col=0)` reads it back),
/// then the CSV's own columns, then the predictions. Stand-ins for unusable rows are not written.
class SavePredictions : public Callback {
 public:
  SavePredictions(std::string path, int64_t savePreviewSamples);
  std::string name() const override { return "fmcib.callbacks.SavePredictions"; }
  void onPredictBatchEnd(Trainer& trainer, const data::Batch& batch, const at::Tensor& pred) override;
  void onPredictEnd(Trainer& trainer) override;
  const std::string& path() const { return path_; }

 private:
  void savePreviews(Trainer& trainer) const;
  std::string path_;
  int64_t previews_;
  std::vector<std::pair<data::RowRef, std::vector<float>>> rows_;
  int64_t width_ = -1;  ///< values per row; 0 = a scalar per row ("pred")
};

/// Registers the four callbacks above. Idempotent.
void registerCallbackTargets(config::Registry& r);

}  // namespace fmcib::engine
