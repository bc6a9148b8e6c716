#include "fmcib/models/targets.hpp"

#include <torch/torch.h>

#include "fmcib/models/exneg_simclr.hpp"
#include "fmcib/models/load_model.hpp"
#include "fmcib/models/network.hpp"
#include "fmcib/models/resnet.hpp"
#include "fmcib/optim/param_list.hpp"

namespace fmcib::models {

using config::arg;
using config::Args;
using config::required;
using config::Value;

namespace {

/// The keyword arguments MONAI's ResNet takes besides block/layers/block_inplanes.
std::vector<config::ArgSpec> resnetCommonArgs() {
  using namespace config;
  return {
      arg("spatial_dims", kInt, 3, "number of spatial dimensions (only 3 is supported)"),
      arg("n_input_channels", kInt, 3, "input channels of the first convolution"),
      arg("conv1_t_size", kInt | kList, 7, "kernel size of the first convolution (padding = size // 2)"),
      arg("conv1_t_stride", kInt | kList, 1, "stride of the first convolution"),
      arg("no_max_pool", kBool, false, "skip the max-pool after the first convolution"),
      arg("shortcut_type", kString, "B", "'A': zero-padded identity shortcut, 'B': 1x1x1 conv + BN"),
      arg("widen_factor", kFloat, 1.0, "channels of every stage are int(block_inplanes * widen_factor)"),
      arg("num_classes", kInt, 400, "outputs of the final Linear layer (with feed_forward)"),
      arg("feed_forward", kBool, true, "end with a Linear layer `fc`; false: emit pooled features"),
      arg("bias_downsample", kBool, true, "bias in the shortcut convolution (shortcut_type 'B')"),
  };
}

std::array<int64_t, 3> triple(const Args& a, const std::string& name) {
  Value v = a.get(name);
  if (v.isInt()) return {v.asInt(), v.asInt(), v.asInt()};
  std::vector<int64_t> xs = a.getInts(name);
  if (xs.size() != 3) a.fail(name, "expected an int or a list of 3 ints, got " + v.repr());
  return {xs[0], xs[1], xs[2]};
}

void readCommon(const Args& a, ResNetOptions& o) {
  o.spatialDims = a.getInt("spatial_dims");
  if (o.spatialDims != 3) a.fail("spatial_dims", "only 3D ResNets are supported (spatial_dims: 3)");
  o.nInputChannels = a.getInt("n_input_channels");
  o.conv1TSize = triple(a, "conv1_t_size");
  o.conv1TStride = triple(a, "conv1_t_stride");
  o.noMaxPool = a.getBool("no_max_pool");
  const std::string sc = a.getString("shortcut_type");
  if (sc != "A" && sc != "B") a.fail("shortcut_type", "expected 'A' or 'B', got '" + sc + "'");
  o.shortcutType = sc[0];
  o.widenFactor = a.getDouble("widen_factor");
  o.numClasses = a.getInt("num_classes");
  o.feedForward = a.getBool("feed_forward");
  o.biasDownsample = a.getBool("bias_downsample");
}

/// ConfigErrors thrown by ResNet's own validation are re-thrown naming the config path.
Value buildResNet(const Args& a, const ResNetOptions& o) {
  try {
    return Value::object<Network>(std::make_shared<ResNet>(o), a.target());
  } catch (const ConfigError& e) {
    const std::string loc = a.resolver().locate(a.path());
    throw ConfigError((loc.empty() ? "" : loc + ": ") + a.path() + ": " + e.what());
  }
}

BlockType parseBlock(const Args& a) {
  const std::string b = a.getString("block");
  for (const char* name :
       {"basic", "ResNetBlock", "monai.networks.nets.resnet.ResNetBlock", "monai.networks.nets.ResNetBlock"})
    if (b == name) return BlockType::Basic;
  for (const char* name : {"bottleneck", "ResNetBottleneck", "monai.networks.nets.resnet.ResNetBottleneck",
                           "monai.networks.nets.ResNetBottleneck"})
    if (b == name) return BlockType::Bottleneck;
  a.fail("block", "expected 'basic' or 'bottleneck' (or ResNetBlock / ResNetBottleneck), got '" + b + "'");
}

}  // namespace

void registerResNetTargets(config::Registry& r) {
  using namespace config;
  for (int depth : resnetDepths()) {
    for (const std::string prefix : {"monai.networks.nets.", "monai.networks.nets.resnet."}) {
      const std::string name = prefix + "resnet" + std::to_string(depth);
      if (r.find(name)) continue;
      TargetSpec spec;
      spec.name = name;
      spec.doc = "MONAI 3D ResNet-" + std::to_string(depth) + " (state-dict keys as in Python)";
      spec.args = resnetCommonArgs();
      spec.args.insert(spec.args.begin(),
                       {arg("pretrained", kBool, false,
                            "must be false: no weights are downloaded (use fmcib.models.LoadModel)"),
                        arg("progress", kBool, true, "ignored (no download)")});
      spec.build = [depth](const Args& a) {
        if (a.getBool("pretrained"))
          a.fail("pretrained",
                 "pretrained weights are not downloaded here; set pretrained: false and load weights with "
                 "fmcib.models.LoadModel (weights_path)");
        ResNetOptions o = resnetPreset(depth);
        readCommon(a, o);
        return buildResNet(a, o);
      };
      r.add(std::move(spec));
    }
  }
  for (const std::string name : {"monai.networks.nets.ResNet", "monai.networks.nets.resnet.ResNet"}) {
    if (r.find(name)) continue;
    TargetSpec spec;
    spec.name = name;
    spec.doc = "MONAI 3D ResNet with explicit block, layers and block_inplanes";
    spec.args = resnetCommonArgs();
    spec.args.insert(spec.args.begin(),
                     {required("block", kString, "'basic' (ResNetBlock) or 'bottleneck' (ResNetBottleneck)"),
                      required("layers", kList, "blocks per stage, 4 ints"),
                      required("block_inplanes", kList, "channels per stage before widen_factor, 4 ints")});
    spec.build = [](const Args& a) {
      ResNetOptions o;
      o.block = parseBlock(a);
      o.layers = a.getInts("layers");
      if (o.layers.size() != 4) a.fail("layers", "expected 4 ints");
      o.blockInplanes = a.getInts("block_inplanes");
      if (o.blockInplanes.size() != 4) a.fail("block_inplanes", "expected 4 ints");
      readCommon(a, o);
      return buildResNet(a, o);
    };
    r.add(std::move(spec));
  }
}

void registerSslTargets(config::Registry& r) {
  using namespace config;
  const std::string name = "fmcib.ssl.modules.ExNegSimCLR";
  if (r.find(name)) return;
  TargetSpec spec;
  spec.name = name;
  spec.doc = "SimCLR with explicit negatives: backbone + projection head Linear-ReLU-Linear";
  spec.args = {
      required("backbone", kObject, "the trunk (any model, e.g. monai.networks.nets.resnet50)"),
      arg("num_ftrs", kInt, 32, "features the backbone emits per sample"),
      arg("out_dim", kInt, 128, "embedding size after the projection head"),
  };
  spec.build = [](const Args& a) {
    auto backbone = a.getObject<Network>("backbone");
    if (!backbone) a.fail("backbone", "a backbone model is required");
    const int64_t numFtrs = a.getInt("num_ftrs"), outDim = a.getInt("out_dim");
    if (numFtrs < 2) a.fail("num_ftrs", "must be >= 2");
    if (outDim < 1) a.fail("out_dim", "must be >= 1");
    return Value::object<Network>(std::make_shared<ExNegSimCLR>(backbone, numFtrs, outDim), a.target());
  };
  r.add(std::move(spec));
}

namespace {

// `$@system#model.parameters()`: every parameter of the network, named, in order.
void registerNetworkMethods(config::Registry& r) {
  using config::List;
  using config::Map;
  if (!r.method(typeid(Network), "parameters")) {
    r.addMethod<Network>("parameters", [](const Value& self, const List& args, const Map& kwargs) {
      if (!args.empty()) throw ConfigError(".parameters() takes no positional arguments");
      for (const auto& [key, v] : kwargs)
        if (key != "recurse" || !v.isBool() || !v.asBool())
          throw ConfigError(".parameters(): only recurse=True is supported, got " + key + "=" + v.repr());
      auto net = self.as<Network>();
      auto list = std::make_shared<optim::ParamList>();
      for (const auto& item : net->named_parameters(/*recurse=*/true)) {
        list->names.push_back(item.key());
        list->tensors.push_back(item.value());
      }
      return Value::object<optim::ParamList>(list, "parameters()");
    });
  }
}

}  // namespace

void registerTargets(config::Registry& r) {
  registerResNetTargets(r);
  registerSslTargets(r);
  registerLoadModelTarget(r);
  registerNetworkMethods(r);
}

}  // namespace fmcib::models
