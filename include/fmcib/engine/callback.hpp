#pragma once
/// Trainer callbacks (Lightning's Callback hooks, the subset fmcib's configs use). Stored in configs
/// as `config::Value::object<engine::Callback>`. Hooks run on every rank; writing files is the
/// callback's business and happens on rank 0 only (Trainer::isGlobalZero()).
#include <ATen/Tensor.h>
#include <ATen/core/Dict.h>
#include <ATen/core/ivalue.h>

#include <functional>
#include <memory>
#include <string>

#include "fmcib/data/batch.hpp"

namespace fmcib::engine {

class Trainer;

class Callback {
 public:
  virtual ~Callback() = default;
  /// The registered name, e.g. "pytorch_lightning.callbacks.ModelCheckpoint".
  virtual std::string name() const = 0;
  /// Lightning's `state_key`: the key of this callback's state in checkpoints["callbacks"].
  virtual std::string stateKey() const { return name(); }

  /// Lightning's fast_dev_run disables these (checkpointing, early stopping).
  virtual bool disabledByFastDevRun() const { return false; }

  virtual void onFitStart(Trainer&) {}
  virtual void onTrainEpochStart(Trainer&) {}
  /// Before the batch's forward (LearningRateMonitor logs here).
  virtual void onTrainBatchStart(Trainer&) {}
  /// After a batch that stepped the optimizer (and any per-step scheduler).
  virtual void onTrainStepEnd(Trainer&) {}
  /// After the validation loop (its metrics are in Trainer::callbackMetrics()); inside fit, after
  /// the epoch-interval scheduler step of that epoch.
  virtual void onValidationEnd(Trainer&) {}
  /// At the end of a training epoch, after that epoch's validation and epoch-interval scheduler step.
  virtual void onTrainEpochEnd(Trainer&) {}
  virtual void onFitEnd(Trainer&) {}

  /// One predict batch: its rows and the post-processed prediction (on the CPU).
  virtual void onPredictBatchEnd(Trainer&, const data::Batch&, const at::Tensor&) {}
  virtual void onPredictEnd(Trainer&) {}

  /// State kept in checkpoints (best scores, counters). Default: none.
  virtual c10::impl::GenericDict state() const;
  /// Checks a state() dict restored from a checkpoint (every field's type and range) without
  /// changing anything and returns what applies it, which cannot fail; InputError names the key
  /// below `where`. Default: nothing to restore.
  virtual std::function<void()> prepareLoad(const c10::impl::GenericDict& state, const std::string& where);
  void loadState(const c10::impl::GenericDict& s) { prepareLoad(s, stateKey())(); }
};

using CallbackPtr = std::shared_ptr<Callback>;

/// Implemented by callbacks that own a checkpoint folder (ModelCheckpoint): the trainer writes
/// last.ckpt there when a signal stops the run.
class CheckpointDirProvider {
 public:
  virtual ~CheckpointDirProvider() = default;
  /// Where the interrupted run's last.ckpt goes: `<folder>/last.ckpt` when this run wrote it or
  /// continues it, else Lightning's next free `last-vN.ckpt` (another run's file is never replaced).
  virtual std::string lastCheckpointPath(Trainer& trainer) = 0;
};

}  // namespace fmcib::engine
