#include "fmcib/optim/targets.hpp"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

#include "fmcib/config/config.hpp"
#include "fmcib/models/network.hpp"
#include "fmcib/models/targets.hpp"
#include "fmcib/optim/optimizer.hpp"
#include "fmcib/optim/scheduler.hpp"

namespace fmcib::optim {
namespace {

config::Registry& registry() {
  static config::Registry r;
  static const bool once = [] {
    models::registerTargets(r);
    registerTargets(r);
    registerTargets(r);
    return true;
  }();
  (void)once;
  return r;
}

config::Config load(const std::string& yaml) {
  return config::Config::fromString(yaml, "optim.yaml", registry());
}

const char* kPretrain = R"Y(
vars:
  batch_size: 32
  devices: 2
  max_epochs: 10
  model:
    _target_: monai.networks.nets.resnet10
    widen_factor: 0.125
    n_input_channels: 1
    feed_forward: false
  optimizer:
    _target_: fmcib.optimizers.LARS
    params: "$@vars#model.parameters()"
    lr: "$((@vars#batch_size * @vars#devices)/256) * 0.3"
    weight_decay: 1.0e-6
    momentum: 0.9
  scheduler:
    _target_: torch.optim.lr_scheduler.CosineAnnealingLR
    optimizer: "@vars#optimizer"
    T_max: "$(@vars#max_epochs) * 100 // (@vars#batch_size * @vars#devices)"
)Y";

TEST(OptimTargets, FmcibPretrainOptimizerAndScheduler) {
  auto cfg = load(kPretrain);
  auto model = cfg.resolve("vars#model").as<models::Network>();
  auto opt = cfg.resolve("vars#optimizer").as<Optimizer>();
  auto sched = cfg.resolve("vars#scheduler").as<Scheduler>();
  EXPECT_EQ(opt->name(), "fmcib.optimizers.LARS");
  EXPECT_DOUBLE_EQ(opt->lr(0), 0.075);
  ASSERT_EQ(opt->numGroups(), 1u);
  EXPECT_EQ(opt->groupParams(0).size(), model->parameters().size());
  EXPECT_TRUE(opt->groupParams(0)[0].is_same(model->parameters()[0]));
  EXPECT_EQ(sched->optimizer(), opt);
  sched->step();
  EXPECT_NEAR(opt->lr(0), 0.075 * (1 + std::cos(M_PI / 15)) / 2, 1e-12);  // T_max = 1000 // 64 = 15
  EXPECT_EQ(sched->state().at("T_max").toDouble(), 15);
}

TEST(OptimTargets, AdamDefaultsStepLRAndParamGroups) {
  auto cfg = load(R"Y(
vars:
  model:
    _target_: monai.networks.nets.resnet10
    widen_factor: 0.125
  optimizer:
    _target_: torch.optim.Adam
    params: "$@vars#model.parameters()"
  scheduler:
    _target_: torch.optim.lr_scheduler.StepLR
    optimizer: "@vars#optimizer"
    step_size: 30
  groups:
    _target_: torch.optim.SGD
    lr: 0.1
    params:
      - params: "$@vars#model.parameters()"
        weight_decay: 0
        nesterov: true
        momentum: 0.9
)Y");
  auto adam = cfg.resolve("vars#optimizer").as<Optimizer>();
  EXPECT_DOUBLE_EQ(adam->lr(0), 1e-3);
  auto adamGroup = adam->state().at("param_groups").toList().get(0).toGenericDict();
  EXPECT_DOUBLE_EQ(adamGroup.at("weight_decay").toDouble(), 0.0);
  auto step = cfg.resolve("vars#scheduler").as<Scheduler>();
  for (int i = 0; i < 30; ++i) step->step();
  EXPECT_NEAR(adam->lr(0), 1e-4, 1e-15);
  auto sgd = cfg.resolve("vars#groups").as<Optimizer>();
  auto g = sgd->state().at("param_groups").toList().get(0).toGenericDict();
  EXPECT_TRUE(g.at("nesterov").toBool());
  EXPECT_DOUBLE_EQ(g.at("momentum").toDouble(), 0.9);
}

TEST(OptimTargets, WarmupCosineSequentialAndAdamW) {
  auto cfg = load(R"Y(
vars:
  model:
    _target_: monai.networks.nets.resnet10
    widen_factor: 0.125
  optimizer:
    _target_: torch.optim.AdamW
    params: "$@vars#model.parameters()"
    lr: 0.5
    betas: [0.8, 0.9]
  scheduler:
    _target_: torch.optim.lr_scheduler.SequentialLR
    optimizer: "@vars#optimizer"
    milestones: [4]
    schedulers:
      - _target_: torch.optim.lr_scheduler.LinearLR
        optimizer: "@vars#optimizer"
        start_factor: 0.25
        total_iters: 3
      - _target_: torch.optim.lr_scheduler.CosineAnnealingLR
        optimizer: "@vars#optimizer"
        T_max: 6
        eta_min: 0.01
  multi:
    _target_: torch.optim.lr_scheduler.MultiStepLR
    optimizer: "@vars#optimizer"
    milestones: [2, 5]
)Y");
  auto opt = cfg.resolve("vars#optimizer").as<Optimizer>();
  auto g = opt->state().at("param_groups").toList().get(0).toGenericDict();
  EXPECT_DOUBLE_EQ(g.at("weight_decay").toDouble(), 1e-2);  // AdamW's default
  auto seq = cfg.resolve("vars#scheduler").as<Scheduler>();
  EXPECT_DOUBLE_EQ(opt->lr(0), 0.125);
  for (int i = 0; i < 5; ++i) seq->step();
  EXPECT_NEAR(opt->lr(0), 0.4671762239271875, 1e-15);  // PyTorch 1.13.1
}

TEST(OptimTargets, ErrorsNameThePath) {
  auto expectError = [](const std::string& yaml, const std::string& path, const std::string& needle) {
    try {
      load(yaml).resolve(path);
      ADD_FAILURE() << "no error for " << needle;
    } catch (const ConfigError& e) {
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
    }
  };
  const std::string model =
      "vars:\n  model:\n    _target_: monai.networks.nets.resnet10\n    widen_factor: 0.125\n";
  expectError(model +
                  "  opt:\n    _target_: fmcib.optimizers.LARS\n    params: \"$@vars#model.parameters()\"\n"
                  "    lr: -1\n",
              "vars#opt", "learning rate");
  expectError(model + "  opt:\n    _target_: torch.optim.SGD\n    params: 3\n    lr: 0.1\n", "vars#opt",
              "params");
  expectError(model +
                  "  opt:\n    _target_: torch.optim.SGD\n    params:\n      - params: "
                  "\"$@vars#model.parameters()\"\n"
                  "        betas: 0.5\n    lr: 0.1\n",
              "vars#opt", "betas");
  expectError(model +
                  "  opt:\n    _target_: torch.optim.Adam\n    params: \"$@vars#model.parameters()\"\n"
                  "    maximize: true\n",
              "vars#opt", "maximize");
  expectError(model +
                  "  opt:\n    _target_: torch.optim.Adam\n    params: \"$@vars#model.parameters()\"\n"
                  "  sched:\n    _target_: torch.optim.lr_scheduler.LinearLR\n    optimizer: \"@vars#opt\"\n"
                  "    start_factor: 2\n",
              "vars#sched", "factor");
}

}  // namespace
}  // namespace fmcib::optim
