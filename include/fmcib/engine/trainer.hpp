#pragma once
/// `pytorch_lightning.Trainer`: the fit / validate / test / predict loops over a System, with
/// Lightning's semantics for the keys fmcib's configs use (DESIGN §8). Stored in configs as
/// `config::Value::object<engine::Trainer>`.
///
/// Decisions (where Lightning's behaviour is not a single obvious rule):
/// - A checkpoint written at the end of epoch e records Lightning's `epoch: e` and the loop position
///   "epoch e+1, batch 0" (`loops#fmcib`); one written mid-epoch (every_n_train_steps, SIGINT/SIGTERM)
///   records "epoch e, batch k". Resuming replays the data order from there (the loader's order is
///   a function of seed, epoch and index), restores model, optimizer, scheduler, callbacks, loss
///   scaler and the torch RNG, so N epochs equal N/2 + resume + N/2 exactly.
/// - The epoch-interval scheduler steps after the epoch's validation and before the end-of-epoch
///   checkpoint, so a checkpoint holds the scheduler as the next epoch will see it.
/// - Logged values are lighter 0.0.2a19's over Lightning 2.4 (trainer_logging.cpp): per batch the
///   rank's own loss and metric values (`<mode>/loss/step`, `<mode>/metrics/<Name>/step`, the
///   batch's torchmetrics forward()), written by rank 0 — train every log_every_n_steps at the
///   optimizer step, val/test every batch at Lightning's evaluation step count; per epoch
///   (`<mode>/loss/epoch`, `<mode>/metrics/<Name>/epoch`, and at batch 0 of each training epoch
///   `train/optimizer/<Class>/lr` and `.../momentum`) Lightning's on_epoch mean of the logged values,
///   weighted by the constant batch_size, over every rank (sync_dist). The metric computed once
///   over the whole epoch's predictions of all ranks (torchmetrics' compute()) is logged as
///   `<mode>/metrics/<Name>/whole_epoch`. Callbacks see the same values (rank 0's for step keys).
/// - Before the first training batch, `num_sanity_val_steps` validation batches run as Lightning's
///   sanity check: nothing is logged, metrics are reset afterwards.
/// - SIGINT/SIGTERM: the current optimizer step completes, `last.ckpt` is written (into the first
///   ModelCheckpoint's folder, else `<default_root_dir>/checkpoints`), and the run returns 130/143.
/// - A non-finite training loss throws RuntimeError naming the step; nothing is written after it.
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "fmcib/config/value.hpp"
#include "fmcib/engine/accelerator.hpp"
#include "fmcib/engine/callback.hpp"
#include "fmcib/engine/logger.hpp"
#include "fmcib/engine/strategy.hpp"
#include "fmcib/engine/system.hpp"

namespace fmcib::data {
class DataLoader;
}
namespace fmcib::dist {
class GradientReducer;
}

