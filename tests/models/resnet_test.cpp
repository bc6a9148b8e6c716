#include "fmcib/models/resnet.hpp"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <set>

#include "fmcib/config/error.hpp"
#include "models/fixture_keys.hpp"
#include "support/paths.hpp"

namespace fmcib::models {
namespace {

TEST(ResNet, KeysMatchMonaiResnet18Fixture) {
  ResNetOptions o = resnetPreset(18);
  o.nInputChannels = 1;
  o.widenFactor = 0.125;
  o.feedForward = false;
  ResNet net(o);
  std::vector<std::string> fixtureKeys = test::fixtureStateKeys(test::fixture("resnet18_w0125.weights.pt"));
  // 20 conv weights + 3 shortcut-conv biases + 20 BNs x (weight, bias, running_mean, running_var,
  // num_batches_tracked).
  ASSERT_EQ(fixtureKeys.size(), 123u);
  EXPECT_EQ(test::stateDictKeys(net), fixtureKeys);
  EXPECT_EQ(net.numFeatures(), 64);
}

TEST(ResNet, KeysMatchMonaiResnet50Fixture) {
  ResNetOptions o = resnetPreset(50);
  o.nInputChannels = 1;
  o.widenFactor = 0.125;
  o.conv1TStride = {2, 2, 2};
  o.feedForward = false;
  ResNet net(o);
  std::vector<std::string> fixtureKeys =
      test::fixtureStateKeys(test::fixture("resnet50_w0125_s2.weights.pt"));
  ASSERT_FALSE(fixtureKeys.empty());
  EXPECT_EQ(test::stateDictKeys(net, "model.trunk."), fixtureKeys);
  EXPECT_EQ(net.numFeatures(), 256);
}

TEST(ResNet, PresetsHaveMonaiLayerCounts) {
  const std::map<int, std::vector<int64_t>> expected{
      {10, {1, 1, 1, 1}},   {18, {2, 2, 2, 2}},   {34, {3, 4, 6, 3}},   {50, {3, 4, 6, 3}},
      {101, {3, 4, 23, 3}}, {152, {3, 8, 36, 3}}, {200, {3, 24, 36, 3}}};
  for (const auto& [depth, layers] : expected) {
    ResNetOptions o = resnetPreset(depth);
    EXPECT_EQ(o.layers, layers) << depth;
    EXPECT_EQ(o.block, depth >= 50 ? BlockType::Bottleneck : BlockType::Basic) << depth;
  }
  EXPECT_THROW(resnetPreset(19), ConfigError);
  // The module tree follows the preset: resnet34 has layer3.5 but no layer3.6.
  ResNetOptions o = resnetPreset(34);
  o.widenFactor = 0.0625;
  ResNet net(o);
  auto params = net.named_parameters();
  EXPECT_TRUE(params.contains("layer3.5.conv2.weight"));
  EXPECT_FALSE(params.contains("layer3.6.conv1.weight"));
  EXPECT_FALSE(params.contains("layer1.0.conv3.weight"));  // basic blocks have two convs
}

TEST(ResNet, MonaiDefaultInit) {
  ResNetOptions o = resnetPreset(18);
  o.numClasses = 10;
  o.nInputChannels = 2;
  ResNet net(o);
  auto params = net.named_parameters();
  EXPECT_TRUE(torch::equal(params["bn1.weight"], torch::ones({64})));
  EXPECT_TRUE(torch::equal(params["layer2.1.bn2.bias"], torch::zeros({128})));
  EXPECT_TRUE(torch::equal(params["fc.bias"], torch::zeros({10})));
  EXPECT_GT(params["fc.weight"].abs().sum().item<double>(), 0.0);
  // kaiming_normal_(mode=fan_out, relu): std = sqrt(2 / (out_channels * kernel volume)).
  torch::Tensor w = params["layer4.1.conv2.weight"];  // [512, 512, 3, 3, 3]
  const double expectedStd = std::sqrt(2.0 / (512 * 27));
  EXPECT_NEAR(w.std().item<double>() / expectedStd, 1.0, 0.01);
  EXPECT_NEAR(w.mean().item<double>(), 0.0, 0.01 * expectedStd);
  torch::Tensor c1 = params["conv1.weight"];  // [64, 2, 7, 7, 7]: fan_out = 64 * 343
  EXPECT_NEAR(c1.std().item<double>() / std::sqrt(2.0 / (64 * 343)), 1.0, 0.02);
}

TEST(ResNet, ForwardShapesWithClassifierAndOptions) {
  torch::manual_seed(0);
  ResNetOptions o = resnetPreset(10);
  o.widenFactor = 0.25;
  o.nInputChannels = 2;
  o.numClasses = 5;
  o.conv1TSize = {3, 5, 7};
  o.conv1TStride = {1, 2, 2};
  ResNet net(o);
  EXPECT_EQ(net.named_parameters()["conv1.weight"].sizes(), torch::IntArrayRef({16, 2, 3, 5, 7}));
  torch::Tensor y = net.forward(torch::randn({3, 2, 16, 20, 24}));
  EXPECT_EQ(y.sizes(), torch::IntArrayRef({3, 5}));
  EXPECT_THROW(net.forward(torch::randn({3, 1, 16, 20, 24})), InputError);
  EXPECT_THROW(net.forward(torch::randn({2, 16, 20, 24})), InputError);
}

TEST(ResNet, BiasDownsampleFalseDropsTheShortcutBias) {
  ResNetOptions o = resnetPreset(18);
  o.widenFactor = 0.125;
  o.biasDownsample = false;
  ResNet net(o);
  auto params = net.named_parameters();
  EXPECT_TRUE(params.contains("layer2.0.downsample.0.weight"));
  EXPECT_FALSE(params.contains("layer2.0.downsample.0.bias"));
  EXPECT_FALSE(params.contains("layer1.0.downsample.0.weight"));  // basic: layer1 keeps 64 channels
}

TEST(ResNet, ShortcutAHasNoParameters) {
  torch::manual_seed(1);
  ResNetOptions o = resnetPreset(10);
  o.widenFactor = 0.125;
  o.shortcutType = 'A';
  o.feedForward = false;
  o.nInputChannels = 1;
  ResNet net(o);
  for (const auto& kv : net.named_parameters())
    EXPECT_EQ(kv.key().find("downsample"), std::string::npos) << kv.key();
  net.eval();
  torch::Tensor x = torch::randn({2, 1, 20, 20, 20});
  EXPECT_EQ(net.forward(x).sizes(), torch::IntArrayRef({2, 64}));
  // A no-max-pool, 3x3x3 stem keeps more resolution but the same feature width.
  o.noMaxPool = true;
  o.conv1TSize = {3, 3, 3};
  ResNet net2(o);
  EXPECT_EQ(net2.named_parameters()["conv1.weight"].sizes(), torch::IntArrayRef({8, 1, 3, 3, 3}));
  EXPECT_EQ(net2.forward(x).sizes(), torch::IntArrayRef({2, 64}));
}

TEST(ResNet, InvalidOptionsAreConfigErrors) {
  ResNetOptions o = resnetPreset(18);
  o.spatialDims = 2;
  EXPECT_THROW(ResNet{o}, ConfigError);
  o = resnetPreset(18);
  o.layers = {2, 2, 2};
  EXPECT_THROW(ResNet{o}, ConfigError);
  o = resnetPreset(18);
  o.widenFactor = 0.001;
  EXPECT_THROW(ResNet{o}, ConfigError);
  o = resnetPreset(18);
  o.shortcutType = 'C';
  EXPECT_THROW(ResNet{o}, ConfigError);
}

TEST(ResNet, TrainModeBackwardReachesEveryParameter) {
  torch::manual_seed(2);
  ResNetOptions o = resnetPreset(18);
  o.widenFactor = 0.125;
  o.nInputChannels = 1;
  o.numClasses = 3;
  ResNet net(o);
  net.train();
  torch::Tensor y = net.forward(torch::randn({2, 1, 24, 24, 24}));
  y.pow(2).sum().backward();
  for (const auto& kv : net.named_parameters()) {
    ASSERT_TRUE(kv.value().grad().defined()) << kv.key();
    EXPECT_TRUE(torch::isfinite(kv.value().grad()).all().item<bool>()) << kv.key();
  }
  // Train mode updated the running statistics once.
  EXPECT_EQ(net.named_buffers()["bn1.num_batches_tracked"].item<int64_t>(), 1);
}

}  // namespace
}  // namespace fmcib::models
