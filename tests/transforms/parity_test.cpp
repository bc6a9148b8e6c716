// Deterministic cores against MONAI 1.2.0 outputs (tests/fixtures/transforms.pt, see its README):
// rtol 1e-4, atol 1e-3 (values are HU-scale).
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "fmcib/transforms/croppad.hpp"
#include "fmcib/transforms/intensity.hpp"
#include "fmcib/transforms/spatial.hpp"
#include "support/paths.hpp"

namespace fmcib::transforms {
namespace {

std::vector<char> readBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open fixture " + path);
  return std::vector<char>(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

class TransformsParity : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    const auto dict = torch::pickle_load(readBytes(test::fixture("transforms.pt"))).toGenericDict();
    fixture_ = new std::map<std::string, at::Tensor>();
    for (const auto& kv : dict) (*fixture_)[kv.key().toStringRef()] = kv.value().toTensor();
  }
  static void TearDownTestSuite() {
    delete fixture_;
    fixture_ = nullptr;
  }
  static const at::Tensor& get(const std::string& key) {
    auto it = fixture_->find(key);
    if (it == fixture_->end()) throw std::runtime_error("fixture key missing: " + key);
    return it->second;
  }
  static at::Tensor input() { return get("input"); }
  static void expectClose(const at::Tensor& actual, const std::string& key, double atol = 1e-3) {
    const at::Tensor& expected = get(key);
    ASSERT_EQ(actual.sizes(), expected.sizes()) << key;
    ASSERT_EQ(actual.scalar_type(), expected.scalar_type()) << key;
    const double maxErr =
        (actual.to(torch::kDouble) - expected.to(torch::kDouble)).abs().max().item<double>();
    EXPECT_TRUE(torch::allclose(actual, expected, /*rtol=*/1e-4, atol)) << key << ": max |diff| " << maxErr;
  }
  static std::map<std::string, at::Tensor>* fixture_;
  Generator gen_{0};
};
std::map<std::string, at::Tensor>* TransformsParity::fixture_ = nullptr;

TEST_F(TransformsParity, InputIsTheDocumentedVolume) {
  EXPECT_EQ(input().sizes(), (std::vector<int64_t>{1, 40, 44, 48}));
  EXPECT_EQ(input().scalar_type(), torch::kFloat);
  EXPECT_GE(input().min().item<float>(), -1500.0f);
  EXPECT_LT(input().max().item<float>(), 1500.0f);
}

TEST_F(TransformsParity, FixtureMatchesSharedCopy) {
  // DESIGN §10: the committed copy must equal ../shared/fixtures when that folder exists.
  const auto shared = test::sourceDir().parent_path() / "shared" / "fixtures" / "transforms.pt";
  if (std::filesystem::exists(shared)) {
    EXPECT_EQ(readBytes(shared.string()), readBytes(test::fixture("transforms.pt")));
  }
}

TEST_F(TransformsParity, NormalizeIntensity) {
  NormalizeIntensity::Options o;
  o.subtrahend = std::vector<double>{-1024};
  o.divisor = std::vector<double>{3072};
  expectClose(NormalizeIntensity(o)(input(), gen_), "normalize_intensity");
}

TEST_F(TransformsParity, ThresholdIntensity) {
  expectClose(ThresholdIntensity(-1024, true, -1024)(input(), gen_), "threshold_intensity");
}

TEST_F(TransformsParity, SpatialPad) {
  expectClose(SpatialPad({50, 50, 50})(input(), gen_), "spatial_pad_50");
}

TEST_F(TransformsParity, ResizeTrilinear) {
  ResizeOptions o;
  o.spatialSize = {50, 50, 50};
  o.mode = "trilinear";
  // Outputs near 0 interpolate neighbours up to 3000 apart, so the last-bit differences in the
  // interpolation weights between LibTorch 1.13 and 2.x reach ~6e-3 there: 2e-6 of the input range.
  expectClose(Resize(o)(input(), gen_), "resize_trilinear_50", /*atol=*/1e-2);
}

TEST_F(TransformsParity, GaussianSmoothSigma1) {
  expectClose(GaussianSmooth({1.0})(input(), gen_), "gaussian_smooth_sigma1");
}

TEST_F(TransformsParity, GaussianSmoothPerAxisSigma) {
  expectClose(GaussianSmooth({0.5, 1.0, 1.5})(input(), gen_), "gaussian_smooth_sigma_0.5_1_1.5");
}

TEST_F(TransformsParity, Flip) {
  expectClose(Flip({1})(input(), gen_), "flip_axis1");
}

TEST_F(TransformsParity, Rotate90) {
  expectClose(Rotate90(1, {0, 1})(input(), gen_), "rotate90_k1_axes01");
}

TEST_F(TransformsParity, HistogramShift) {
  auto toVector = [](const at::Tensor& t) {
    at::Tensor d = t.to(torch::kDouble).contiguous();
    return std::vector<double>(d.data_ptr<double>(), d.data_ptr<double>() + d.numel());
  };
  const auto reference = toVector(get("histogram_shift.reference_control_points"));
  const auto floating = toVector(get("histogram_shift.floating_control_points"));
  ASSERT_GE(reference.size(), 3u);
  expectClose(histogramShift(input(), reference, floating), "histogram_shift.output");
}

// The erf kernel integrates the Gaussian over unit cells: it sums to erf((tail+0.5)/(sigma*sqrt 2)),
// is symmetric, and has 2*int(4*sigma+0.5)+1 taps.
TEST(GaussianKernel, ErfKernelIsTheIntegratedGaussian) {
  for (double sigma : {0.25, 0.5, 1.0, 1.37, 2.0}) {
    const at::Tensor k = gaussianKernel1d(sigma);
    const int64_t tail = static_cast<int64_t>(std::max(4 * sigma, 0.5) + 0.5);
    ASSERT_EQ(k.numel(), 2 * tail + 1) << sigma;
    EXPECT_NEAR(k.sum().item<double>(), std::erf((tail + 0.5) / (sigma * std::sqrt(2.0))), 1e-6) << sigma;
    EXPECT_TRUE(torch::allclose(k, k.flip(0))) << sigma;
    EXPECT_NEAR(k[tail].item<double>(), std::erf(0.5 / (sigma * std::sqrt(2.0))), 1e-6) << sigma;
  }
}

TEST(GaussianKernel, SampledAndScaleSpaceKernels) {
  const at::Tensor sampled = gaussianKernel1d(2.0, 4.0, GaussianApprox::Sampled);
  const at::Tensor erf = gaussianKernel1d(2.0);
  ASSERT_EQ(sampled.numel(), 17);
  EXPECT_NEAR(sampled[8].item<double>(), 1.0 / (2.0 * std::sqrt(2 * M_PI)), 1e-6);
  EXPECT_NEAR(sampled[10].item<double>(), std::exp(-0.5) / (2.0 * std::sqrt(2 * M_PI)), 1e-6);
  EXPECT_TRUE(torch::allclose(sampled, erf, 0, 5e-3));
  // The discrete (scale-space) Gaussian: exp(-t) I_n(t) with t = sigma^2 = 4;
  // I_0(4) = 11.3019219521, I_1(4) = 9.7594651537, I_2(4) = 6.4221893752.
  const at::Tensor scale = gaussianKernel1d(2.0, 4.0, GaussianApprox::ScaleSpace);
  ASSERT_EQ(scale.numel(), 17);
  EXPECT_NEAR(scale[8].item<double>(), std::exp(-4.0) * 11.3019219521, 1e-5);
  EXPECT_NEAR(scale[9].item<double>(), std::exp(-4.0) * 9.7594651537, 1e-5);
  EXPECT_NEAR(scale[6].item<double>(), std::exp(-4.0) * 6.4221893752, 1e-5);
  EXPECT_TRUE(torch::allclose(scale, scale.flip(0)));
}

TEST(GaussianSmooth, PreservesAConstantAwayFromTheBorder) {
  Generator gen(1);
  at::Tensor ones = torch::ones({2, 20, 21, 22});
  at::Tensor out = GaussianSmooth({1.0})(ones, gen);
  // Zero padding: the interior keeps the kernel sum, the border loses mass.
  const at::Tensor k = gaussianKernel1d(1.0);
  const double kernelSum = k.sum().item<double>();
  const double halfSum = k.slice(0, k.numel() / 2).sum().item<double>();
  EXPECT_NEAR(out[1][10][10][10].item<double>(), std::pow(kernelSum, 3), 1e-5);
  EXPECT_NEAR(out[0][0][0][0].item<double>(), std::pow(halfSum, 3), 1e-5);
}

}  // namespace
}  // namespace fmcib::transforms