namespace fmcib::engine {

class ProgressSink;

/// limit_{train,val,test,predict}_batches: an int is a count, a float a fraction of the loader.
struct BatchLimit {
  bool isFraction = true;
  double fraction = 1.0;
  int64_t count = 0;
  /// Batches to run out of `available` (Lightning: int(fraction * available), or min(count, available)).
  int64_t apply(int64_t available) const;
};

struct TrainerOptions {
  /// Lightning's defaults: max_epochs 1000 when neither max_epochs nor max_steps is set; -1 = no limit.
  int64_t maxEpochs = 1000;
  int64_t maxSteps = -1;
  int64_t checkValEveryNEpoch = 1;
  /// Validation batches run (unlogged) before training starts, to fail fast; -1 = all, 0 = none.
  int64_t numSanityValSteps = 2;
  int64_t logEveryNSteps = 50;
  std::string accelerator = "auto";
  config::Value devices = "auto";
  config::Value precision = "32-true";
  StrategyOptions strategy;
  int64_t numNodes = 1;
  bool syncBatchnorm = false;
  std::optional<bool> benchmark;
  int64_t accumulateGradBatches = 1;
  std::optional<double> gradientClipVal;
  std::string gradientClipAlgorithm = "norm";  ///< "norm" (total 2-norm) | "value"
  bool deterministic = false;
  BatchLimit limitTrain, limitVal, limitTest, limitPredict;
  /// 0: off; n: n batches of every loop, one epoch, no checkpoints, loggers or early stopping.
  int64_t fastDevRun = 0;
  std::string defaultRootDir = ".";
  bool enableProgressBar = true;
  bool enableCheckpointing = true;
};

/// Everything a checkpoint records about where the loops are.
struct TrainerState {
  std::string stage;           ///< "fit", "validate", "test", "predict"
  int64_t epoch = 0;           ///< current epoch, 0-based
  int64_t batchesDone = 0;     ///< batches of `epoch` consumed so far
  bool epochFinished = false;  ///< true between the end of `epoch` and the start of the next
  int64_t globalStep = 0;      ///< optimizer steps taken
  uint64_t seed = 0;
  bool shouldStop = false;
  /// The current training epoch's on_epoch values: key → (Σ value · batch_size, Σ batch_size), this
  /// rank's (kept across a mid-epoch resume; after one every rank restarts from rank 0's sums).
  std::map<std::string, std::pair<double, double>> epochSums;
};

/// What the command line hands to a run.
struct RunContext {
  uint64_t seed = 0;
  /// Resume (fit) or weights to evaluate (validate/test/predict); empty = none.
  std::string ckptPath;
  /// The resolved config (stored in checkpoints, logged as hyper-parameters).
  std::string configYaml;
};

class Trainer {
 public:
  Trainer(TrainerOptions options, std::vector<CallbackPtr> callbacks, std::vector<LoggerPtr> loggers);
  ~Trainer();

  /// Each returns the exit status: 0, or 130 / 143 when SIGINT / SIGTERM stopped the run.
  int fit(System& system, const RunContext& ctx);
  int validate(System& system, const RunContext& ctx);
  int test(System& system, const RunContext& ctx);
  int predict(System& system, const RunContext& ctx);

  // ---- for callbacks ----
  const TrainerOptions& options() const { return options_; }
  const TrainerState& state() const { return state_; }
  const DeviceChoice& device() const { return device_; }
  System& system();
  const std::vector<CallbackPtr>& callbacks() const { return callbacks_; }
  const std::vector<LoggerPtr>& loggers() const { return loggers_; }
  /// Lightning's callback_metrics: the latest value of every logged key.
  const std::map<std::string, double>& callbackMetrics() const { return callbackMetrics_; }
  bool isGlobalZero() const;
  bool fastDevRun() const { return options_.fastDevRun > 0; }
  /// Lightning's should_stop (EarlyStopping): the fit loop ends after the current epoch.
  void requestStop(const std::string& reason);
  /// Sends scalars to every logger (rank 0; none under fast_dev_run), adding "epoch" unless
  /// `addEpoch` is false (Lightning's evaluation step logs carry none).
  void logMetrics(std::map<std::string, double> metrics, int64_t step, bool addEpoch = true);
  /// True when the optimizer step in progress (index state().globalStep, before it increments) is
  /// one whose values are logged (log_every_n_steps).
  bool shouldLogStep() const;
  /// The first logger's log_dir, else default_root_dir (Lightning's trainer.log_dir).
  std::string logDir();
  /// Writes a checkpoint of the current state to `path` (rank 0; atomic).
  void saveCheckpoint(const std::string& path);
  /// Where last.ckpt goes when a signal stops the run (the checkpoint callback's folder, else
  /// `<default_root_dir>/checkpoints`; another run's last.ckpt there is kept: last-vN.ckpt).
  std::string interruptCheckpointPath();

