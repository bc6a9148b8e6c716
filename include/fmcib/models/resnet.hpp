#pragma once
/// MONAI 1.2's 3D ResNet (monai.networks.nets.resnet) with its exact module tree, so state-dict
/// keys match Python's: conv1, bn1, layer{1..4}.{i}.{conv1,bn1,conv2,bn2[,conv3,bn3]},
/// layer{k}.0.downsample.{0 (conv), 1 (BN)}, fc. Default initialization as MONAI: convs
/// kaiming-normal (fan_out, relu), BN weight 1 / bias 0, Linear bias 0 (its weight and a
/// downsample conv bias keep PyTorch's default init).
#include <torch/nn/module.h>

#include <array>
#include <cstdint>
#include <memory>
#include <vector>

#include "fmcib/models/network.hpp"

namespace fmcib::models {

enum class BlockType { Basic, Bottleneck };

struct ResNetOptions {
  BlockType block = BlockType::Basic;
  std::vector<int64_t> layers{1, 1, 1, 1};
  std::vector<int64_t> blockInplanes{64, 128, 256, 512};
  int64_t spatialDims = 3;
  int64_t nInputChannels = 3;
  std::array<int64_t, 3> conv1TSize{7, 7, 7};
  std::array<int64_t, 3> conv1TStride{1, 1, 1};
  bool noMaxPool = false;
  /// 'A': stride-s subsampling with zero-padded channels (no parameters, no gradient through the
  /// shortcut, as MONAI's `out.data`); 'B': 1x1x1 conv + BN.
  char shortcutType = 'B';
  double widenFactor = 1.0;
  int64_t numClasses = 400;
  bool feedForward = true;
  bool biasDownsample = true;
};

/// MONAI's `resnet{depth}` presets (block and layers); throws ConfigError for other depths.
ResNetOptions resnetPreset(int depth);
/// The depths resnetPreset knows: 10, 18, 34, 50, 101, 152, 200.
const std::vector<int>& resnetDepths();

class ResNet : public Network {
 public:
  /// Throws ConfigError for invalid options (spatial_dims other than 3, bad layers, ...).
  explicit ResNet(const ResNetOptions& options);
  /// [B, C, D, H, W] → [B, F]: F = num_classes with feed_forward, else the last stage's channels.
  torch::Tensor forward(const torch::Tensor& x) override;
  /// Width of forward's output.
  int64_t numFeatures() const { return numFeatures_; }
  const ResNetOptions& options() const { return options_; }

 private:
  // Typed handles to the registered submodules (defined in resnet.cpp, keeps torch.h out of here).
  struct Layers;
  ResNetOptions options_;
  int64_t numFeatures_ = 0;
  std::shared_ptr<Layers> layers_;
};

}  // namespace fmcib::models
