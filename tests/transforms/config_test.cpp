// The transform targets through the configuration engine: the pre-training view pipeline of
// fmcib_pretrain.yaml, MONAI argument names and defaults, and bad arguments as ConfigErrors.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "fmcib/config/config.hpp"
#include "fmcib/config/registry.hpp"
#include "fmcib/transforms/compose.hpp"
#include "fmcib/transforms/targets.hpp"
#include "fmcib/transforms/transform.hpp"

namespace fmcib::transforms {
namespace {

using config::Config;

config::Registry& registry() {
  registerTargets(config::Registry::global());
  return config::Registry::global();
}

TransformPtr build(const std::string& yaml, const std::string& path) {
  const Config c = Config::fromString(yaml, "transforms.yaml", registry());
  return c.resolve(path).as<Transform>();
}

// The transform tree of fmcib_pretrain.yaml (system#datasets#train#transform), verbatim.
const char* kPretrainYaml = R"(
system:
  datasets:
    train:
      transform:
        _target_: torchvision.transforms.Compose
        transforms:
          - _target_: monai.transforms.ToTensor
          - _target_: monai.transforms.EnsureChannelFirst
            channel_dim: no_channel
          - _target_: fmcib.transforms.Duplicate
            transforms1:
              _target_: torchvision.transforms.Compose
              transforms:
                - _target_: fmcib.transforms.RandomResizedCrop3D
                  size: 50
                - _target_: monai.transforms.RandAxisFlip
                  prob: 0.5
                - _target_: monai.transforms.RandHistogramShift
                  prob: 0.5
                - _target_: monai.transforms.RandGaussianSmooth
                  prob: 0.5
                - _target_: monai.transforms.SpatialPad
                  spatial_size: [50, 50, 50]
                - _target_: monai.transforms.ThresholdIntensity
                  threshold: -1024
                  cval: -1024
                - _target_: monai.transforms.NormalizeIntensity
                  subtrahend: -1024
                  divisor: 3072
            transforms2: "@#transforms1"
)";

TEST(TransformTargets, AllNamesAreRegisteredOnce) {
  auto& r = registry();
  registerTargets(r);  // idempotent
  for (const char* name : {"monai.transforms.ToTensor",
                           "monai.transforms.EnsureChannelFirst",
                           "monai.transforms.Compose",
                           "monai.transforms.SpatialPad",
                           "monai.transforms.ThresholdIntensity",
                           "monai.transforms.NormalizeIntensity",
                           "monai.transforms.ScaleIntensityRange",
                           "monai.transforms.RandAxisFlip",
                           "monai.transforms.Flip",
                           "monai.transforms.RandHistogramShift",
                           "monai.transforms.RandGaussianSmooth",
                           "monai.transforms.GaussianSmooth",
                           "monai.transforms.RandAffine",
                           "monai.transforms.RandRotate90",
                           "monai.transforms.Rotate90",
                           "monai.transforms.Resize",
                           "monai.transforms.RandScaleCrop",
                           "monai.transforms.RandSpatialCrop",
                           "monai.transforms.CenterSpatialCrop",
                           "monai.transforms.Transpose",
                           "torchvision.transforms.Compose",
                           "fmcib.transforms.Duplicate",
                           "fmcib.transforms.RandomResizedCrop3D"})
    EXPECT_NE(r.find(name), nullptr) << name;
}

TEST(TransformTargets, PretrainingPipelineFromYaml) {
  const auto t = build(kPretrainYaml, "system#datasets#train#transform");
  EXPECT_EQ(t->name(), "torchvision.transforms.Compose");
  torch::manual_seed(0);
  const at::Tensor patch = (torch::rand({50, 50, 50}) * 2500.0 - 1200.0).round();
  Generator gen(3);
  const auto views = t->views(patch, gen);
  ASSERT_EQ(views.size(), 2u);
  for (const auto& v : views) {
    EXPECT_EQ(v.sizes(), (std::vector<int64_t>{1, 50, 50, 50}));
    EXPECT_EQ(v.scalar_type(), torch::kFloat);
    EXPECT_GE(v.min().item<float>(), 0.0f);
    EXPECT_LE(v.max().item<float>(), (patch.max().item<float>() + 1024.0f) / 3072.0f + 1e-5f);
  }
  EXPECT_FALSE(torch::allclose(views[0], views[1]));
  // Same seed, same views.
  Generator again(3);
  const auto repeat = t->views(patch, again);
  EXPECT_TRUE(torch::equal(repeat[0], views[0]));
  EXPECT_TRUE(torch::equal(repeat[1], views[1]));
}

TEST(TransformTargets, MonaiArgumentsAndDefaults) {
  Generator gen(1);
  const at::Tensor x = torch::arange(2 * 3 * 4, torch::kFloat).reshape({1, 2, 3, 4});
  // Flip with the default spatial_axis (null) flips every spatial axis.
  auto flip = build("vars:\n  t: {_target_: monai.transforms.Flip}\n", "vars#t");
  EXPECT_TRUE(torch::equal((*flip)(x, gen), x.flip({1, 2, 3})));
  auto rot =
      build("vars:\n  t: {_target_: monai.transforms.Rotate90, k: 2, spatial_axes: [1, 2], lazy: false}\n",
            "vars#t");
  EXPECT_TRUE(torch::equal((*rot)(x, gen), torch::rot90(x, 2, {2, 3})));
  auto scale = build(
      "vars:\n  t: {_target_: monai.transforms.ScaleIntensityRange, a_min: 0, a_max: 23, b_min: 0.0, b_max: "
      "1.0,"
      " clip: true}\n",
      "vars#t");
  EXPECT_NEAR((*scale)(x, gen).max().item<double>(), 1.0, 1e-6);
  auto tt = build("vars:\n  t: {_target_: monai.transforms.ToTensor, dtype: float64, track_meta: false}\n",
                  "vars#t");
  EXPECT_EQ((*tt)(x, gen).scalar_type(), torch::kDouble);
  auto resize =
      build("vars:\n  t: {_target_: monai.transforms.Resize, spatial_size: [4, 6, 8], mode: trilinear}\n",
            "vars#t");
  EXPECT_EQ((*resize)(x, gen).sizes(), (std::vector<int64_t>{1, 4, 6, 8}));
  auto affine = build(
      "vars:\n  t: {_target_: monai.transforms.RandAffine, prob: 1.0, translate_range: [[1, 1], 0, 0],"
      " padding_mode: zeros, mode: nearest, cache_grid: true}\n",
      "vars#t");
  EXPECT_TRUE(torch::equal((*affine)(x, gen).slice(1, 0, 1), x.slice(1, 1, 2)));
  auto dupDefault = build(
      "vars:\n  t:\n    _target_: fmcib.transforms.Duplicate\n    transforms1: {_target_: "
      "monai.transforms.Flip}\n",
      "vars#t");
  const auto v = dupDefault->views(x, gen);
  ASSERT_EQ(v.size(), 2u);
  EXPECT_TRUE(torch::equal(v[1], x));  // transforms2 null: the copy is left unchanged
  auto monaiCompose = build(
      "vars:\n  t:\n    _target_: monai.transforms.Compose\n    transforms:\n      - {_target_: "
      "monai.transforms.Flip,"
      " spatial_axis: 0}\n",
      "vars#t");
  EXPECT_TRUE(torch::equal((*monaiCompose)(x, gen), x.flip(1)));
}

void expectConfigError(const std::string& yaml, const std::string& argument) {
  try {
    build(yaml, "vars#t");
    ADD_FAILURE() << "no error for:\n" << yaml;
  } catch (const ConfigError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("'" + argument + "'"), std::string::npos) << msg;
    EXPECT_NE(msg.find("vars#t#" + argument), std::string::npos) << msg;
  }
}

