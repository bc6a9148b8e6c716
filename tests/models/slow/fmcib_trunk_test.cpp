#include <gtest/gtest.h>
#include <torch/torch.h>

#include <set>

#include "fmcib/models/resnet.hpp"
#include "models/fixture_keys.hpp"

namespace fmcib::models {
namespace {

int64_t countParameters(const torch::nn::Module& m) {
  int64_t n = 0;
  for (const auto& p : m.parameters()) n += p.numel();
  return n;
}

// The FMCIB trunk: resnet50(n_input_channels=1, widen_factor=2, conv1_t_stride=2, feed_forward=False).
ResNetOptions fmcibTrunk() {
  ResNetOptions o = resnetPreset(50);
  o.nInputChannels = 1;
  o.widenFactor = 2;
  o.conv1TStride = {2, 2, 2};
  o.feedForward = false;
  return o;
}

// One test for the big trunk: building it (184M parameters) takes seconds.
TEST(ResNet, FmcibTrunkParameterCountKeysAndShapes) {
  ResNet net(fmcibTrunk());
  EXPECT_EQ(countParameters(net), 184477824);
  EXPECT_EQ(net.numFeatures(), 4096);
  {
    torch::NoGradGuard noGrad;
    net.eval();
    EXPECT_EQ(net.forward(torch::randn({1, 1, 50, 50, 50})).sizes(), torch::IntArrayRef({1, 4096}));
  }

  std::set<std::string> keys;
  for (const auto& k : test::stateDictKeys(net)) keys.insert(k);
  for (const char* k :
       {"conv1.weight", "bn1.weight", "bn1.bias", "bn1.running_mean", "bn1.running_var",
        "bn1.num_batches_tracked", "layer1.0.conv1.weight", "layer1.0.bn1.weight", "layer1.0.conv2.weight",
        "layer1.0.conv3.weight", "layer1.0.bn3.running_var", "layer1.0.downsample.0.weight",
        "layer1.0.downsample.0.bias", "layer1.0.downsample.1.weight",
        "layer1.0.downsample.1.num_batches_tracked", "layer1.2.bn3.bias", "layer4.2.conv3.weight"})
    EXPECT_TRUE(keys.count(k)) << k;
  EXPECT_FALSE(keys.count("layer1.1.downsample.0.weight"));
  EXPECT_FALSE(keys.count("fc.weight"));
  EXPECT_FALSE(keys.count("layer4.3.conv1.weight"));

  auto params = net.named_parameters();
  EXPECT_EQ(params["conv1.weight"].sizes(), torch::IntArrayRef({128, 1, 7, 7, 7}));
  EXPECT_EQ(params["layer1.0.conv1.weight"].sizes(), torch::IntArrayRef({128, 128, 1, 1, 1}));
  EXPECT_EQ(params["layer1.0.conv2.weight"].sizes(), torch::IntArrayRef({128, 128, 3, 3, 3}));
  EXPECT_EQ(params["layer1.0.conv3.weight"].sizes(), torch::IntArrayRef({512, 128, 1, 1, 1}));
  EXPECT_EQ(params["layer1.0.downsample.0.weight"].sizes(), torch::IntArrayRef({512, 128, 1, 1, 1}));
  EXPECT_EQ(params["layer4.0.downsample.0.weight"].sizes(), torch::IntArrayRef({4096, 2048, 1, 1, 1}));
  EXPECT_EQ(params["layer4.2.bn3.weight"].sizes(), torch::IntArrayRef({4096}));
}

}  // namespace
}  // namespace fmcib::models
