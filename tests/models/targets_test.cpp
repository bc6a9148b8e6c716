#include "fmcib/models/targets.hpp"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "fmcib/config/config.hpp"
#include "fmcib/models/exneg_simclr.hpp"
#include "fmcib/models/resnet.hpp"
#include "fmcib/optim/param_list.hpp"

namespace fmcib::models {
namespace {

config::Registry& registry() {
  static config::Registry r;
  static const bool once = [] {
    registerTargets(r);
    registerTargets(r);  // idempotent
    return true;
  }();
  (void)once;
  return r;
}

config::Value build(const std::string& yaml, const std::string& path = "vars#model") {
  return config::Config::fromString(yaml, "models.yaml", registry()).resolve(path);
}

TEST(ModelTargets, EveryResnetDepthUnderBothModulePaths) {
  for (int depth : resnetDepths())
    for (const std::string prefix : {"monai.networks.nets.", "monai.networks.nets.resnet."})
      EXPECT_NE(registry().find(prefix + "resnet" + std::to_string(depth)), nullptr) << prefix << depth;
  EXPECT_NE(registry().find("monai.networks.nets.ResNet"), nullptr);
  EXPECT_NE(registry().find("fmcib.ssl.modules.ExNegSimCLR"), nullptr);
}

TEST(ModelTargets, FmcibPretrainModelFromYaml) {
  config::Value v = build(R"Y(
vars:
  model:
    _target_: fmcib.ssl.modules.ExNegSimCLR
    num_ftrs: 64
    out_dim: 16
    backbone:
      _target_: monai.networks.nets.resnet.resnet18
      pretrained: False
      n_input_channels: 1
      widen_factor: 0.125
      conv1_t_stride: 2
      feed_forward: False
)Y");
  auto net = v.as<Network>();
  auto simclr = std::dynamic_pointer_cast<ExNegSimCLR>(net);
  ASSERT_TRUE(simclr);
  auto trunk = std::dynamic_pointer_cast<ResNet>(simclr->backbone());
  ASSERT_TRUE(trunk);
  EXPECT_EQ(trunk->options().conv1TStride, (std::array<int64_t, 3>{2, 2, 2}));
  EXPECT_EQ(trunk->numFeatures(), 64);
  simclr->eval();
  torch::NoGradGuard g;
  EXPECT_EQ(net->forward(torch::randn({2, 1, 20, 20, 20})).sizes(), torch::IntArrayRef({2, 16}));
}

TEST(ModelTargets, ExplicitResNetAndTupleKernel) {
  config::Value v = build(R"Y(
vars:
  model:
    _target_: monai.networks.nets.ResNet
    block: bottleneck
    layers: [1, 1, 1, 1]
    block_inplanes: [8, 16, 32, 64]
    n_input_channels: 2
    conv1_t_size: [3, 5, 7]
    num_classes: 3
    bias_downsample: false
)Y");
  auto net = std::dynamic_pointer_cast<ResNet>(v.as<Network>());
  ASSERT_TRUE(net);
  EXPECT_EQ(net->options().block, BlockType::Bottleneck);
  auto params = net->named_parameters();
  EXPECT_EQ(params["conv1.weight"].sizes(), torch::IntArrayRef({8, 2, 3, 5, 7}));
  EXPECT_EQ(params["fc.weight"].sizes(), torch::IntArrayRef({3, 256}));
  EXPECT_FALSE(params.contains("layer1.0.downsample.0.bias"));
}

TEST(ModelTargets, ParametersMethodReturnsTheModelsOwnTensors) {
  auto cfg = config::Config::fromString(R"Y(
vars:
  model:
    _target_: monai.networks.nets.resnet10
    widen_factor: 0.125
    n_input_channels: 1
  params: "$@vars#model.parameters()"
)Y",
                                        "models.yaml", registry());
  auto net = cfg.resolve("vars#model").as<Network>();
  auto list = cfg.resolve("vars#params").as<optim::ParamList>();
  auto named = net->named_parameters();
  ASSERT_EQ(list->tensors.size(), named.size());
  ASSERT_EQ(list->names.size(), named.size());
  for (size_t i = 0; i < named.size(); ++i) {
    EXPECT_EQ(list->names[i], named[i].key());
    EXPECT_TRUE(list->tensors[i].is_same(named[i].value())) << named[i].key();
  }
}

TEST(ModelTargets, ArgumentErrorsNameThePath) {
  auto expectError = [](const std::string& yaml, const std::string& needle) {
    try {
      build(yaml);
      ADD_FAILURE() << "no error for " << needle;
    } catch (const ConfigError& e) {
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("vars#model"), std::string::npos) << e.what();
    }
  };
  expectError("vars:\n  model:\n    _target_: monai.networks.nets.resnet50\n    pretrained: true\n",
              "pretrained");
  expectError("vars:\n  model:\n    _target_: monai.networks.nets.resnet50\n    spatial_dims: 2\n",
              "spatial_dims");
  expectError("vars:\n  model:\n    _target_: monai.networks.nets.resnet18\n    shortcut_type: C\n",
              "shortcut_type");
  expectError("vars:\n  model:\n    _target_: monai.networks.nets.resnet18\n    conv1_t_size: [3, 3]\n",
              "conv1_t_size");
  expectError("vars:\n  model:\n    _target_: monai.networks.nets.resnet18\n    widen_factor: 0.001\n",
              "widen_factor");
  expectError("vars:\n  model:\n    _target_: fmcib.ssl.modules.ExNegSimCLR\n    backbone: 3\n", "backbone");
}

}  // namespace
}  // namespace fmcib::models
