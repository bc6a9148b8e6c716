// The architecture against MONAI's numbers: the fixtures' weights copied in by key, eval-mode
// features compared. (LoadModel, which does this for users, is tested in its own file.)
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <map>

#include "fmcib/io/torch_file.hpp"
#include "fmcib/models/resnet.hpp"
#include "models/fixture_keys.hpp"
#include "support/paths.hpp"

namespace fmcib::models {
namespace {

torch::Tensor ioTensor(const std::string& file, const std::string& key) {
  c10::IValue v = io::readTorchFile(test::fixture(file));
  return v.toGenericDict().at(key).toTensor();
}

void copyWeights(ResNet& net, const std::string& file, const std::string& prefix) {
  std::map<std::string, torch::Tensor> src;
  for (auto& [name, t] : io::flattenStateDict(io::readTorchFile(test::fixture(file)))) src[name] = t;
  torch::NoGradGuard noGrad;
  size_t copied = 0;
  for (auto& [key, dst] : test::stateDictOrder(net)) {
    auto it = src.find(prefix + key);
    ASSERT_NE(it, src.end()) << prefix + key;
    ASSERT_EQ(it->second.sizes(), dst.sizes()) << key;
    dst.copy_(it->second);
    ++copied;
  }
  EXPECT_EQ(copied + 0, src.size() - (src.count("epoch") ? 1 : 0));
}

TEST(ResNetFixture, Resnet18W0125MatchesMonaiFeatures) {
  ResNetOptions o = resnetPreset(18);
  o.nInputChannels = 1;
  o.widenFactor = 0.125;
  o.feedForward = false;
  ResNet net(o);
  copyWeights(net, "resnet18_w0125.weights.pt", "trunk_state_dict.");
  net.eval();
  torch::NoGradGuard noGrad;
  torch::Tensor y = net.forward(ioTensor("resnet18_w0125.io.pt", "input"));
  torch::Tensor expected = ioTensor("resnet18_w0125.io.pt", "features");
  ASSERT_EQ(y.sizes(), expected.sizes());
  EXPECT_TRUE(torch::allclose(y, expected, 1e-4, 1e-4)) << (y - expected).abs().max();
}

TEST(ResNetFixture, Resnet50W0125Stride2MatchesMonaiFeatures) {
  ResNetOptions o = resnetPreset(50);
  o.nInputChannels = 1;
  o.widenFactor = 0.125;
  o.conv1TStride = {2, 2, 2};
  o.feedForward = false;
  ResNet net(o);
  copyWeights(net, "resnet50_w0125_s2.weights.pt", "state_dict.model.trunk.");
  net.eval();
  torch::NoGradGuard noGrad;
  torch::Tensor y = net.forward(ioTensor("resnet50_w0125_s2.io.pt", "input"));
  torch::Tensor expected = ioTensor("resnet50_w0125_s2.io.pt", "features");
  ASSERT_EQ(y.sizes(), expected.sizes());
  EXPECT_TRUE(torch::allclose(y, expected, 1e-4, 1e-4)) << (y - expected).abs().max();
}

}  // namespace
}  // namespace fmcib::models
