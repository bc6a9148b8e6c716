// Compose / Duplicate view propagation and the pre-training view pipeline built in C++.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "fmcib/config/error.hpp"
#include "fmcib/transforms/compose.hpp"
#include "fmcib/transforms/croppad.hpp"
#include "fmcib/transforms/intensity.hpp"
#include "fmcib/transforms/spatial.hpp"
#include "fmcib/transforms/utility.hpp"

namespace fmcib::transforms {
namespace {

// Adds a constant: shows which transforms ran on which view.
class AddConst final : public Transform {
 public:
  explicit AddConst(float c) : c_(c) {}
  at::Tensor operator()(const at::Tensor& x, Generator&) const override { return x + c_; }
  std::string name() const override { return "test.AddConst"; }

 private:
  float c_;
};

// DESIGN §3: ToTensor → EnsureChannelFirst(no_channel) → Duplicate(t1, t1), t1 = RandomResizedCrop3D(50)
// → RandAxisFlip(0.5) → RandHistogramShift(0.5) → RandGaussianSmooth(0.5) → SpatialPad(50³) →
// ThresholdIntensity(-1024, cval -1024) → NormalizeIntensity(-1024, 3072).
std::shared_ptr<Compose> pretrainingPipeline() {
  NormalizeIntensity::Options norm;
  norm.subtrahend = std::vector<double>{-1024};
  norm.divisor = std::vector<double>{3072};
  auto t1 = std::make_shared<Compose>(std::vector<TransformPtr>{
      std::make_shared<RandomResizedCrop3D>(1.0, 50), std::make_shared<RandAxisFlip>(0.5),
      std::make_shared<RandHistogramShift>(10, 10, 0.5),
      std::make_shared<RandGaussianSmooth>(std::make_pair(0.25, 1.5), std::make_pair(0.25, 1.5),
                                           std::make_pair(0.25, 1.5), 0.5),
      std::make_shared<SpatialPad>(std::vector<int64_t>{50, 50, 50}),
      std::make_shared<ThresholdIntensity>(-1024, true, -1024), std::make_shared<NormalizeIntensity>(norm)});
  return std::make_shared<Compose>(std::vector<TransformPtr>{
      std::make_shared<ToTensor>(), std::make_shared<EnsureChannelFirst>(EnsureChannelFirst::kNoChannel),
      std::make_shared<Duplicate>(t1, t1)});
}

at::Tensor ctPatch(int64_t seed, std::vector<int64_t> shape = {50, 50, 50}) {
  torch::manual_seed(seed);
  return (torch::rand(shape) * 2500.0 - 1200.0).round();  // HU-like, partly below -1024
}

TEST(Compose, AppliesTransformsInOrder) {
  Generator gen(1);
  Compose c({std::make_shared<AddConst>(1.0f), std::make_shared<Flip>(std::vector<int64_t>{0})});
  const at::Tensor x = torch::arange(6, torch::kFloat).reshape({1, 6});
  EXPECT_TRUE(torch::equal(c(x, gen), (x + 1).flip(1)));
  EXPECT_EQ(c.views(x, gen).size(), 1u);
}

TEST(Compose, ViewsOfADuplicatePropagateToLaterTransforms) {
  Generator gen(1);
  auto dup =
      std::make_shared<Duplicate>(std::make_shared<AddConst>(10.0f), std::make_shared<AddConst>(20.0f));
  Compose c({std::make_shared<AddConst>(1.0f), dup, std::make_shared<AddConst>(100.0f)});
  const at::Tensor x = torch::zeros({1, 2, 2, 2});
  const auto v = c.views(x, gen);
  ASSERT_EQ(v.size(), 2u);
  EXPECT_TRUE(torch::equal(v[0], torch::full({1, 2, 2, 2}, 111.0f)));
  EXPECT_TRUE(torch::equal(v[1], torch::full({1, 2, 2, 2}, 121.0f)));
  EXPECT_THROW(c(x, gen), RuntimeError);
  // Nested: a Duplicate inside a Duplicate gives four views.
  Compose nested({std::make_shared<Duplicate>(dup, dup)});
  EXPECT_EQ(nested.views(x, gen).size(), 4u);
}

TEST(Duplicate, NullTransformLeavesACopyUnchanged) {
  Generator gen(1);
  Duplicate d(std::make_shared<AddConst>(5.0f), nullptr);
  const at::Tensor x = torch::ones({1, 3});
  const auto v = d.views(x, gen);
  ASSERT_EQ(v.size(), 2u);
  EXPECT_TRUE(torch::equal(v[0], x + 5));
  EXPECT_TRUE(torch::equal(v[1], x));
  EXPECT_NE(v[1].data_ptr(), x.data_ptr());  // a copy, as Python's deepcopy
}

TEST(PretrainingPipeline, TwoDifferentFloat32ViewsOf50Cubed) {
  const auto pipeline = pretrainingPipeline();
  const at::Tensor patch = ctPatch(3);
  Generator gen(42);
  for (int item = 0; item < 5; ++item) {
    const auto views = pipeline->views(patch, gen);
    ASSERT_EQ(views.size(), 2u);
    for (const auto& v : views) {
      EXPECT_EQ(v.sizes(), (std::vector<int64_t>{1, 50, 50, 50}));
      EXPECT_EQ(v.scalar_type(), torch::kFloat);
      // Threshold at -1024 then (x + 1024) / 3072: [0, (max + 1024) / 3072].
      EXPECT_GE(v.min().item<float>(), 0.0f);
      EXPECT_LE(v.max().item<float>(), (patch.max().item<float>() + 1024.0f) / 3072.0f + 1e-5f);
    }
    EXPECT_FALSE(torch::allclose(views[0], views[1]));
  }
}

TEST(PretrainingPipeline, ReproducibleFromTheSeed) {
  const auto pipeline = pretrainingPipeline();
  const at::Tensor patch = ctPatch(4);
  Generator a(7), b(7);
  const auto va = pipeline->views(patch, a), vb = pipeline->views(patch, b);
  for (size_t i = 0; i < 2; ++i) EXPECT_TRUE(torch::equal(va[i], vb[i]));
}

TEST(PretrainingPipeline, SmallerBorderPatchStillGives50Cubed) {
  // A seed near the border yields a clamped patch; the crop-resize brings it back to 50³.
  const auto pipeline = pretrainingPipeline();
  Generator gen(5);
  for (const auto& v : pipeline->views(ctPatch(5, {37, 50, 44}), gen))
    EXPECT_EQ(v.sizes(), (std::vector<int64_t>{1, 50, 50, 50}));
}

TEST(Utility, ToTensorEnsureChannelFirstTranspose) {
  Generator gen(1);
  const at::Tensor x = torch::arange(24, torch::kDouble).reshape({2, 3, 4});
  EXPECT_EQ(ToTensor(torch::kFloat)(x, gen).scalar_type(), torch::kFloat);
  EXPECT_EQ(ToTensor()(x, gen).scalar_type(), torch::kDouble);
  EXPECT_EQ(EnsureChannelFirst(EnsureChannelFirst::kNoChannel)(x, gen).sizes(),
            (std::vector<int64_t>{1, 2, 3, 4}));
  EXPECT_TRUE(torch::equal(EnsureChannelFirst(-1)(x, gen), x.permute({2, 0, 1})));
  EXPECT_THROW(EnsureChannelFirst()(x, gen), RuntimeError);
  EXPECT_TRUE(torch::equal(EnsureChannelFirst(EnsureChannelFirst::kFromMetadata, false)(x, gen), x));
  EXPECT_TRUE(torch::equal(Transpose()(x, gen), x.permute({2, 1, 0})));
  EXPECT_TRUE(torch::equal(Transpose({0, 2, 1})(x, gen), x.permute({0, 2, 1})));
}

TEST(Intensity, ScaleIntensityRangeAndNormalizeStatistics) {
  Generator gen(1);
  const at::Tensor x = torch::tensor({-1000.0f, 0.0f, 500.0f, 2000.0f}).reshape({1, 4});
  const at::Tensor y = ScaleIntensityRange(-1000, 1000, 0.0, 1.0, true)(x, gen);
  EXPECT_TRUE(torch::allclose(y, torch::tensor({0.0f, 0.5f, 0.75f, 1.0f}).reshape({1, 4})));
  NormalizeIntensity::Options o;  // mean / population std
  const at::Tensor z = NormalizeIntensity(o)(x, gen);
  EXPECT_NEAR(z.mean().item<double>(), 0.0, 1e-6);
  EXPECT_NEAR(z.std(false).item<double>(), 1.0, 1e-5);
  o.nonzero = true;  // the zero stays, the others are normalized among themselves
  const at::Tensor nz = NormalizeIntensity(o)(x, gen);
  EXPECT_EQ(nz[0][1].item<float>(), 0.0f);
  const at::Tensor others = torch::stack({nz[0][0], nz[0][2], nz[0][3]});
  EXPECT_NEAR(others.mean().item<double>(), 0.0, 1e-6);
}

TEST(Intensity, ThresholdBothDirectionsAndNaN) {
  Generator gen(1);
  const at::Tensor x = torch::tensor({-2000.0f, -1024.0f, 0.0f, NAN, 300.0f}).reshape({1, 5});
  const at::Tensor expectedAbove = torch::tensor({-1.0f, -1.0f, 0.0f, -1.0f, 300.0f}).reshape({1, 5});
  const at::Tensor expectedBelow = torch::tensor({-2000.0f, 7.0f, 7.0f, 7.0f, 7.0f}).reshape({1, 5});
  EXPECT_TRUE(torch::equal(ThresholdIntensity(-1024, true, -1)(x, gen), expectedAbove));
  EXPECT_TRUE(torch::equal(ThresholdIntensity(-1024, false, 7)(x, gen), expectedBelow));
  // Non-contiguous and double inputs take the generic path, with the same result.
  const at::Tensor wide = torch::stack({x[0], x[0]}, 1).unsqueeze(0);  // [1, 5, 2]
  const at::Tensor strided = wide.select(2, 1);
  ASSERT_FALSE(strided.is_contiguous());
  EXPECT_TRUE(torch::equal(ThresholdIntensity(-1024, true, -1)(strided, gen), expectedAbove));
  EXPECT_TRUE(torch::equal(ThresholdIntensity(-1024, true, -1)(x.to(torch::kDouble), gen),
                           expectedAbove.to(torch::kDouble)));
}

TEST(CropPad, CenterCropAndPadModes) {
  Generator gen(1);
  const at::Tensor x = torch::arange(7, torch::kFloat).reshape({1, 7});
  EXPECT_TRUE(
      torch::equal(CenterSpatialCrop({3})(x, gen), torch::tensor({2.0f, 3.0f, 4.0f}).reshape({1, 3})));
  EXPECT_TRUE(
      torch::equal(CenterSpatialCrop({4})(x, gen), torch::tensor({1.0f, 2.0f, 3.0f, 4.0f}).reshape({1, 4})));
  const at::Tensor v = torch::arange(3, torch::kFloat).reshape({1, 3, 1, 1});
  EXPECT_EQ(SpatialPad({6, 1, 1})(v, gen).flatten()[1].item<float>(), 0.0f);  // 1 before, 2 after
  EXPECT_TRUE(
      torch::equal(SpatialPad({6, 1, 1})(v, gen).flatten(), torch::tensor({0.f, 0.f, 1.f, 2.f, 0.f, 0.f})));
  EXPECT_TRUE(torch::equal(SpatialPad({6, 1, 1}, "end")(v, gen).flatten(),
                           torch::tensor({0.f, 1.f, 2.f, 0.f, 0.f, 0.f})));
  EXPECT_TRUE(torch::equal(SpatialPad({5, 1, 1}, "symmetric", "edge")(v, gen).flatten(),
                           torch::tensor({0.f, 0.f, 1.f, 2.f, 2.f})));
  EXPECT_TRUE(torch::equal(SpatialPad({5, 1, 1}, "symmetric", "constant", -7)(v, gen).flatten(),
                           torch::tensor({-7.f, 0.f, 1.f, 2.f, -7.f})));
  EXPECT_THROW(SpatialPad({5}, "symmetric", "mirror-ish"), ConfigError);
}

TEST(Spatial, ResizeModesAndSizeModes) {
  Generator gen(1);
  const at::Tensor x = torch::rand({1, 8, 6, 4});
  ResizeOptions o;
  o.spatialSize = {4, 3, 2};
  const at::Tensor area = Resize(o)(x, gen);  // default mode: area = average pooling by 2
  EXPECT_TRUE(torch::allclose(area, torch::avg_pool3d(x.unsqueeze(0), 2).squeeze(0)));
  o.spatialSize = {8, 6, 4};
  EXPECT_TRUE(Resize(o)(x, gen).is_same(x));  // same size: returned unchanged
  o.sizeMode = "longest";
  o.spatialSize = {16};
  EXPECT_EQ(Resize(o)(x, gen).sizes(), (std::vector<int64_t>{1, 16, 12, 8}));
  ResizeOptions bad;
  bad.spatialSize = {4, 4, 4};
  bad.mode = "cubic-spline";
  EXPECT_THROW(Resize{bad}, ConfigError);
  bad.mode = "bilinear";  // known, but not for 3D volumes
  EXPECT_THROW(Resize{bad}(x, gen), RuntimeError);
  ResizeOptions aa;
  aa.spatialSize = {4, 3, 2};
  aa.mode = "nearest";
  aa.antiAliasing = true;  // smooths before subsampling: less variance than plain nearest
  aa.dtype = torch::kFloat;
  ResizeOptions plain = aa;
  plain.antiAliasing = false;
  EXPECT_LT(Resize(aa)(x, gen).var().item<double>(), Resize(plain)(x, gen).var().item<double>());
}

}  // namespace
}  // namespace fmcib::transforms
