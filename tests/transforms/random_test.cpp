// Random transforms: the prob gate, reproducibility from the generator, and what each draws.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <functional>
#include <map>
#include <memory>

#include "fmcib/config/error.hpp"
#include "fmcib/transforms/croppad.hpp"
#include "fmcib/transforms/intensity.hpp"
#include "fmcib/transforms/random.hpp"
#include "fmcib/transforms/spatial.hpp"

namespace fmcib::transforms {
namespace {

at::Tensor volume(int64_t seed, std::vector<int64_t> shape = {1, 24, 26, 28}) {
  torch::manual_seed(seed);
  return torch::rand(shape) * 3000.0 - 1500.0;
}

// Every random transform of the area, built with a given prob.
std::map<std::string, std::function<std::shared_ptr<Transform>(double)>> randomTransforms() {
  return {
      {"RandAxisFlip", [](double p) { return std::make_shared<RandAxisFlip>(p); }},
      {"RandRotate90", [](double p) { return std::make_shared<RandRotate90>(p); }},
      {"RandHistogramShift", [](double p) { return std::make_shared<RandHistogramShift>(10, 10, p); }},
      {"RandGaussianSmooth",
       [](double p) {
         return std::make_shared<RandGaussianSmooth>(std::make_pair(0.25, 1.5), std::make_pair(0.25, 1.5),
                                                     std::make_pair(0.25, 1.5), p);
       }},
      {"RandomResizedCrop3D", [](double p) { return std::make_shared<RandomResizedCrop3D>(p, 20); }},
      {"RandAffine",
       [](double p) {
         RandAffine::Options o;
         o.prob = p;
         o.rotateRange = {{-0.3, 0.3}, {-0.3, 0.3}, {-0.3, 0.3}};
         o.translateRange = {{-2, 2}};
         return std::make_shared<RandAffine>(o);
       }},
  };
}

TEST(RandomTransforms, ProbZeroReturnsTheInput) {
  const at::Tensor x = volume(1);
  for (const auto& [name, make] : randomTransforms()) {
    Generator gen(7);
    const at::Tensor y = (*make(0.0))(x, gen);
    EXPECT_TRUE(torch::equal(y, x)) << name;
  }
}

TEST(RandomTransforms, ProbOneChangesTheInput) {
  const at::Tensor x = volume(2);
  for (const auto& [name, make] : randomTransforms()) {
    Generator gen(7);
    const at::Tensor y = (*make(1.0))(x, gen);
    EXPECT_FALSE(y.sizes() == x.sizes() && torch::allclose(y, x)) << name;
  }
}

TEST(RandomTransforms, SameSeedSameOutputDifferentSeedDifferentOutput) {
  const at::Tensor x = volume(3);
  for (const auto& [name, make] : randomTransforms()) {
    auto t = make(1.0);
    Generator a(11), b(11), c(12);
    const at::Tensor ya = (*t)(x, a), yb = (*t)(x, b);
    EXPECT_TRUE(torch::equal(ya, yb)) << name;
    // Several draws from another seed: at least one differs (a single draw may coincide, e.g. a flip).
    bool differs = false;
    for (int i = 0; i < 5 && !differs; ++i) {
      const at::Tensor yc = (*t)(x, c);
      differs = yc.sizes() != ya.sizes() || !torch::equal(yc, ya);
    }
    EXPECT_TRUE(differs) << name;
  }
}

TEST(RandomTransforms, NegativeProbIsAConfigErrorNamingProb) {
  for (const auto& [name, make] : randomTransforms()) {
    try {
      make(-0.5);
      ADD_FAILURE() << name << " accepted prob -0.5";
    } catch (const ConfigError& e) {
      EXPECT_NE(std::string(e.what()).find("prob"), std::string::npos) << name << ": " << e.what();
    }
  }
}

TEST(RandomDraws, UniformAndRandintStayInRange) {
  Generator gen(5);
  std::vector<int> counts(7, 0);
  for (int i = 0; i < 7000; ++i) {
    const double u = uniform(gen, -2.0, 3.0);
    ASSERT_GE(u, -2.0);
    ASSERT_LT(u, 3.0);
    const int64_t k = randint(gen, 3, 10);
    ASSERT_GE(k, 3);
    ASSERT_LT(k, 10);
    ++counts[k - 3];
  }
  for (int c : counts) EXPECT_NEAR(c, 1000, 150);
}

TEST(RandAxisFlip, PicksEachAxisAboutEquallyOften) {
  const at::Tensor x = volume(4, {1, 6, 7, 8});
  std::vector<at::Tensor> flipped;
  for (int64_t a = 0; a < 3; ++a) flipped.push_back(x.flip(a + 1));
  RandAxisFlip t(1.0);
  Generator gen(2024);
  std::vector<int> counts(3, 0);
  for (int i = 0; i < 3000; ++i) {
    const at::Tensor y = t(x, gen);
    int which = -1;
    for (int a = 0; a < 3; ++a)
      if (torch::equal(y, flipped[a])) which = a;
    ASSERT_GE(which, 0) << "draw " << i << " is not a single-axis flip";
    ++counts[which];
  }
  // Binomial(3000, 1/3): sd ~ 26; 150 is > 5 sd.
  for (int c : counts) EXPECT_NEAR(c, 1000, 150);
}

TEST(RandRotate90, DrawsEveryQuarterTurnUpToMaxK) {
  const at::Tensor x = volume(5, {1, 9, 9, 4});
  RandRotate90 t(1.0, 3, {0, 1});
  Generator gen(3);
  std::vector<int> counts(4, 0);
  for (int i = 0; i < 900; ++i) {
    const at::Tensor y = t(x, gen);
    int which = -1;
    for (int k = 0; k < 4; ++k)
      if (torch::equal(y, torch::rot90(x, k, {1, 2}))) which = k;
    ASSERT_GE(which, 1);
    ++counts[which];
  }
  for (int k = 1; k < 4; ++k) EXPECT_NEAR(counts[k], 300, 75);
}

// A ramp along each axis (channel c = index along spatial axis c) shows the crop of
// RandomResizedCrop3D after the resize: trilinear (align_corners=False) reproduces a linear
// function inside, so out[25] - out[24] = L / 50 and out[24] = start + 24.5 L / 50 - 0.5.
TEST(RandomResizedCrop3D, CropSideLiesBetweenHalfAndFullSize) {
  const std::vector<int64_t> dims = {60, 50, 41};
  std::vector<at::Tensor> ramps;
  for (int64_t c = 0; c < 3; ++c) {
    std::vector<int64_t> view = {1, 1, 1};
    view[c] = dims[c];
    ramps.push_back(torch::arange(dims[c], torch::kFloat).reshape(view).expand(dims));
  }
  const at::Tensor x = torch::stack(ramps);
  RandomResizedCrop3D t(1.0, 50, {0.5, 1.0});
  Generator gen(99);
  std::vector<int64_t> minSide(3, 1000), maxSide(3, 0);
  for (int draw = 0; draw < 300; ++draw) {
    const at::Tensor y = t(x, gen);
    ASSERT_EQ(y.sizes(), (std::vector<int64_t>{3, 50, 50, 50}));
    double scale = -1;
    for (int64_t c = 0; c < 3; ++c) {
      std::vector<int64_t> idx24 = {10, 10, 10}, idx25 = {10, 10, 10};
      idx24[c] = 24;
      idx25[c] = 25;
      const double v24 = y[c][idx24[0]][idx24[1]][idx24[2]].item<double>();
      const double v25 = y[c][idx25[0]][idx25[1]][idx25[2]].item<double>();
      const int64_t side = std::llround((v25 - v24) * 50.0);
      const double start = v24 - (24.5 * side / 50.0 - 0.5);
      EXPECT_GE(side, static_cast<int64_t>(0.5 * dims[c])) << "axis " << c;
      EXPECT_LE(side, dims[c]) << "axis " << c;
      EXPECT_NEAR(start, std::round(start), 1e-3);
      EXPECT_GE(std::round(start), 0);
      EXPECT_LE(std::round(start) + side, dims[c]);
      // One scale s for all axes: side = ceil(s * dim).
      if (scale < 0) scale = static_cast<double>(side) / dims[c];
      EXPECT_NEAR(static_cast<double>(side) / dims[c], scale, 2.0 / 41) << "axis " << c;
      minSide[c] = std::min(minSide[c], side);
      maxSide[c] = std::max(maxSide[c], side);
    }
  }
  for (int64_t c = 0; c < 3; ++c) {  // the whole range gets used
    EXPECT_LE(minSide[c], static_cast<int64_t>(0.55 * dims[c]));
    EXPECT_GE(maxSide[c], static_cast<int64_t>(0.95 * dims[c]));
  }
}

TEST(RandScaleCrop, SizesAreCeilOfScaleAndInsideTheImage) {
  const at::Tensor x = volume(6, {2, 30, 20, 11});
  Generator gen(8);
  RandScaleCrop fixed({0.5}, std::nullopt, true, false);
  for (int i = 0; i < 50; ++i) EXPECT_EQ(fixed(x, gen).sizes(), (std::vector<int64_t>{2, 15, 10, 6}));
  RandScaleCrop random({0.5}, std::vector<double>{0.8}, true, true);
  for (int i = 0; i < 200; ++i) {
    const auto s = random(x, gen).sizes();
    EXPECT_TRUE(s[1] >= 15 && s[1] <= 24 && s[2] >= 10 && s[2] <= 16 && s[3] >= 6 && s[3] <= 9) << s;
  }
  // A crop is a window of the input: find it by its first voxel.
  at::Tensor idx = torch::arange(x[0].numel(), torch::kFloat).reshape({1, 30, 20, 11});
  const at::Tensor c = RandSpatialCrop({10, 10, 10})(idx, gen);
  const int64_t first = c[0][0][0][0].item<int64_t>();
  const int64_t i0 = first / 220, j0 = (first / 11) % 20, k0 = first % 11;
  EXPECT_TRUE(torch::equal(c, idx.slice(1, i0, i0 + 10).slice(2, j0, j0 + 10).slice(3, k0, k0 + 10)));
}

// Output voxel p takes the input at p + t (MONAI's grid convention): an impulse moves by -t.
TEST(RandAffine, TranslationMovesAnImpulse) {
  at::Tensor x = torch::zeros({1, 15, 15, 15});
  x[0][7][7][7] = 1.0f;
  for (double t : {3.0, -2.0}) {
    RandAffine::Options o;
    o.prob = 1.0;
    o.translateRange = {{t, t}, {0, 0}, {0, 0}};
    o.paddingMode = "zeros";
    Generator gen(1);
    const at::Tensor y = RandAffine(o)(x, gen);
    ASSERT_EQ(y.sizes(), x.sizes());
    const int64_t moved = 7 - static_cast<int64_t>(t);
    EXPECT_NEAR(y[0][moved][7][7].item<double>(), 1.0, 1e-5) << t;
    EXPECT_NEAR(y.sum().item<double>(), 1.0, 1e-5) << t;
  }
}

TEST(RandAffine, QuarterTurnAboutTheFirstAxisIsRot90) {
  const at::Tensor x = volume(7, {1, 5, 9, 9});
  RandAffine::Options o;
  o.prob = 1.0;
  o.rotateRange = {{M_PI / 2, M_PI / 2}};
  Generator gen(1);
  const at::Tensor y = RandAffine(o)(x, gen);
  // rotate_params (pi/2): out(y, z) = in(-z, y) in centred coordinates, i.e. rot90 with k = 3.
  EXPECT_TRUE(torch::allclose(y, torch::rot90(x, 3, {2, 3}), 1e-4, 1e-3));
}

TEST(RandAffine, ScalingByTwoSamplesEveryOtherVoxelOfALinearRamp) {
  // A linear function is reproduced exactly by (tri)linear sampling inside the volume.
  const at::Tensor x =
      torch::arange(21, torch::kFloat).reshape({1, 21, 1, 1}).expand({1, 21, 3, 3}).contiguous();
  RandAffine::Options o;
  o.prob = 1.0;
  o.scaleRange = {{1.0, 1.0}};  // scale 1 + 1 = 2 along the first axis
  o.paddingMode = "border";
  Generator gen(1);
  const at::Tensor y = RandAffine(o)(x, gen);
  for (int64_t i = 5; i <= 15; ++i) EXPECT_NEAR(y[0][i][1][1].item<double>(), 10 + 2 * (i - 10), 1e-4) << i;
}

TEST(RandAffine, RejectsUnknownModes) {
  RandAffine::Options o;
  o.mode = "bicubic-ish";
  EXPECT_THROW(RandAffine{o}, ConfigError);
  o.mode = "bilinear";
  o.paddingMode = "mirror";
  EXPECT_THROW(RandAffine{o}, ConfigError);
}

// The impulse response of a Gaussian smooth along an axis is that axis' kernel, whose variance
// grows with sigma: RandGaussianSmooth's per-axis variance lies between those of its range ends.
double kernelVariance(double sigma) {
  const at::Tensor k = gaussianKernel1d(sigma).to(torch::kDouble);
  const at::Tensor pos = torch::arange(k.numel(), torch::kDouble) - (k.numel() - 1) / 2;
  return (k * pos * pos).sum().item<double>() / k.sum().item<double>();
}

TEST(RandGaussianSmooth, SigmaPerAxisLiesInItsRange) {
  at::Tensor x = torch::zeros({1, 21, 21, 21});
  x[0][10][10][10] = 1.0f;
  RandGaussianSmooth t({0.25, 1.5}, {0.5, 0.6}, {1.2, 1.3}, 1.0);
  Generator gen(13);
  const at::Tensor pos = torch::arange(21, torch::kDouble) - 10;
  const double lo[3] = {0.25, 0.5, 1.2}, hi[3] = {1.5, 0.6, 1.3};
  double minVar = 1e9, maxVar = 0;
  for (int draw = 0; draw < 100; ++draw) {
    const at::Tensor y = t(x, gen).to(torch::kDouble)[0];
    for (int64_t a = 0; a < 3; ++a) {
      std::vector<int64_t> other;
      for (int64_t d = 0; d < 3; ++d) {
        if (d != a) other.push_back(d);
      }
      const at::Tensor profile = y.sum(other);
      const double var = (profile * pos * pos).sum().item<double>() / profile.sum().item<double>();
      EXPECT_GE(var, kernelVariance(lo[a]) - 1e-5) << "axis " << a;
      EXPECT_LE(var, kernelVariance(hi[a]) + 1e-5) << "axis " << a;
      if (a == 0) minVar = std::min(minVar, var), maxVar = std::max(maxVar, var);
    }
  }
  // The first axis' range is wide: 100 draws spread over most of it.
  EXPECT_LT(minVar, kernelVariance(0.5));
  EXPECT_GT(maxVar, kernelVariance(1.3));
}

TEST(RandHistogramShift, IsAMonotoneRemapKeepingTheRange) {
  const at::Tensor x = volume(9, {1, 10, 11, 12});
  RandHistogramShift t(5, 15, 1.0);
  Generator gen(4);
  const at::Tensor order = x.flatten().argsort();
  for (int draw = 0; draw < 20; ++draw) {
    const at::Tensor y = t(x, gen);
    const at::Tensor sorted = y.flatten().index_select(0, order);
    EXPECT_TRUE((sorted.slice(0, 1) >= sorted.slice(0, 0, -1) - 1e-3).all().item<bool>());
    EXPECT_NEAR(y.min().item<double>(), x.min().item<double>(), 1e-2);
    EXPECT_NEAR(y.max().item<double>(), x.max().item<double>(), 1e-2);
  }
  EXPECT_THROW(RandHistogramShift(2, 2, 0.5), ConfigError);
}

TEST(RandHistogramShift, ControlPointsIncreaseFromZeroToOne) {
  Generator gen(21);
  for (int64_t n : {3, 10, 17}) {
    auto [reference, floating] = randomControlPoints(gen, n);
    ASSERT_EQ(reference.size(), static_cast<size_t>(n));
    EXPECT_EQ(floating.front(), 0.0);
    EXPECT_EQ(floating.back(), 1.0);
    for (int64_t i = 1; i < n; ++i) {
      EXPECT_NEAR(reference[i], static_cast<double>(i) / (n - 1), 1e-12);
      EXPECT_GE(floating[i], floating[i - 1]);
      if (i < n - 1) {
        EXPECT_LE(floating[i], reference[i + 1]);
      }
    }
  }
}

}  // namespace
}  // namespace fmcib::transforms