 private:
  struct Loaders;
  void setup(System& system, const std::string& stage, const RunContext& ctx);
  void teardown();
  std::shared_ptr<data::DataLoader> makeLoader(const std::string& mode, bool train) const;
  int runFit();
  /// One training epoch; returns a signal's exit status or 0.
  int trainEpoch(data::DataLoader& loader, data::DataLoader* val);
  void optimizerStep();
  void stepScheduler(SchedulerConfig::Interval at);
  /// The validation / test loop; logs `<mode>/...` epoch values; returns a signal's status or 0.
  int evaluate(const std::string& mode, data::DataLoader& loader, int64_t limit);
  int runPredict(data::DataLoader& loader);
  bool valDue() const;

  struct StepOutput {
    at::Tensor loss;  ///< undefined when not computed (test, predict)
    at::Tensor pred;  ///< after all post-processing (supervised steps only)
  };
  StepOutput step(const data::Batch& batch, const std::string& mode);
  void updateMetrics(const std::string& mode, const at::Tensor& pred, const at::Tensor& target);
  void resetMetrics(const std::string& mode);
  /// `<mode>/metrics/<Name>/whole_epoch`: each metric over the whole epoch's predictions.
  std::map<std::string, double> wholeEpochMetrics(const std::string& mode);

  // ---- lighter's logging (trainer_logging.cpp) ----
  /// This batch's step values (`<mode>/loss/step` when `loss` is defined, and the metrics' values
  /// of batchMetrics_), added to `sums` under their `/epoch` keys; returns the step values.
  std::map<std::string, double> stepValues(const std::string& mode, const at::Tensor& loss,
                                           std::map<std::string, std::pair<double, double>>& sums);
  /// lighter's get_optimizer_stats at batch 0 of a training epoch, added to `sums`.
  void addOptimizerStats(std::map<std::string, std::pair<double, double>>& sums);
  /// Rank 0's values on every rank (keys are the same on all ranks).
  std::map<std::string, double> rankZeroValues(std::map<std::string, double> values);
  /// Σ over ranks of the sums, as means (Lightning's sync_dist mean).
  std::map<std::string, double> epochMeans(const std::map<std::string, std::pair<double, double>>& sums);

  void loadCheckpoint(const std::string& path, bool full);
  /// Writes last.ckpt and returns 128 + sig.
  int interrupted(int sig);

  // ---- data-parallel pieces (trainer_dist.cpp); identities in a world of one ----
  /// sync_batchnorm, then rank 0's parameters and buffers to every rank.
  void setupWorld();
  void teardownWorld();
  /// The signal any rank received (0: none): every rank stops at the same step.
  int agreedSignal();
  /// Every rank's rows of `x`, in rank order.
  at::Tensor gatherRows(const at::Tensor& x);
  /// Predict under DDP: every rank's rows of this batch, in input order, without the sampler's
  /// padding repeats (rank 0 gets them; others get an empty batch).
  void gatherPredictions(data::Batch& batch, at::Tensor& pred, std::vector<bool>& emitted);

  TrainerOptions options_;
  std::vector<CallbackPtr> callbacks_;
  std::vector<LoggerPtr> loggers_;
  DeviceChoice device_;
  TrainerState state_;
  RunContext ctx_;
  System* system_ = nullptr;
  std::map<std::string, double> callbackMetrics_;
  std::unique_ptr<GradScaler> scaler_;
  std::unique_ptr<ProgressSink> progress_;
  bool resumed_ = false;
  bool sanityChecking_ = false;
  /// `<mode>/metrics/<Name>/step` of the current batch: its own predictions on this rank.
  std::map<std::string, double> batchMetrics_;
  /// Lightning's evaluation step count of the run (val during fit, or validate / test).
  int64_t evalLogStep_ = 0;
  std::unique_ptr<dist::GradientReducer> reducer_;
  /// last.ckpt files this trainer wrote without a checkpoint callback (replaced, never versioned).
  std::set<std::string> ownLastCheckpoints_;
};

using TrainerPtr = std::shared_ptr<Trainer>;

}  // namespace fmcib::engine