TEST(TransformTargets, BadArgumentsAreConfigErrorsNamingTheArgument) {
  expectConfigError("vars:\n  t: {_target_: monai.transforms.RandAxisFlip, prob: -0.5}\n", "prob");
  expectConfigError("vars:\n  t: {_target_: monai.transforms.RandGaussianSmooth, prob: 1.5}\n", "prob");
  expectConfigError("vars:\n  t: {_target_: monai.transforms.SpatialPad, spatial_size: [50, 50]}\n",
                    "spatial_size");
  expectConfigError("vars:\n  t: {_target_: monai.transforms.Resize, spatial_size: [50, 50, 50, 50]}\n",
                    "spatial_size");
  expectConfigError("vars:\n  t: {_target_: monai.transforms.RandHistogramShift, num_control_points: 2}\n",
                    "num_control_points");
  expectConfigError(
      "vars:\n  t: {_target_: monai.transforms.Resize, spatial_size: [50, 50, 50], mode: cubic}\n", "mode");
  expectConfigError("vars:\n  t: {_target_: monai.transforms.SpatialPad, spatial_size: 50, mode: mirror}\n",
                    "mode");
  expectConfigError("vars:\n  t: {_target_: monai.transforms.RandAffine, mode: spline}\n", "mode");
  expectConfigError("vars:\n  t: {_target_: monai.transforms.RandAffine, padding_mode: wrap}\n",
                    "padding_mode");
  expectConfigError("vars:\n  t: {_target_: monai.transforms.GaussianSmooth, approx: box}\n", "approx");
  expectConfigError("vars:\n  t: {_target_: monai.transforms.ToTensor, dtype: complex7}\n", "dtype");
  expectConfigError("vars:\n  t: {_target_: monai.transforms.RandGaussianSmooth, sigma_x: [1.5, 0.25]}\n",
                    "sigma_x");
  expectConfigError("vars:\n  t: {_target_: monai.transforms.Compose, transforms: [1, 2]}\n", "transforms");
  expectConfigError("vars:\n  t: {_target_: monai.transforms.EnsureChannelFirst, channel_dim: last}\n",
                    "channel_dim");
  expectConfigError("vars:\n  t: {_target_: fmcib.transforms.RandomResizedCrop3D, scale: [0.9, 0.5]}\n",
                    "scale");
}

TEST(TransformTargets, ValidateChecksNamesKindsAndUnknownArguments) {
  // (validate() wants `system` to be a LighterSystem component, so the tree sits under vars here.)
  const Config good = Config::fromString(
      "vars:\n  t:\n    _target_: fmcib.transforms.Duplicate\n    transforms1:\n"
      "      _target_: monai.transforms.Compose\n      transforms:\n"
      "        - {_target_: fmcib.transforms.RandomResizedCrop3D, size: 50}\n"
      "        - {_target_: monai.transforms.RandGaussianSmooth, prob: 0.5, sigma_x: [0.5, 1.0]}\n"
      "    transforms2: \"@#transforms1\"\n",
      "good.yaml", registry());
  EXPECT_NO_THROW(good.validate());
  for (const char* yaml : {"vars:\n  t: {_target_: monai.transforms.RandAxisFlip, probability: 0.5}\n",
                           "vars:\n  t: {_target_: monai.transforms.RandAxisFlip, prob: fast}\n",
                           "vars:\n  t: {_target_: monai.transforms.SpatialPad}\n"}) {
    const Config c = Config::fromString(yaml, "bad.yaml", registry());
    EXPECT_THROW(c.validate(), ConfigError) << yaml;
  }
}

}  // namespace
}  // namespace fmcib::transforms
