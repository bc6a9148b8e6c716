#include "fmcib/models/resnet.hpp"

#include <torch/torch.h>

#include <sstream>

#include "fmcib/config/error.hpp"
#include "fmcib/models/batch_norm.hpp"

namespace fmcib::models {

namespace {

namespace nn = torch::nn;

nn::Conv3d conv3d(int64_t in, int64_t out, std::array<int64_t, 3> kernel, std::array<int64_t, 3> stride,
                  std::array<int64_t, 3> padding, bool bias) {
  return nn::Conv3d(nn::Conv3dOptions(in, out, kernel).stride(stride).padding(padding).bias(bias));
}
nn::Conv3d conv3d(int64_t in, int64_t out, int64_t kernel, int64_t stride, int64_t padding, bool bias) {
  return conv3d(in, out, {kernel, kernel, kernel}, {stride, stride, stride}, {padding, padding, padding},
                bias);
}

/// The shortcut of a block whose input and output shapes differ.
struct Shortcut {
  char type = 0;  // 0: identity, 'A' or 'B'
  int64_t inPlanes = 0, outPlanes = 0, stride = 1;
  bool bias = true;
};

/// ResNetBlock and ResNetBottleneck share this interface (and the shortcut handling).
class ResidualBlock : public nn::Module {
 public:
  virtual torch::Tensor forward(const torch::Tensor& x) = 0;

 protected:
  // Registered last, as MONAI assigns `self.downsample` after the convolutions.
  void registerShortcut(const Shortcut& s) {
    shortcut_ = s;
    if (s.type == 'B')
      downsample_ = register_module("downsample",
                                    nn::Sequential(conv3d(s.inPlanes, s.outPlanes, 1, s.stride, 0, s.bias),
                                                   BatchNorm3d(s.outPlanes)));
  }
  torch::Tensor residual(const torch::Tensor& x) {
    if (shortcut_.type == 'B') return downsample_->forward(x);
    if (shortcut_.type == 'A') {
      // MONAI's _downsample_basic_block: avg-pool kernel 1 (a strided subsample), zero channels
      // appended, built from `out.data` — so no gradient flows through this shortcut.
      torch::Tensor out = torch::avg_pool3d(x, 1, shortcut_.stride).detach();
      auto padShape = out.sizes().vec();
      padShape[1] = shortcut_.outPlanes - out.size(1);
      return torch::cat({out, torch::zeros(padShape, out.options())}, 1);
    }
    return x;
  }

 private:
  Shortcut shortcut_;
  nn::Sequential downsample_{nullptr};
};

class ResNetBlock : public ResidualBlock {
 public:
  static constexpr int64_t kExpansion = 1;
  ResNetBlock(int64_t inPlanes, int64_t planes, int64_t stride, const Shortcut& shortcut) {
    conv1_ = register_module("conv1", conv3d(inPlanes, planes, 3, stride, 1, false));
    bn1_ = register_module("bn1", BatchNorm3d(planes));
    conv2_ = register_module("conv2", conv3d(planes, planes, 3, 1, 1, false));
    bn2_ = register_module("bn2", BatchNorm3d(planes));
    registerShortcut(shortcut);
  }
  torch::Tensor forward(const torch::Tensor& x) override {
    torch::Tensor out = bn1_->forward(conv1_->forward(x)).relu_();
    out = bn2_->forward(conv2_->forward(out));
    out += residual(x);
    return out.relu_();
  }

