// MetaImage and MONAI's Spacing / Orientation / SeedBasedPatchCrop on it: geometry checked with
// analytic phantoms (a linear function of the RAS point, which linear interpolation reproduces), the
// pending path against the eager (whole-image) path, and MONAI's shape/offset rules by hand.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

#include "fmcib/transforms/intensity.hpp"
#include "fmcib/transforms/meta_spatial.hpp"
#include "support/errors.hpp"

namespace fmcib::transforms {
namespace {

double phantom(const Point3& p) {
  return 0.01 * p[0] + 0.02 * p[1] - 0.03 * p[2] + 5.0;
}

/// A RAS affine from a direction (columns), spacing and origin.
Affine makeAffine(const std::array<double, 9>& dir, const Point3& spacing, const Point3& origin) {
  Affine a = identityAffine();
  for (int i = 0; i < 3; ++i) {
    for (int j = 0; j < 3; ++j) a[4 * i + j] = dir[3 * i + j] * spacing[j];
    a[4 * i + 3] = origin[i];
  }
  return a;
}

at::Tensor phantomVoxels(const Affine& affine, const Shape3& shape) {
  at::Tensor t = torch::empty({shape[0], shape[1], shape[2]}, torch::kFloat);
  auto acc = t.accessor<float, 3>();
  for (int64_t i = 0; i < shape[0]; ++i)
    for (int64_t j = 0; j < shape[1]; ++j)
      for (int64_t k = 0; k < shape[2]; ++k)
        acc[i][j][k] = static_cast<float>(phantom(
            applyAffine(affine, {static_cast<double>(i), static_cast<double>(j), static_cast<double>(k)})));
  return t;
}

SpacingOptions getFeaturesSpacing(bool alignCorners = true) {
  SpacingOptions o;
  o.pixdim = {1.0};
  o.diagonal = true;
  o.padding = PaddingMode::kZeros;
  o.alignCorners = alignCorners;
  return o;
}

struct Geometry {
  const char* name;
  std::array<double, 9> dir;
  Point3 spacing;
  Point3 origin;
  Shape3 shape;
};

std::vector<Geometry> geometries() {
  const double c = std::cos(0.2094), s = std::sin(0.2094);  // 12°
  return {
      {"LPS anisotropic", {-1, 0, 0, 0, -1, 0, 0, 0, 1}, {0.8, 0.8, 2.5}, {20, 25, -40}, {40, 36, 12}},
      {"RAS stored", {1, 0, 0, 0, 1, 0, 0, 0, 1}, {0.7, 0.9, 1.5}, {-10, -15, 30}, {38, 30, 20}},
      {"permuted + flipped", {0, -1, 0, 1, 0, 0, 0, 0, -1}, {0.9, 0.6, 1.2}, {5, -7, 12}, {30, 44, 24}},
      {"oblique", {-c, s, 0, -s, -c, 0, 0, 0, 1}, {0.75, 0.75, 2.0}, {12, 18, -5}, {40, 40, 14}},
  };
}

TEST(MetaImage, PhantomVoxelsSitWhereTheAffineSays) {
  for (const auto& g : geometries()) {
    const Affine src = makeAffine(g.dir, g.spacing, g.origin);
    const MetaImage scan = MetaImage::fromVoxels(phantomVoxels(src, g.shape), src).withChannel();
    // align_corners=False: MONAI's grid_sample then samples exactly where the affine says.
    const MetaImage spaced = spacing(scan, getFeaturesSpacing(false));
    EXPECT_TRUE(spaced.pending()) << g.name;
    const MetaImage oriented = orientation(spaced, "LPS");
    // The output axes run towards L, P, S: the affine's 3×3 part is diag(-1, -1, 1).
    for (int i = 0; i < 3; ++i)
      for (int j = 0; j < 3; ++j)
        EXPECT_NEAR(oriented.affine()[4 * i + j], i != j ? 0.0 : (i < 2 ? -1.0 : 1.0), 1e-12) << g.name;
    const Point3 centre = applyAffine(src, {g.shape[0] / 2.0, g.shape[1] / 2.0, g.shape[2] / 2.0});
    const MetaImage patch = seedBasedPatchCrop(oriented, centre, {16, 16, 16}, true);
    const at::Tensor voxels = patch.tensor();
    ASSERT_EQ(voxels.dim(), 4) << g.name;
    const Affine toSource = matmul(inverse(src), patch.affine());
    auto acc = voxels.accessor<float, 4>();
    int64_t inside = 0, outside = 0;
    for (int64_t i = 0; i < voxels.size(1); ++i)
      for (int64_t j = 0; j < voxels.size(2); ++j)
        for (int64_t k = 0; k < voxels.size(3); ++k) {
          const Point3 u{static_cast<double>(i), static_cast<double>(j), static_cast<double>(k)};
          const Point3 q = applyAffine(toSource, u);
          bool in = true, out = false;
          for (int a = 0; a < 3; ++a) {
            in = in && q[a] >= 1e-9 && q[a] <= static_cast<double>(g.shape[a] - 1) - 1e-9;
            out = out || q[a] <= -1 || q[a] >= static_cast<double>(g.shape[a]);
          }
          if (in) {
            ++inside;
            ASSERT_NEAR(acc[0][i][j][k], phantom(applyAffine(patch.affine(), u)), 2e-5)
                << g.name << " voxel " << i << "," << j << "," << k;
          } else if (out) {
            ++outside;
            ASSERT_EQ(acc[0][i][j][k], 0.0f) << g.name;  // zero padding
          }
        }
    EXPECT_GT(inside, 1000) << g.name;
  }
}

TEST(MetaImage, PendingPathEqualsEagerPath) {
  torch::manual_seed(3);
  for (const auto& g : geometries()) {
    const Affine src = makeAffine(g.dir, g.spacing, g.origin);
    const at::Tensor hu = torch::randint(-1024, 2000, {g.shape[0], g.shape[1], g.shape[2]}, torch::kShort);
    NormalizeIntensity::Options n;
    n.subtrahend = std::vector<double>{-1024};
    n.divisor = std::vector<double>{3072};
    const auto norm = std::make_shared<NormalizeIntensity>(n);
    auto run = [&](bool eager) {
      MetaImage m = MetaImage::fromVoxels(hu, src, eager).withChannel().pointwise(norm);
      m = orientation(spacing(m, getFeaturesSpacing()), "LPS");
      // A corner seed: the crop is clamped.
      const Point3 corner = applyAffine(src, {1.0, 2.0, 1.0});
      return seedBasedPatchCrop(m, corner, {20, 20, 20}, true).tensor();
    };
    const at::Tensor lazy = run(false), eager = run(true);
    ASSERT_EQ(lazy.sizes(), eager.sizes()) << g.name;
    EXPECT_LT(lazy.size(1) * lazy.size(2) * lazy.size(3), 20 * 20 * 20) << g.name;  // clamped
    EXPECT_LE((lazy - eager).abs().max().item<double>(), 1e-6) << g.name;
  }
}

TEST(MetaImage, SpacingShapeAndOffsetFollowMonai) {
  // RAS affine diag(-0.8, -0.8, 2.5): x spans [10 - 7.2, 10], y [20 - 7.2, 20], z [-30, -22.5].
  const Affine src = makeAffine({-1, 0, 0, 0, -1, 0, 0, 0, 1}, {0.8, 0.8, 2.5}, {10, 20, -30});
  const SpacingGeometry g = spacingGeometry(src, {10, 10, 4}, getFeaturesSpacing());
  EXPECT_EQ(g.shape, (Shape3{8, 8, 8}));  // round(7.2 + 1) = 8; round(7.5 + 1) = 8 (half to even)
  EXPECT_NEAR(g.dst[3], 2.8, 1e-12);
  EXPECT_NEAR(g.dst[7], 12.8, 1e-12);
  EXPECT_NEAR(g.dst[11], -30.0, 1e-12);
  EXPECT_FALSE(g.unchanged);
  // A 1 mm RAS grid is left as it is.
  const Affine unit = makeAffine({1, 0, 0, 0, 1, 0, 0, 0, 1}, {1, 1, 1}, {3, 4, 5});
  EXPECT_TRUE(spacingGeometry(unit, {5, 6, 7}, getFeaturesSpacing()).unchanged);
  // Oblique: no corner is smallest along both x and y, so the grid is centred on the input's centre
  // (MONAI: in · shape/2 − out · out_shape/2, shape/2 not (shape-1)/2).
  const double c = std::cos(0.3), s = std::sin(0.3);
  const Affine obl = makeAffine({c, -s, 0, s, c, 0, 0, 0, 1}, {1, 1, 1}, {0, 0, 0});
  const SpacingGeometry og = spacingGeometry(obl, {10, 20, 5}, getFeaturesSpacing());
  const Point3 centreIn = applyAffine(obl, {5, 10, 2.5});
  for (int j = 0; j < 3; ++j)
    EXPECT_NEAR(og.dst[4 * j + 3], centreIn[j] - static_cast<double>(og.shape[j]) / 2.0, 1e-9) << j;
}

TEST(MetaImage, AlignCornersSamplesAsMonaiDoes) {
  // A 1 mm grid along x whose output has O voxels over an input of S: output voxel p samples
  // q = (S-1)/S · (xform · (p·O/(O-1) - 1/2)) + (S-1)/(2S); the affine records xform.
  const Affine src = makeAffine({1, 0, 0, 0, 1, 0, 0, 0, 1}, {0.7, 1, 1}, {0, 0, 0});
  const Shape3 in{11, 3, 3};
  at::Tensor ramp = torch::arange(11, torch::kFloat).view({11, 1, 1}).expand({11, 3, 3}).contiguous();
  const MetaImage scan = MetaImage::fromVoxels(ramp, src).withChannel();
  const SpacingGeometry g = spacingGeometry(src, in, getFeaturesSpacing(true));
  ASSERT_EQ(g.shape[0], 8);  // round(10 · 0.7 + 1)
  const at::Tensor x = spacing(scan, getFeaturesSpacing(true)).tensor();
  const double S = 11, O = 8;
  for (int64_t p = 0; p < 8; ++p) {
    const double q = (S - 1) / S * ((static_cast<double>(p) * O / (O - 1) - 0.5) / 0.7) + (S - 1) / (2 * S);
    if (q < 0 || q > S - 1) continue;  // zero padding mixes in there
    EXPECT_NEAR(x[0][p][1][1].item<double>(), q, 1e-5) << p;
  }
  // Voxel 6 lies 0.14 input voxels away from where the affine puts it.
  EXPECT_GT(std::abs(x[0][6][1][1].item<double>() - 6 / 0.7), 0.1);
  EXPECT_NEAR(spacing(scan, getFeaturesSpacing(true)).affine()[0], 1.0, 1e-12);
  // align_corners=False samples at xform · p exactly.
  const at::Tensor exact = spacing(scan, getFeaturesSpacing(false)).tensor();
  for (int64_t p = 0; p < 8; ++p) EXPECT_NEAR(exact[0][p][1][1].item<double>(), p / 0.7, 1e-5) << p;
}

TEST(MetaImage, OrientationCodesAndMaps) {
  const Orientation lps = axcodesToOrientation("LPS");
  EXPECT_EQ(lps[0], (std::pair<int, int>{0, -1}));
  EXPECT_EQ(lps[1], (std::pair<int, int>{1, -1}));
  EXPECT_EQ(lps[2], (std::pair<int, int>{2, 1}));
  EXPECT_THROW(axcodesToOrientation("LLS"), ConfigError);
  EXPECT_THROW(axcodesToOrientation("LP"), ConfigError);
  // Axis 0 runs along -y (towards P), axis 1 along +x (R), axis 2 along -z (I).
  const Affine a = makeAffine({0, 1, 0, -1, 0, 0, 0, 0, -1}, {1, 1, 1}, {0, 0, 0});
  const Orientation o = ioOrientation(a);
  EXPECT_EQ(o[0], (std::pair<int, int>{1, -1}));
  EXPECT_EQ(o[1], (std::pair<int, int>{0, 1}));
  EXPECT_EQ(o[2], (std::pair<int, int>{2, -1}));
  IndexMap shift = IndexMap::shift({1, 2, 3});
  IndexMap swap;
  swap.m = {0, 1, 0, 1, 0, 0, 0, 0, -1};
  swap.t = {0, 0, 9};
  const IndexMap both = shift.then(swap);  // u → shift(swap(u))
  EXPECT_EQ(both.t, (std::array<int64_t, 3>{1, 2, 12}));
  EXPECT_EQ(both.m, swap.m);
}

TEST(MetaImage, SeedFarOutsideIsAnInputError) {
  const Affine src = makeAffine({-1, 0, 0, 0, -1, 0, 0, 0, 1}, {1, 1, 1}, {0, 0, 0});
  const MetaImage m = MetaImage::fromVoxels(torch::zeros({30, 30, 30}), src).withChannel();
  const std::string e = test::errorOf([&] { seedBasedPatchCrop(m, {100, 0, 0}, {50, 50, 50}, true); });
  EXPECT_NE(e.find("crop range is empty"), std::string::npos) << e;
  EXPECT_NE(e.find("axis 0"), std::string::npos) << e;
  // 20 voxels outside still overlaps a 50-voxel crop: clamped, not an error.
  EXPECT_EQ(seedBasedPatchCrop(m, {20, 0, 0}, {50, 50, 50}, true).spatialShape()[0], 5);
}

}  // namespace
}  // namespace fmcib::transforms
