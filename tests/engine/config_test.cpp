// Trainer and LighterSystem built from YAML: declared keys, post-processing lambdas, metrics,
// scheduler forms, seeds, and the accelerator rules.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

#include "engine/engine_support.hpp"
#include "fmcib/config/config.hpp"
#include "fmcib/data/targets.hpp"
#include "fmcib/engine/accelerator.hpp"
#include "fmcib/engine/run.hpp"
#include "fmcib/engine/targets.hpp"
#include "fmcib/engine/tensor_functions.hpp"
#include "fmcib/losses/targets.hpp"
#include "fmcib/models/targets.hpp"
#include "fmcib/optim/param_list.hpp"
#include "fmcib/optim/targets.hpp"
#include "fmcib/transforms/targets.hpp"
#include "support/paths.hpp"

namespace fmcib::test {
namespace {

using config::Value;

config::Registry& registry() {
  static config::Registry r = [] {
    config::Registry reg;
    transforms::registerTargets(reg);
    data::registerTargets(reg);
    models::registerTargets(reg);
    losses::registerTargets(reg);
    optim::registerTargets(reg);
    engine::registerTargets(reg);
    reg.add({"test.Blobs",
             "separable points",
             {config::arg("n", config::kInt, 32, "points"), config::arg("seed", config::kInt, 7, "seed")},
             [](const config::Args& a) {
               auto ds = std::make_shared<BlobDataset>(a.getInt("n"), 3, 0.0,
                                                       static_cast<uint64_t>(a.getInt("seed")));
               return Value::object<data::Dataset>(ds, a.target());
             }});
    reg.add({"test.Mlp", "MLP", {config::arg("out", config::kInt, 2, "outputs")}, [](const config::Args& a) {
               return Value::object<models::Network>(std::make_shared<Mlp>(3, 8, a.getInt("out")),
                                                     a.target());
             }});
    return reg;
  }();
  return r;
}

const char* kSupervised = R"yaml(
trainer:
  _target_: pytorch_lightning.Trainer
  max_epochs: 8
  accelerator: cpu
  devices: 1
  logger: false
  enable_checkpointing: false
  enable_progress_bar: false
system:
  _target_: lighter.LighterSystem
  batch_size: 8
  model: {_target_: test.Mlp, out: 1}
  criterion: {_target_: torch.nn.BCEWithLogitsLoss}
  optimizer:
    _target_: torch.optim.Adam
    params: "$@system#model.parameters()"
    lr: 0.05
  scheduler:
    scheduler: {_target_: torch.optim.lr_scheduler.StepLR, optimizer: "@system#optimizer", step_size: 1, gamma: 0.9}
    interval: step
  metrics:
    train:
      - {_target_: torchmetrics.Accuracy, task: binary}
    val:
      - {_target_: torchmetrics.AUROC, task: binary}
      - {_target_: torchmetrics.Accuracy, task: binary}
  postprocessing:
    criterion:
      pred: ["$lambda x: x.squeeze(1)"]
      target: ["$lambda x: x.float()"]
    metrics:
      pred: ["$lambda x: torch.sigmoid(x)"]
      target: "$lambda x: x.long()"
  datasets:
    train: {_target_: test.Blobs, n: 64}
    val: {_target_: test.Blobs, n: 64}
)yaml";

TEST(EngineConfig, SupervisedSystemTrainsFromYamlWithLambdasAndMetrics) {
  config::Config cfg = config::Config::fromString(kSupervised, "supervised.yaml", registry());
  cfg.validate();
  engine::RunOptions ro;
  ro.seed = 3;
  ASSERT_EQ(engine::runEngine("fit", cfg, ro), 0);
  auto trainer = cfg.resolve("trainer").as<engine::Trainer>();
  const auto& m = trainer->callbackMetrics();
  ASSERT_TRUE(m.count("val/metrics/BinaryAUROC/epoch"));
  ASSERT_TRUE(m.count("val/metrics/BinaryAccuracy/epoch"));
  EXPECT_GT(m.at("val/metrics/BinaryAUROC/epoch"), 0.95);
  // Per step, lighter logs the batch's own value (torchmetrics' forward): k/8 for a batch of 8.
  ASSERT_TRUE(m.count("train/metrics/BinaryAccuracy/step"));
  ASSERT_TRUE(m.count("train/metrics/BinaryAccuracy/epoch"));
  const double stepAccuracy = m.at("train/metrics/BinaryAccuracy/step") * 8;
  EXPECT_NEAR(stepAccuracy, std::round(stepAccuracy), 1e-9);
  EXPECT_EQ(trainer->state().globalStep, 64);
  auto sys = cfg.resolve("system").as<engine::System>();
  EXPECT_NEAR(sys->optimizer->lr(0), 0.05 * std::pow(0.9, 64), 1e-12);  // stepped per step
}

TEST(EngineConfig, DefaultLoggerAndCheckpointGoUnderDefaultRootDir) {
  // Lightning's defaults: logger true → TensorBoardLogger(default_root_dir/lightning_logs/version_N),
  // and a ModelCheckpoint into its log_dir/checkpoints keeping the latest epoch.
  const auto root = tempDir("engine_default_root");
  config::Config cfg = config::Config::fromStrings(
      {{"base.yaml", kSupervised},
       {"defaults.yaml",
        "trainer#logger: true\ntrainer#enable_checkpointing: true\ntrainer#max_epochs: 2\n"
        "trainer#default_root_dir: '" +
            root.string() + "'\n"}},
      {}, registry());
  cfg.validate();
  engine::RunOptions ro;
  ro.seed = 1;
  ASSERT_EQ(engine::runEngine("fit", cfg, ro), 0);
  const auto version = root / "lightning_logs" / "version_0";
  bool events = false;
  for (const auto& e : std::filesystem::directory_iterator(version))
    events |= e.path().filename().string().rfind("events.out.tfevents.", 0) == 0;
  EXPECT_TRUE(events);
  EXPECT_TRUE(std::filesystem::exists(version / "checkpoints" / "epoch=1-step=16.ckpt"));
  EXPECT_FALSE(std::filesystem::exists(version / "checkpoints" / "epoch=0-step=8.ckpt"));  // save_top_k 1
}

TEST(EngineConfig, UnknownKeysAreRejectedEverywhere) {
  const std::pair<std::string, std::string> cases[] = {
      {"trainer#max_epoch", "unknown argument 'max_epoch'"},
      {"system#datasets#training", "unknown argument 'training'"},
      {"system#postprocessing#loss", "unknown argument 'loss'"},
      {"system#postprocessing#criterion#output", "unknown argument 'output'"},
      {"system#metrics#valid", "unknown argument 'valid'"},
      {"system#scheduler#every", "unknown argument 'every'"},
  };
  for (const auto& [path, message] : cases) {
    std::string yaml = kSupervised;
    // Insert the bad key as a sibling at the given path via a second "file".
    config::Config cfg =
        config::Config::fromStrings({{"base.yaml", yaml}, {"bad.yaml", path + ": 1\n"}}, {}, registry());
    try {
      cfg.validate();
      ADD_FAILURE() << path << " was accepted";
    } catch (const ConfigError& e) {
      EXPECT_NE(std::string(e.what()).find(message), std::string::npos) << e.what();
    }
  }
}

TEST(EngineConfig, EveryDesignKeyIsDeclared) {
  const auto* t = registry().find("pytorch_lightning.Trainer");
  ASSERT_NE(t, nullptr);
  for (const char* k : {"max_epochs",
                        "max_steps",
                        "check_val_every_n_epoch",
                        "log_every_n_steps",
                        "accelerator",
                        "strategy",
                        "devices",
                        "num_nodes",
                        "sync_batchnorm",
                        "benchmark",
                        "precision",
                        "accumulate_grad_batches",
                        "gradient_clip_val",
                        "deterministic",
                        "limit_train_batches",
                        "limit_val_batches",
                        "limit_test_batches",
                        "limit_predict_batches",
                        "fast_dev_run",
                        "default_root_dir",
                        "enable_progress_bar",
                        "logger",
                        "callbacks"}) {
    bool found = false;
    for (const auto& a : t->args) found |= a.name == k;
    EXPECT_TRUE(found) << k;
  }
  const auto* s = registry().find("lighter.LighterSystem");
  ASSERT_NE(s, nullptr);
  for (const char* k : {"batch_size", "pin_memory", "drop_last_batch", "num_workers", "model", "criterion",
                        "optimizer", "scheduler", "metrics", "datasets", "postprocessing"}) {
    bool found = false;
    for (const auto& a : s->args) found |= a.name == k;
    EXPECT_TRUE(found) << k;
  }
  for (const char* name :
       {"pytorch_lightning.callbacks.ModelCheckpoint", "pytorch_lightning.callbacks.LearningRateMonitor",
        "pytorch_lightning.callbacks.EarlyStopping", "fmcib.callbacks.SavePredictions"})
    EXPECT_NE(registry().find(name), nullptr) << name;
}

TEST(EngineConfig, LambdasOnTensors) {
  auto lambda = [](const std::string& text) {
    config::Config cfg = config::Config::fromString("vars:\n  f: \"" + text + "\"\n", "l.yaml", registry());
    return cfg.resolve("vars#f").as<config::Lambda>();
  };
  at::Tensor x = torch::tensor({{1.0f, 2.0f, 3.0f}, {0.0f, 0.0f, 0.0f}});
  EXPECT_TRUE(torch::allclose(engine::applyLambda(*lambda("$lambda x: torch.softmax(x, 1)"), x),
                              torch::softmax(x, 1)));
  EXPECT_TRUE(torch::allclose(engine::applyLambda(*lambda("$lambda x: torch.softmax(x, dim=0)"), x),
                              torch::softmax(x, 0)));
  EXPECT_TRUE(
      torch::allclose(engine::applyLambda(*lambda("$lambda x: torch.sigmoid(x)"), x), torch::sigmoid(x)));
  at::Tensor col = torch::tensor({{1.5f}, {2.5f}});
  EXPECT_EQ(engine::applyLambda(*lambda("$lambda x: x.squeeze(1)"), col).sizes(), (std::vector<int64_t>{2}));
  EXPECT_EQ(engine::applyLambda(*lambda("$lambda x: x.long()"), col).scalar_type(), at::kLong);
  EXPECT_EQ(engine::applyLambda(*lambda("$lambda x: x.float()"), col.to(at::kLong)).scalar_type(),
            at::kFloat);
  EXPECT_EQ(engine::applyLambda(*lambda("$lambda x: x.int()"), col).scalar_type(), at::kInt);
  EXPECT_EQ(engine::applyLambda(*lambda("$lambda x: x.view(-1)"), col).sizes(), (std::vector<int64_t>{2}));
  EXPECT_EQ(engine::applyLambda(*lambda("$lambda x: x.unsqueeze(0)"), col).sizes(),
            (std::vector<int64_t>{1, 2, 1}));
  EXPECT_EQ(engine::applyLambda(*lambda("$lambda x: x.flatten(0)"), col).sizes(), (std::vector<int64_t>{2}));
  at::Tensor am = engine::applyLambda(*lambda("$lambda x: torch.argmax(x, 1)"), x);
  EXPECT_EQ(am[0].item<int64_t>(), 2);
  EXPECT_TRUE(
      torch::equal(engine::applyLambda(*lambda("$lambda x: torch.sigmoid(x.squeeze(1)).float()"), col),
                   torch::sigmoid(col.squeeze(1))));
  EXPECT_THROW(engine::applyLambda(*lambda("$lambda x: torch.softmax(x)"), x), ConfigError);  // dim missing
  EXPECT_THROW(engine::applyLambda(*lambda("$lambda x: x.squeeze(1, 2)"), x), ConfigError);
  // An unknown function is caught when the config is validated.
  config::Config bad =
      config::Config::fromString("vars:\n  f: \"$lambda x: torch.tanh(x)\"\n", "b.yaml", registry());
  EXPECT_THROW(bad.validate(), ConfigError);
}

TEST(EngineConfig, SeedPrecedence) {
  config::Config withVars = config::Config::fromString("vars:\n  seed: 17\n", "s.yaml", registry());
  config::Config none = config::Config::fromString("vars: {}\n", "n.yaml", registry());
  unsetenv("PL_GLOBAL_SEED");
  EXPECT_EQ(engine::resolveSeed(withVars, 5), 5u);
  EXPECT_EQ(engine::resolveSeed(withVars, -1), 17u);
  EXPECT_LT(engine::resolveSeed(none, -1), 1ull << 32);
  setenv("PL_GLOBAL_SEED", "123", 1);
  EXPECT_EQ(engine::resolveSeed(withVars, 5), 123u);
  setenv("PL_GLOBAL_SEED", "abc", 1);
  EXPECT_THROW(engine::resolveSeed(withVars, 5), ConfigError);
  unsetenv("PL_GLOBAL_SEED");
  engine::seedEverything(77);
  EXPECT_STREQ(std::getenv("PL_GLOBAL_SEED"), "77");
  unsetenv("PL_GLOBAL_SEED");
}

TEST(Accelerator, ResolvesDevicesAndPrecision) {
  const bool cuda = torch::cuda::is_available();
  engine::DeviceChoice cpu = engine::resolveDevice("cpu", Value(1), Value("32"), 0);
  EXPECT_TRUE(cpu.device.is_cpu());
  EXPECT_FALSE(cpu.autocastDtype.has_value());
  EXPECT_EQ(engine::resolveDevice("auto", Value("auto"), Value(32), 0).device.is_cuda(), cuda);
  EXPECT_EQ(
      engine::resolveDevice("cpu", Value(config::List{Value(0), Value(1)}), Value(), 0).requestedDevices, 2);
  EXPECT_EQ(engine::resolveDevice("cpu", Value("0,1,2"), Value(), 0).requestedDevices, 3);
  EXPECT_THROW(engine::resolveDevice("tpu", Value(1), Value(), 0), ConfigError);
  EXPECT_THROW(engine::resolveDevice("cpu", Value(0), Value(), 0), ConfigError);
  EXPECT_THROW(engine::resolveDevice("cpu", Value(1), Value("8"), 0), ConfigError);
  EXPECT_EQ(engine::resolveDevice("cpu", Value(1), Value(64), 0).precision, "64-true");
  if (cuda) {
    auto g = engine::resolveDevice("gpu", Value(1), Value("bf16-mixed"), 0);
    EXPECT_TRUE(g.device.is_cuda());
    EXPECT_EQ(*g.autocastDtype, at::kBFloat16);
    EXPECT_TRUE(engine::resolveDevice("cuda", Value(1), Value(16), 0).scaleLoss);
  } else {
    try {
      engine::resolveDevice("gpu", Value(2), Value(), 0);
      FAIL() << "gpu accepted without CUDA";
    } catch (const ConfigError& e) {
      EXPECT_NE(std::string(e.what()).find("no CUDA GPU is available"), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("devices: 2"), std::string::npos) << e.what();
    }
    try {
      engine::resolveDevice("cpu", Value(1), Value("16-mixed"), 0);
      FAIL() << "16-mixed accepted on the CPU";
    } catch (const ConfigError& e) {
      EXPECT_NE(std::string(e.what()).find("needs a CUDA GPU"), std::string::npos) << e.what();
    }
  }
}

}  // namespace
}  // namespace fmcib::test