 private:
  nn::Conv3d conv1_{nullptr}, conv2_{nullptr};
  BatchNorm3d bn1_{nullptr}, bn2_{nullptr};
};

class ResNetBottleneck : public ResidualBlock {
 public:
  static constexpr int64_t kExpansion = 4;
  ResNetBottleneck(int64_t inPlanes, int64_t planes, int64_t stride, const Shortcut& shortcut) {
    conv1_ = register_module("conv1", conv3d(inPlanes, planes, 1, 1, 0, false));
    bn1_ = register_module("bn1", BatchNorm3d(planes));
    conv2_ = register_module("conv2", conv3d(planes, planes, 3, stride, 1, false));
    bn2_ = register_module("bn2", BatchNorm3d(planes));
    conv3_ = register_module("conv3", conv3d(planes, planes * kExpansion, 1, 1, 0, false));
    bn3_ = register_module("bn3", BatchNorm3d(planes * kExpansion));
    registerShortcut(shortcut);
  }
  torch::Tensor forward(const torch::Tensor& x) override {
    torch::Tensor out = bn1_->forward(conv1_->forward(x)).relu_();
    out = bn2_->forward(conv2_->forward(out)).relu_();
    out = bn3_->forward(conv3_->forward(out));
    out += residual(x);
    return out.relu_();
  }

