// `_target_` declarations of the callbacks.
#include "fmcib/engine/callbacks.hpp"

namespace fmcib::engine {

using namespace config;

namespace {

std::optional<int64_t> optPositive(const Args& a, const std::string& name, bool allowZero) {
  Value v = a.get(name);
  if (v.isNull()) return std::nullopt;
  if (v.asInt() < (allowZero ? 0 : 1)) a.fail(name, allowZero ? "must be >= 0" : "must be >= 1");
  return v.asInt();
}

template <class Fn>
Value wrap(const Args& a, Fn&& make) {
  try {
    return Value::object<Callback>(make(), a.target());
  } catch (const ConfigError& e) {
    const std::string loc = a.resolver().locate(a.path());
    throw ConfigError((loc.empty() ? "" : loc + ": ") + a.path() + ": " + e.what());
  }
}

Value buildModelCheckpoint(const Args& a) {
  ModelCheckpointOptions o;
  if (Value v = a.get("dirpath"); !v.isNull()) o.dirpath = v.asString();
  if (Value v = a.get("filename"); !v.isNull()) o.filename = v.asString();
  if (Value v = a.get("monitor"); !v.isNull()) o.monitor = v.asString();
  o.verbose = a.getBool("verbose");
  if (Value v = a.get("save_last"); !v.isNull()) o.saveLast = v.asBool();
  o.saveTopK = a.getInt("save_top_k");
  o.mode = a.getString("mode");
  o.autoInsertMetricName = a.getBool("auto_insert_metric_name");
  auto steps = optPositive(a, "every_n_train_steps", true);
  auto epochs = optPositive(a, "every_n_epochs", true);
  // Lightning: with neither trigger set, save every epoch.
  o.everyNTrainSteps = steps.value_or(0);
  o.everyNEpochs = epochs ? *epochs : (steps ? 0 : 1);
  if (Value v = a.get("save_on_train_epoch_end"); !v.isNull()) o.saveOnTrainEpochEnd = v.asBool();
  return wrap(a, [&] { return std::make_shared<ModelCheckpoint>(o); });
}

Value buildLrMonitor(const Args& a) {
  Value v = a.get("logging_interval");
  std::string interval = v.isNull() ? "" : v.asString();
  return wrap(a, [&] { return std::make_shared<LearningRateMonitor>(interval); });
}

Value buildEarlyStopping(const Args& a) {
  EarlyStoppingOptions o;
  o.monitor = a.getString("monitor");
  o.minDelta = a.getDouble("min_delta");
  o.patience = a.getInt("patience");
  if (o.patience < 0) a.fail("patience", "must be >= 0");
  o.verbose = a.getBool("verbose");
  o.mode = a.getString("mode");
  o.strict = a.getBool("strict");
  o.checkFinite = a.getBool("check_finite");
  if (Value v = a.get("check_on_train_epoch_end"); !v.isNull()) o.checkOnTrainEpochEnd = v.asBool();
  return wrap(a, [&] { return std::make_shared<EarlyStopping>(o); });
}

Value buildSavePredictions(const Args& a) {
  const std::string path = a.getString("path");
  const int64_t previews = a.getInt("save_preview_samples");
  return wrap(a, [&] { return std::make_shared<SavePredictions>(path, previews); });
}

}  // namespace

void registerCallbackTargets(Registry& r) {
  if (r.find("pytorch_lightning.callbacks.ModelCheckpoint")) return;
  const std::vector<ArgSpec> ckptArgs{
      arg("dirpath", kString | kNull, nullptr,
          "folder (default: <log_dir>/checkpoints or <default_root_dir>/checkpoints)"),
      arg("filename", kString | kNull, nullptr,
          "name template, e.g. '{epoch}-{val/loss/epoch:.3f}' (default '{epoch}-{step}')"),
      arg("monitor", kString | kNull, nullptr, "logged key ranking checkpoints (null: keep the latest)"),
      arg("verbose", kBool, false, "log every save"),
      arg("save_last", kBool | kNull, nullptr, "also write last.ckpt at every save"),
      arg("save_top_k", kInt, 1, "checkpoints kept (-1: all, 0: none)"),
      arg("mode", kString, "min", "min | max: which monitor values are better"),
      arg("auto_insert_metric_name", kBool, true, "'{epoch}' → 'epoch=3'"),
      arg("every_n_train_steps", kInt | kNull, nullptr, "save every N optimizer steps"),
      arg("every_n_epochs", kInt | kNull, nullptr,
          "save every N epochs (default 1 unless every_n_train_steps)"),
      arg("save_on_train_epoch_end", kBool | kNull, nullptr,
          "save at the end of training epochs (default: Lightning's rule)"),
  };
  r.add({"pytorch_lightning.callbacks.ModelCheckpoint", "Lightning's ModelCheckpoint", ckptArgs,
         buildModelCheckpoint});
  r.add({"lightning.pytorch.callbacks.ModelCheckpoint",
         "alias of pytorch_lightning.callbacks.ModelCheckpoint", ckptArgs, buildModelCheckpoint});

  const std::vector<ArgSpec> lrArgs{
      arg("logging_interval", kString | kNull, nullptr, "step | epoch | null (the scheduler's interval)")};
  r.add({"pytorch_lightning.callbacks.LearningRateMonitor", "logs lr-<Optimizer> to the loggers", lrArgs,
         buildLrMonitor});
  r.add({"lightning.pytorch.callbacks.LearningRateMonitor",
         "alias of pytorch_lightning.callbacks.LearningRateMonitor", lrArgs, buildLrMonitor});

  const std::vector<ArgSpec> esArgs{
      required("monitor", kString, "logged key to watch, e.g. val/loss/epoch"),
      arg("min_delta", kFloat, 0.0, "smallest change that counts as an improvement"),
      arg("patience", kInt, 3, "checks without improvement before stopping"),
      arg("verbose", kBool, false, "log improvements"),
      arg("mode", kString, "min", "min | max"),
      arg("strict", kBool, true, "fail when the monitored key is missing"),
      arg("check_finite", kBool, true, "stop when the monitored value is NaN or infinite"),
      arg("check_on_train_epoch_end", kBool | kNull, nullptr,
          "check at training epoch end instead of after validation"),
  };
  r.add({"pytorch_lightning.callbacks.EarlyStopping", "stops fit when a metric stops improving", esArgs,
         buildEarlyStopping});
  r.add({"lightning.pytorch.callbacks.EarlyStopping", "alias of pytorch_lightning.callbacks.EarlyStopping",
         esArgs, buildEarlyStopping});

  r.add({"fmcib.callbacks.SavePredictions",
         "writes predict outputs as CSV: the input CSV's columns + pred_0 … pred_{D-1}",
         {required("path", kString, "CSV file to write"),
          arg("save_preview_samples", kInt, 0, "PNG previews of the first N inputs (previews/<i>.png)")},
         buildSavePredictions});
}

}  // namespace fmcib::engine
