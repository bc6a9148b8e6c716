// `pytorch_lightning.Trainer` and `lighter.LighterSystem` targets.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdlib>

#include "fmcib/engine/callbacks.hpp"
#include "fmcib/engine/loggers.hpp"
#include "fmcib/engine/targets.hpp"
#include "fmcib/engine/trainer.hpp"

namespace fmcib::engine {

using config::arg;
using config::Args;
using config::ArgSpec;
using config::required;
using config::section;
using config::Value;
using namespace config;  // ArgKind bits

namespace {

BatchLimit parseLimit(const Args& a, const std::string& name) {
  Value v = a.get(name);
  BatchLimit l;
  if (v.isNull()) return l;
  if (v.isInt()) {
    if (v.asInt() < 0) a.fail(name, "must be >= 0");
    l.isFraction = false;
    l.count = v.asInt();
  } else {
    const double f = v.asDouble();
    if (f < 0 || f > 1) a.fail(name, "a float must be a fraction in [0, 1] (an int is a batch count)");
    l.fraction = f;
  }
  return l;
}

int64_t positiveOr(const Args& a, const std::string& name, int64_t dflt) {
  Value v = a.get(name);
  if (v.isNull()) return dflt;
  if (!v.isInt() || v.asInt() < 1) a.fail(name, "expected a positive int, got " + v.repr());
  return v.asInt();
}

Value buildTrainer(const Args& a) {
  TrainerOptions o;
  o.maxSteps = a.getInt("max_steps");
  if (o.maxSteps < -1) a.fail("max_steps", "expected -1 (no limit) or a step count");
  Value maxEpochs = a.get("max_epochs");
  if (maxEpochs.isNull())
    o.maxEpochs = o.maxSteps == -1 ? 1000 : -1;
  else if ((o.maxEpochs = maxEpochs.asInt()) < -1)
    a.fail("max_epochs", "expected -1 (no limit) or an epoch count");
  o.checkValEveryNEpoch = positiveOr(a, "check_val_every_n_epoch", 1);
  o.numSanityValSteps = a.getInt("num_sanity_val_steps");
  if (o.numSanityValSteps < -1) a.fail("num_sanity_val_steps", "expected -1 (all), 0 (off) or a batch count");
  o.logEveryNSteps = positiveOr(a, "log_every_n_steps", 50);
  o.accelerator = a.getString("accelerator");
  Value strategy = a.get("strategy");
  if (strategy.holds<StrategyOptions>())
    o.strategy = *strategy.as<StrategyOptions>();
  else if (!strategy.isNull())
    o.strategy.name = strategy.asString();
  static const std::vector<std::string> kStrategies{"auto", "ddp", "ddp_find_unused_parameters_false",
                                                    "ddp_find_unused_parameters_true", "single_device"};
  if (std::find(kStrategies.begin(), kStrategies.end(), o.strategy.name) == kStrategies.end())
    a.fail("strategy", "'" + o.strategy.name +
                           "' is not supported (accepted: auto, ddp, ddp_find_unused_parameters_false, "
                           "ddp_find_unused_parameters_true, single_device, or a DDPStrategy)");
  o.devices = a.get("devices");
  o.numNodes = positiveOr(a, "num_nodes", 1);
  o.precision = a.get("precision");
  o.syncBatchnorm = a.getBool("sync_batchnorm");
  if (Value b = a.get("benchmark"); !b.isNull()) o.benchmark = b.asBool();
  o.accumulateGradBatches = positiveOr(a, "accumulate_grad_batches", 1);
  if (Value c = a.get("gradient_clip_val"); !c.isNull()) {
    if (c.asDouble() < 0) a.fail("gradient_clip_val", "must be >= 0");
    o.gradientClipVal = c.asDouble();
  }
  if (Value c = a.get("gradient_clip_algorithm"); !c.isNull()) o.gradientClipAlgorithm = c.asString();
  if (o.gradientClipAlgorithm != "norm" && o.gradientClipAlgorithm != "value")
    a.fail("gradient_clip_algorithm", "expected 'norm' or 'value'");
  Value det = a.get("deterministic");
  if (det.isString() && det.asString() != "warn") a.fail("deterministic", "expected true, false or 'warn'");
  o.deterministic = det.isString() || (det.isBool() && det.asBool());
  o.limitTrain = parseLimit(a, "limit_train_batches");
  o.limitVal = parseLimit(a, "limit_val_batches");
  o.limitTest = parseLimit(a, "limit_test_batches");
  o.limitPredict = parseLimit(a, "limit_predict_batches");
  Value fdr = a.get("fast_dev_run");
  if (fdr.isBool())
    o.fastDevRun = fdr.asBool() ? 1 : 0;
  else if ((o.fastDevRun = fdr.asInt()) < 0)
    a.fail("fast_dev_run", "expected true, false or a batch count");
  if (Value d = a.get("default_root_dir"); !d.isNull()) o.defaultRootDir = d.asString();
  if (Value p = a.get("enable_progress_bar"); !p.isNull()) o.enableProgressBar = p.asBool();
  if (Value c = a.get("enable_checkpointing"); !c.isNull()) o.enableCheckpointing = c.asBool();
  // As Lightning's Trainer(...): an accelerator or precision this machine cannot serve fails here,
  // before the system (data, weights) is built.
  try {
    resolveDevice(o.accelerator, o.devices, o.precision, localRankFromEnv(), a.path());
  } catch (const ConfigError& e) {
    const std::string loc = a.resolver().locate(a.path());
    throw ConfigError((loc.empty() ? "" : loc + ": ") + e.what());
  }

  std::vector<CallbackPtr> callbacks;
  Value cbs = a.get("callbacks");
  auto addCallback = [&](const Value& v) {
    if (v.isNull()) return;  // a `_disabled_` callback
    if (!v.holds<Callback>())
      a.fail("callbacks", "expected callbacks (e.g. ModelCheckpoint), got " + v.kindName());
    callbacks.push_back(v.as<Callback>());
  };
  if (cbs.isList())
    for (const auto& v : cbs.asList()) addCallback(v);
  else
    addCallback(cbs);

  std::vector<LoggerPtr> loggers;
  Value lg = a.get("logger");
  auto addLogger = [&](const Value& v) {
    if (v.isNull()) return;
    if (!v.holds<Logger>())
      a.fail("logger", "expected a logger (e.g. CSVLogger) or true/false, got " + v.kindName());
    loggers.push_back(v.as<Logger>());
  };
  if (lg.isBool()) {
    if (lg.asBool()) {  // Lightning's default logger
      TensorBoardLoggerOptions t;
      t.dir.saveDir = o.defaultRootDir;
      loggers.push_back(std::make_shared<TensorBoardLogger>(t));
    }
  } else if (lg.isList()) {
    for (const auto& v : lg.asList()) addLogger(v);
  } else {
    addLogger(lg);
  }
  // Lightning adds a ModelCheckpoint unless one is given or enable_checkpointing is false.
  bool haveCheckpoint = false;
  for (const auto& cb : callbacks)
    haveCheckpoint |= dynamic_cast<const ModelCheckpoint*>(cb.get()) != nullptr;
  if (o.enableCheckpointing && !haveCheckpoint)
    callbacks.push_back(std::make_shared<ModelCheckpoint>(ModelCheckpointOptions{}));
  if (!o.enableCheckpointing && haveCheckpoint)
    a.fail("enable_checkpointing", "is false but trainer#callbacks has a ModelCheckpoint");
  auto trainer = std::make_shared<Trainer>(std::move(o), std::move(callbacks), std::move(loggers));
  return Value::object<Trainer>(trainer, a.target());
}

std::vector<LambdaPtr> lambdas(const Args& a, const Value& v, const std::string& where) {
  std::vector<LambdaPtr> out;
  auto add = [&](const Value& x) {
    if (x.isNull()) return;
    if (!x.holds<config::Lambda>())
      a.fail("postprocessing",
             where + ": expected '$lambda x: ...' (or a list of them), got " + x.kindName());
    out.push_back(x.as<config::Lambda>());
  };
  if (v.isList())
    for (const auto& x : v.asList()) add(x);
  else
    add(v);
  return out;
}

StagePostprocessing stage(const Args& a, const Value& pp, const std::string& name) {
  StagePostprocessing s;
  const Value* st = pp.isMap() ? pp.find(name) : nullptr;
  if (!st || st->isNull()) return s;
  if (const Value* v = st->find("input")) s.input = lambdas(a, *v, name + "#input");
  if (const Value* v = st->find("target")) s.target = lambdas(a, *v, name + "#target");
  if (const Value* v = st->find("pred")) s.pred = lambdas(a, *v, name + "#pred");
  return s;
}

std::vector<NamedMetric> metricsOf(const Args& a, const Value& v, const std::string& mode) {
  std::vector<NamedMetric> out;
  auto add = [&](const std::string& key, const Value& m) {
    if (m.isNull()) return;
    if (!m.holds<Metric>()) a.fail("metrics", mode + ": expected torchmetrics objects, got " + m.kindName());
    MetricPtr metric = m.as<Metric>();
    out.push_back({key.empty() ? metric->name() : key, metric});
  };
  if (v.isList())
    for (const auto& m : v.asList()) add("", m);
  else if (v.isMap())
    for (const auto& [k, m] : v.asMap()) add(k, m);
  else
    add("", v);
  return out;
}

Value buildSystem(const Args& a) {
  auto sys = std::make_shared<System>();
  sys->options.batchSize = a.getInt("batch_size");
  if (sys->options.batchSize < 1) a.fail("batch_size", "must be >= 1");
  sys->options.dropLastBatch = a.getBool("drop_last_batch");
  sys->options.numWorkers = a.getInt("num_workers");
  if (sys->options.numWorkers < 0) a.fail("num_workers", "must be >= 0");
  sys->options.pinMemory = a.getBool("pin_memory");
  sys->model = a.getObject<models::Network>("model");
  if (!sys->model) a.fail("model", "a model is required");
  sys->criterion = a.getObject<losses::Criterion>("criterion");
  sys->optimizer = a.getObject<optim::Optimizer>("optimizer");

  Value sched = a.get("scheduler");
  if (!sched.isNull()) {
    SchedulerConfig sc;
    Value inner = sched;
    if (sched.isMap()) {
      inner = sched.find("scheduler") ? *sched.find("scheduler") : Value();
      if (const Value* iv = sched.find("interval"); iv && !iv->isNull()) {
        if (iv->asString() == "step")
          sc.interval = SchedulerConfig::Interval::kStep;
        else if (iv->asString() != "epoch")
          a.fail("scheduler", "interval must be 'epoch' or 'step', got " + iv->repr());
      }
      if (const Value* f = sched.find("frequency"); f && !f->isNull()) {
        if (!f->isInt() || f->asInt() < 1) a.fail("scheduler", "frequency must be a positive int");
        sc.frequency = f->asInt();
      }
    }
    if (!inner.holds<optim::Scheduler>())
      a.fail("scheduler",
             "expected a scheduler (or {scheduler: ..., interval: step|epoch, frequency: N}), got " +
                 inner.kindName());
    sc.scheduler = inner.as<optim::Scheduler>();
    if (sys->optimizer && sc.scheduler->optimizer() != sys->optimizer)
      a.fail("scheduler",
             "the scheduler is built on another optimizer than system#optimizer (use optimizer: "
             "\"@system#optimizer\")");
    sys->scheduler = sc;
  }

  Value ds = a.get("datasets");
  if (ds.isMap())
    for (const auto& [mode, v] : ds.asMap()) {
      if (v.isNull()) continue;
      if (!v.holds<data::Dataset>()) a.fail("datasets", mode + ": expected a dataset, got " + v.kindName());
      sys->datasets[mode] = v.as<data::Dataset>();
    }
  Value ms = a.get("metrics");
  if (ms.isMap())
    for (const auto& [mode, v] : ms.asMap()) sys->metrics[mode] = metricsOf(a, v, mode);
  Value pp = a.get("postprocessing");
  sys->postprocessing.criterion = stage(a, pp, "criterion");
  sys->postprocessing.metrics = stage(a, pp, "metrics");
  sys->postprocessing.logging = stage(a, pp, "logging");
  return Value::object<System>(sys, a.target());
}

std::vector<ArgSpec> stageFields(const std::string& what) {
  const unsigned k = kObject | kList | kNull;
  return {arg("input", k, nullptr, "lambdas applied to the input before " + what),
          arg("target", k, nullptr, "lambdas applied to the target before " + what),
          arg("pred", k, nullptr, "lambdas applied to the prediction before " + what)};
}

}  // namespace

void registerTrainerTargets(config::Registry& r) {
  if (r.find("pytorch_lightning.Trainer")) return;
  const unsigned limitKinds = kInt | kFloat | kNull;
  std::vector<ArgSpec> trainerArgs{
      arg("accelerator", kString, "auto", "cpu | gpu | cuda | auto (CUDA when available)"),
      arg("strategy", kString | kObject | kNull, "auto",
          "auto | ddp (one process per device) | single_device | a DDPStrategy"),
      arg("devices", kInt | kList | kString | kNull, "auto", "device count, list of indices, or 'auto'"),
      arg("num_nodes", kInt | kNull, 1, "machines in the run"),
      arg("precision", kInt | kString | kNull, "32-true", "32 | 16-mixed | bf16-mixed (mixed needs CUDA)"),
      arg("logger", kBool | kObject | kList | kNull, true,
          "logger(s); true: TensorBoardLogger in default_root_dir"),
      arg("callbacks", kList | kObject | kNull, nullptr,
          "callbacks (ModelCheckpoint, LearningRateMonitor, ...)"),
      arg("fast_dev_run", kBool | kInt, false,
          "true / N: N batches of each loop, one epoch, no checkpoints or logs"),
      arg("max_epochs", kInt | kNull, nullptr, "epochs (default 1000 when max_steps is -1; -1 = no limit)"),
      arg("max_steps", kInt, -1, "optimizer steps (-1 = no limit)"),
      arg("limit_train_batches", limitKinds, 1.0, "batches per training epoch (int) or fraction (float)"),
      arg("limit_val_batches", limitKinds, 1.0, "batches per validation (int) or fraction (float)"),
      arg("limit_test_batches", limitKinds, 1.0, "batches of the test loop (int) or fraction (float)"),
      arg("limit_predict_batches", limitKinds, 1.0, "batches of the predict loop (int) or fraction (float)"),
      arg("check_val_every_n_epoch", kInt | kNull, 1, "validate after every N training epochs"),
      arg("num_sanity_val_steps", kInt, 2, "validation batches run before training (-1: all, 0: off)"),
      arg("log_every_n_steps", kInt | kNull, 50, "log step values every N optimizer steps"),
      arg("accumulate_grad_batches", kInt, 1, "batches whose gradients add up before one optimizer step"),
      arg("gradient_clip_val", kFloat | kNull, nullptr, "clip gradients to this total norm (or value)"),
      arg("gradient_clip_algorithm", kString | kNull, "norm", "norm | value"),
      arg("deterministic", kBool | kString | kNull, nullptr, "use deterministic algorithms (true | 'warn')"),
      arg("benchmark", kBool | kNull, nullptr, "cudnn.benchmark"),
      arg("sync_batchnorm", kBool, false, "synchronize BatchNorm statistics across ranks (ddp)"),
      arg("default_root_dir", kString | kNull, nullptr,
          "folder for logs and checkpoints without explicit paths"),
      arg("enable_progress_bar", kBool | kNull, true, "progress lines while training"),
      arg("enable_checkpointing", kBool | kNull, true, "add a default ModelCheckpoint when none is given"),
  };
  std::vector<ArgSpec> ddpArgs{
      arg("process_group_backend", kString | kNull, nullptr,
          "gloo | nccl (null: nccl on GPUs, gloo on CPUs)"),
      arg("timeout", kInt | kFloat | kNull, 1800, "seconds a collective may wait for a peer before failing"),
      arg("bucket_cap_mb", kInt | kFloat | kNull, 25, "gradient all-reduce bucket size in MB"),
      arg("find_unused_parameters", kBool | kNull, false,
          "accepted; gradients are reduced after backward, unused parameters need no search"),
      arg("static_graph", kBool | kNull, false, "accepted (no effect: no graph-dependent hooks)"),
      arg("gradient_as_bucket_view", kBool | kNull, false, "accepted (no effect)"),
  };
  auto buildDdp = [](const Args& a) {
    auto s = std::make_shared<StrategyOptions>();
    s->name = "ddp";
    if (Value b = a.get("process_group_backend"); !b.isNull()) {
      s->backend = b.asString();
      if (s->backend != "gloo" && s->backend != "nccl")
        a.fail("process_group_backend", "expected gloo or nccl");
    }
    if (Value t = a.get("timeout"); !t.isNull()) {
      s->timeoutSeconds = t.asDouble();
      if (s->timeoutSeconds <= 0) a.fail("timeout", "must be > 0 seconds");
    }
    if (Value b = a.get("bucket_cap_mb"); !b.isNull()) {
      s->bucketCapMb = b.asDouble();
      if (s->bucketCapMb <= 0) a.fail("bucket_cap_mb", "must be > 0");
    }
    return Value::object<StrategyOptions>(s, a.target());
  };
  for (const char* name :
       {"pytorch_lightning.strategies.DDPStrategy", "lightning.pytorch.strategies.DDPStrategy"})
    r.add({name, "distributed data-parallel: one process per device, gradients averaged over ranks", ddpArgs,
           buildDdp});

  r.add({"pytorch_lightning.Trainer", "Lightning's Trainer: fit / validate / test / predict loops",
         trainerArgs, buildTrainer});
  r.add({"lightning.pytorch.Trainer", "alias of pytorch_lightning.Trainer", trainerArgs, buildTrainer});

  const unsigned obj = kObject | kNull;
  const unsigned metricKinds = kObject | kList | kMap | kNull;
  std::vector<ArgSpec> systemArgs{
      required("model", kObject, "the network (models::Network)"),
      required("batch_size", kInt, "batch size per device"),
      arg("drop_last_batch", kBool, false, "drop the last incomplete training batch"),
      arg("num_workers", kInt, 0, "data-loading threads (0: load in the training thread)"),
      arg("pin_memory", kBool, true,
          "accepted for compatibility (batches are copied to the device as needed)"),
      arg("optimizer", obj, nullptr, "optimizer (needed by fit)"),
      section("scheduler",
              {arg("scheduler", kObject, nullptr, "the scheduler"),
               arg("interval", kString | kNull, "epoch", "step | epoch"),
               arg("frequency", kInt | kNull, 1, "step the scheduler every N intervals"),
               arg("name", kString | kNull, nullptr, "accepted for compatibility")},
              "lr scheduler, or Lightning's {scheduler, interval, frequency}", kObject | kMap | kNull),
      arg("criterion", obj, nullptr, "loss (needed by fit)"),
      section("datasets",
              {arg("train", obj, nullptr, "training dataset"), arg("val", obj, nullptr, "validation dataset"),
               arg("test", obj, nullptr, "test dataset"), arg("predict", obj, nullptr, "prediction dataset")},
              "datasets per stage"),
      section("metrics",
              {arg("train", metricKinds, nullptr, "metrics of training epochs"),
               arg("val", metricKinds, nullptr, "metrics of validation"),
               arg("test", metricKinds, nullptr, "metrics of the test loop")},
              "torchmetrics per stage (one, a list, or a name → metric map)"),
      section("postprocessing",
              {section("criterion", stageFields("the criterion"), "before the loss"),
               section("metrics", stageFields("the metrics"), "before the metrics (after criterion)"),
               section("logging", stageFields("logging / predictions"), "before logging and predict output")},
              "lambdas applied before the criterion, the metrics and logging"),
  };
  r.add({"lighter.LighterSystem", "lighter's system: model, data, criterion, optimizer, metrics", systemArgs,
         buildSystem});
}

}  // namespace fmcib::engine