 private:
  nn::Conv3d conv1_{nullptr}, conv2_{nullptr}, conv3_{nullptr};
  BatchNorm3d bn1_{nullptr}, bn2_{nullptr}, bn3_{nullptr};
};

std::string joinInts(const std::vector<int64_t>& v) {
  std::ostringstream os;
  for (size_t i = 0; i < v.size(); ++i) os << (i ? ", " : "") << v[i];
  return "[" + os.str() + "]";
}

void validate(const ResNetOptions& o) {
  auto bad = [](const std::string& msg) { throw ConfigError("ResNet: " + msg); };
  if (o.spatialDims != 3) bad("spatial_dims=" + std::to_string(o.spatialDims) + " is not supported (only 3)");
  if (o.layers.size() != 4) bad("layers must have 4 entries, got " + joinInts(o.layers));
  for (int64_t n : o.layers)
    if (n < 1) bad("every entry of layers must be >= 1, got " + joinInts(o.layers));
  if (o.blockInplanes.size() != 4)
    bad("block_inplanes must have 4 entries, got " + joinInts(o.blockInplanes));
  if (!(o.widenFactor > 0)) bad("widen_factor must be > 0");
  for (int64_t p : o.blockInplanes)
    if (static_cast<int64_t>(p * o.widenFactor) < 1)
      bad("block_inplanes " + joinInts(o.blockInplanes) + " times widen_factor " +
          std::to_string(o.widenFactor) + " leaves a stage without channels");
  if (o.nInputChannels < 1) bad("n_input_channels must be >= 1");
  for (int i = 0; i < 3; ++i)
    if (o.conv1TSize[i] < 1 || o.conv1TStride[i] < 1) bad("conv1_t_size and conv1_t_stride must be >= 1");
  if (o.shortcutType != 'A' && o.shortcutType != 'B')
    bad(std::string("shortcut_type must be 'A' or 'B', got '") + o.shortcutType + "'");
  if (o.feedForward && o.numClasses < 1) bad("num_classes must be >= 1 with feed_forward");
}

}  // namespace

struct ResNet::Layers {
  nn::Conv3d conv1{nullptr};
  BatchNorm3d bn1{nullptr};
  std::vector<std::vector<std::shared_ptr<ResidualBlock>>> stages;
  nn::Linear fc{nullptr};
};

const std::vector<int>& resnetDepths() {
  static const std::vector<int> depths{10, 18, 34, 50, 101, 152, 200};
  return depths;
}

ResNetOptions resnetPreset(int depth) {
  ResNetOptions o;
  switch (depth) {
    case 10:
      o.block = BlockType::Basic, o.layers = {1, 1, 1, 1};
      break;
    case 18:
      o.block = BlockType::Basic, o.layers = {2, 2, 2, 2};
      break;
    case 34:
      o.block = BlockType::Basic, o.layers = {3, 4, 6, 3};
      break;
    case 50:
      o.block = BlockType::Bottleneck, o.layers = {3, 4, 6, 3};
      break;
    case 101:
      o.block = BlockType::Bottleneck, o.layers = {3, 4, 23, 3};
      break;
    case 152:
      o.block = BlockType::Bottleneck, o.layers = {3, 8, 36, 3};
      break;
    case 200:
      o.block = BlockType::Bottleneck, o.layers = {3, 24, 36, 3};
      break;
    default:
      throw ConfigError("no ResNet preset of depth " + std::to_string(depth) +
                        " (10, 18, 34, 50, 101, 152, 200)");
  }
  return o;
}

ResNet::ResNet(const ResNetOptions& options) : options_(options), layers_(std::make_shared<Layers>()) {
  validate(options_);
  const bool bottleneck = options_.block == BlockType::Bottleneck;
  const int64_t expansion = bottleneck ? ResNetBottleneck::kExpansion : ResNetBlock::kExpansion;
  std::vector<int64_t> planes;
  for (int64_t p : options_.blockInplanes) planes.push_back(static_cast<int64_t>(p * options_.widenFactor));

  int64_t inPlanes = planes[0];
  std::array<int64_t, 3> pad{};
  for (int i = 0; i < 3; ++i) pad[i] = options_.conv1TSize[i] / 2;
  layers_->conv1 = register_module("conv1", conv3d(options_.nInputChannels, inPlanes, options_.conv1TSize,
                                                   options_.conv1TStride, pad, false));
  layers_->bn1 = register_module("bn1", BatchNorm3d(inPlanes));

  for (int s = 0; s < 4; ++s) {
    const int64_t stride = s == 0 ? 1 : 2;
    auto stage = nn::ModuleList();
    std::vector<std::shared_ptr<ResidualBlock>> blocks;
    for (int64_t b = 0; b < options_.layers[s]; ++b) {
      Shortcut sc;
      const int64_t blockStride = b == 0 ? stride : 1;
      if (b == 0 && (stride != 1 || inPlanes != planes[s] * expansion))
        sc =
            Shortcut{options_.shortcutType, inPlanes, planes[s] * expansion, stride, options_.biasDownsample};
      std::shared_ptr<ResidualBlock> block;
      if (bottleneck)
        block = std::make_shared<ResNetBottleneck>(inPlanes, planes[s], blockStride, sc);
      else
        block = std::make_shared<ResNetBlock>(inPlanes, planes[s], blockStride, sc);
      stage->push_back(block);
      blocks.push_back(block);
      inPlanes = planes[s] * expansion;
    }
    register_module("layer" + std::to_string(s + 1), stage);
    layers_->stages.push_back(std::move(blocks));
  }
  numFeatures_ = planes[3] * expansion;
  if (options_.feedForward) {
    layers_->fc = register_module("fc", nn::Linear(numFeatures_, options_.numClasses));
    numFeatures_ = options_.numClasses;
  }

  // MONAI's init, applied over the whole module tree after construction.
  torch::NoGradGuard noGrad;
  for (auto& m : modules(/*include_self=*/false)) {
    if (auto* conv = m->as<nn::Conv3d>()) {
      nn::init::kaiming_normal_(conv->weight, 0.0, torch::kFanOut, torch::kReLU);
    } else if (auto* bn = m->as<BatchNorm3dImpl>()) {
      bn->weight.fill_(1.0);
      bn->bias.zero_();
    } else if (auto* lin = m->as<nn::Linear>()) {
      lin->bias.zero_();
    }
  }
}

torch::Tensor ResNet::forward(const torch::Tensor& input) {
  if (input.dim() != 5 || input.size(1) != options_.nInputChannels) {
    std::ostringstream os;
    os << "ResNet expects a [B, " << options_.nInputChannels << ", D, H, W] input, got " << input.sizes();
    throw InputError(os.str());
  }
  torch::Tensor x = layers_->bn1->forward(layers_->conv1->forward(input)).relu_();
  if (!options_.noMaxPool) x = torch::max_pool3d(x, 3, 2, 1);
  for (auto& stage : layers_->stages)
    for (auto& block : stage) x = block->forward(x);
  x = torch::adaptive_avg_pool3d(x, {1, 1, 1});
  x = x.view({x.size(0), -1});
  if (layers_->fc) x = layers_->fc->forward(x);
  return x;
}

}  // namespace fmcib::models
