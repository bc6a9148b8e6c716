// Seed-point patches on analytic phantoms (DESIGN §10): every voxel of a patch holds the value of
// the physical point the reference order says it comes from; the patch equals the one ITK's
// filters give in that order; seeds at borders give the clamped size; and the region-only path
// gives the same voxels as the whole-image path, positives and negatives alike.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <random>

#include "data/phantom.hpp"
#include "fmcib/config/error.hpp"
#include "fmcib/data/seed_crop.hpp"

using namespace fmcib;
using data::CropMode;
using data::CropOptions;
using data::ScanCropper;

namespace {

struct Case {
  std::string name;
  io::ImageGeometry geometry;
  bool orient, resample;
};

std::vector<Case> cases(const io::Index3& size) {
  std::vector<Case> out;
  for (const auto& [name, g] : test::phantomGeometries(size))
    for (bool orient : {false, true})
      for (bool resample : {false, true})
        out.push_back(
            {name + (orient ? "/orient" : "") + (resample ? "/resample" : ""), g, orient, resample});
  return out;
}

CropOptions options(const Case& c, int64_t radius, CropMode mode) {
  CropOptions o;
  o.radius = radius;
  o.orient = c.orient;
  if (c.resample) o.resampleSpacing = io::Vec3{1, 1, 1};
  o.mode = mode;
  return o;
}

// Seeds: the centre, beyond each border's radius, and corners (clamped patches).
std::vector<io::Vec3> seeds(const io::ImageGeometry& g) {
  std::vector<io::Vec3> out;
  const io::Vec3 n{static_cast<double>(g.size[0] - 1), static_cast<double>(g.size[1] - 1),
                   static_cast<double>(g.size[2] - 1)};
  const io::Vec3 fractions[] = {{0.5, 0.5, 0.5},  {0.02, 0.5, 0.5},  {0.98, 0.4, 0.6}, {0.5, 0.03, 0.5},
                                {0.4, 0.97, 0.5}, {0.5, 0.5, 0.0},   {0.5, 0.5, 1.0},  {0.0, 0.0, 0.0},
                                {1.0, 1.0, 1.0},  {0.31, 0.77, 0.23}};
  for (const auto& f : fractions) out.push_back(g.indexToPhysical({f[0] * n[0], f[1] * n[1], f[2] * n[2]}));
  return out;
}

// Every patch voxel against the analytic value of its physical point.
void expectAnalytic(const data::Patch& patch, const io::ImageGeometry& phantom,
                    const test::LinearField& field, double tolerance, const std::string& what) {
  const auto& g = patch.geometry;
  ASSERT_EQ(patch.array.sizes(), (std::vector<int64_t>{g.size[2], g.size[1], g.size[0]})) << what;
  const test::PhantomProbe probe(phantom, field);
  const float* v = patch.array.data_ptr<float>();
  double worst = 0;
  int64_t n = 0;
  for (int64_t k = 0; k < g.size[2]; ++k)
    for (int64_t j = 0; j < g.size[1]; ++j)
      for (int64_t i = 0; i < g.size[0]; ++i, ++n) {
        const io::Vec3 p =
            g.indexToPhysical({static_cast<double>(i), static_cast<double>(j), static_cast<double>(k)});
        worst = std::max(worst, std::abs(v[n] - probe.at(p)));
      }
  EXPECT_LE(worst, tolerance) << what;
}

}  // namespace

TEST(SeedCrop, PatchVoxelsHoldTheirPhysicalPointsValue) {
  const test::LinearField field;
  for (const auto& c : cases({40, 36, 18})) {
    for (io::PixelType type : {io::PixelType::kInt16, io::PixelType::kFloat32}) {
      const io::Volume scan = test::linearPhantom(c.geometry, field, type);
      const ScanCropper cropper(scan, options(c, 8, CropMode::kRegion));
      for (const auto& seed : seeds(c.geometry)) {
        const data::Patch patch = cropper.positive(seed);
        // int16 truncates the interpolated value toward zero: at most one HU off.
        expectAnalytic(patch, c.geometry, field, type == io::PixelType::kInt16 ? 1.0 : 1e-3,
                       c.name + " " + io::pixelTypeName(type));
        // Without `orient` the seed lies in its patch. (With it, only an LPI scan keeps it there:
        // the pre-orientation index is used on the reoriented grid, DESIGN §4.)
        if (!c.orient) {
          const io::Vec3 s = patch.geometry.physicalToContinuousIndex(seed);
          for (int a = 0; a < 3; ++a) {
            EXPECT_GT(s[a], -1.0) << c.name << " axis " << a;
            EXPECT_LT(s[a], static_cast<double>(patch.geometry.size[a])) << c.name << " axis " << a;
          }
        }
        if (c.orient) {
          EXPECT_EQ(data::orientationCode(patch.geometry), "LPS") << c.name;
        }
      }
    }
  }
}

TEST(SeedCrop, MatchesTheReferenceOrderBuiltFromItkFilters) {
  const test::LinearField field{{-200, 4, -3, 7}};
  for (const auto& c : cases({40, 36, 18})) {
    const io::Volume scan = test::linearPhantom(c.geometry, field, io::PixelType::kInt16);
    for (CropMode mode : {CropMode::kRegion, CropMode::kWholeImage}) {
      const ScanCropper cropper(scan, options(c, 8, mode));
      for (const auto& seed : seeds(c.geometry)) {
        const data::Patch ours = cropper.positive(seed);
        const data::Patch ref = test::itkReferencePatch(scan, options(c, 8, mode), seed);
        ASSERT_EQ(ours.array.sizes(), ref.array.sizes()) << c.name;
        EXPECT_TRUE(torch::equal(ours.array, ref.array))
            << c.name << " max |diff| " << test::maxAbsDiff(ours.array, ref.array);
        EXPECT_TRUE(ours.geometry.approxEqual(ref.geometry, 1e-6))
            << c.name << "\n ours " << ours.geometry.describe() << "\n itk  " << ref.geometry.describe();
      }
    }
  }
}

TEST(SeedCrop, ADeepLesionSeedIsSwappedBackByOrienting) {
  // DeepLesion annotations hold row and column swapped. With the PLI volume, the seed's index (i, j)
  // is used on the LPI image where axes 0 and 1 are exchanged: the patch is centred on the voxel
  // whose stored index is (j, i) — the lesion — which the reference order relies on.
  const test::LinearField field;
  const io::ImageGeometry pli = test::phantomGeometries({40, 40, 18})[2].geometry;
  const io::Volume scan = test::linearPhantom(pli, field, io::PixelType::kInt16);
  const io::Vec3 annotated = pli.indexToPhysical({11, 27, 9});  // written as (row, col) swapped
  CropOptions o;
  o.radius = 5;
  o.orient = true;
  const data::Patch patch = ScanCropper(scan, o).positive(annotated);
  const io::Vec3 lesion = pli.indexToPhysical({27, 11, 9});
  const io::Vec3 at = patch.geometry.physicalToContinuousIndex(lesion);
  // The seed sits `radius` voxels into [c - r, c + r); reorienting LPI → LPS flips z to r - 1.
  for (int a = 0; a < 3; ++a) EXPECT_NEAR(at[a], a == 2 ? 4.0 : 5.0, 1e-6) << "axis " << a;
}

TEST(SeedCrop, SeedsAtBordersGiveTheClampedSize) {
  io::ImageGeometry g;
  g.size = {30, 20, 10};
  const io::Volume scan = test::linearPhantom(g, {}, io::PixelType::kInt16);
  CropOptions o;
  o.radius = 6;
  const ScanCropper cropper(scan, o);
  EXPECT_EQ(cropper.positive({15, 10, 5}).array.sizes(), (std::vector<int64_t>{10, 12, 12}));
  EXPECT_EQ(cropper.positive({2, 10, 5}).array.sizes(), (std::vector<int64_t>{10, 12, 8}));  // x: [0, 8)
  EXPECT_EQ(cropper.positive({29, 19, 9}).array.sizes(),
            (std::vector<int64_t>{7, 7, 7}));  // [23, 30), [13, 20), [3, 10)
  EXPECT_EQ(cropper.positive({0.9, 0.4, 0.2}).array.sizes(), (std::vector<int64_t>{6, 6, 6}));
  // Negatives: min(2 radius, size) per axis.
  data::Generator gen(1);
  EXPECT_EQ(cropper.negative(gen).array.sizes(), (std::vector<int64_t>{10, 12, 12}));
}

TEST(SeedCrop, SeedsJustOutsideGiveUpstreamsPartialPatch) {
  // Identity geometry: x index -2.4 truncates (int()) to -2, so [-8, 4) clamps to [0, 4); y index
  // 21 on a 20-voxel axis gives [15, 27) → [15, 20).
  io::ImageGeometry g;
  g.size = {30, 20, 10};
  g.origin = {100, 0, 0};
  CropOptions o;
  o.radius = 6;
  const ScanCropper cropper(test::linearPhantom(g, {}, io::PixelType::kInt16), o);
  const data::SeedBox box = cropper.seedBox({97.6, 21, 4});
  EXPECT_EQ(box.index, (io::Index3{-2, 21, 4}));
  EXPECT_EQ(box.start, (io::Index3{0, 15, 0}));
  EXPECT_EQ(box.size, (io::Index3{4, 5, 10}));
  EXPECT_TRUE(box.clamped(6));
  EXPECT_FALSE(box.empty());
  const data::Patch p = cropper.positive({97.6, 21, 4});
  EXPECT_EQ(p.array.sizes(), (std::vector<int64_t>{10, 5, 4}));
  // Voxel (0, 0, 0) of the patch is scan voxel (0, 15, 0).
  EXPECT_EQ(p.array[0][0][0].item<float>(), static_cast<float>(test::LinearField{}.at({0, 15, 0})));
}

TEST(SeedCrop, SeedFarOutsideIsAnEmptyPatchErrorNamingTheAxis) {
  io::ImageGeometry g;
  g.size = {30, 20, 10};
  g.origin = {100, 0, 0};
  const ScanCropper cropper(test::linearPhantom(g, {}, io::PixelType::kInt16), {});
  try {
    cropper.positive({40, 3, 4});  // index -60: [-85, -35) misses x
    FAIL() << "no error";
  } catch (const data::EmptyPatchError& e) {
    EXPECT_EQ(std::string(e.what()).rfind(
                  "seed point (40, 3, 4) mm lies outside the scan, too far for a patch: "
                  "voxel [-60, 3, 4] of a 30x20x10 grid; [c - 25, c + 25) misses the scan on x",
                  0),
              0u)
        << e.what();
  }
  EXPECT_THROW(cropper.positive({std::nan(""), 3, 4}), InputError);
}

// Seeds at -2.4, size + 1 and -30 voxels (DESIGN §4 step 5 as upstream): both crop paths give the
// same voxels, every voxel the value of its physical point, or both refuse the far one alike.
TEST(SeedCrop, BorderSeedsAgreeOnBothCropPathsVoxelForVoxel) {
  const int64_t radius = 9;
  for (const auto& c : cases({40, 34, 22})) {
    const ScanCropper region(test::linearPhantom(c.geometry, {}, io::PixelType::kInt16),
                             options(c, radius, CropMode::kRegion));
    const ScanCropper whole(test::linearPhantom(c.geometry, {}, io::PixelType::kInt16),
                            options(c, radius, CropMode::kWholeImage));
    const io::ImageGeometry& rg = region.resampledGeometry();
    const double mx = static_cast<double>(rg.size[0]) / 2, my = static_cast<double>(rg.size[1]) / 2,
                 mz = static_cast<double>(rg.size[2]) / 2;
    const std::vector<std::pair<io::Vec3, bool>> seeds = {
        {{-2.4, my, mz}, true},                                 // int(-2.4) = -2: partial in x
        {{mx, static_cast<double>(rg.size[1]) + 1, mz}, true},  // size + 1: partial in y
        {{mx, my, -2.4}, true},                                 // partial in z
        {{mx, my, -30.0}, false},                               // [-39, -21): nothing in z
        {{static_cast<double>(rg.size[0]) + 1, -30.0, mz}, false}};
    for (const auto& [index, partial] : seeds) {
      const io::Vec3 seed = rg.indexToPhysical(index);
      const std::string what = c.name + " seed index (" + std::to_string(index[0]) + ", " +
                               std::to_string(index[1]) + ", " + std::to_string(index[2]) + ")";
      if (!partial) {
        EXPECT_TRUE(region.seedBox(seed).empty()) << what;
        EXPECT_THROW(region.positive(seed), data::EmptyPatchError) << what;
        EXPECT_THROW(whole.positive(seed), data::EmptyPatchError) << what;
        continue;
      }
      const data::SeedBox box = region.seedBox(seed);
      if (box.empty()) {  // an oriented, non-square scan can swap a partial axis off the grid
        EXPECT_TRUE(c.orient) << what;
        EXPECT_THROW(whole.positive(seed), data::EmptyPatchError) << what;
        continue;
      }
      EXPECT_TRUE(box.clamped(radius)) << what;
      const data::Patch a = region.positive(seed), b = whole.positive(seed);
      EXPECT_EQ(a.array.numel(), box.size[0] * box.size[1] * box.size[2]) << what;
      EXPECT_TRUE(torch::equal(a.array, b.array)) << what;
      EXPECT_TRUE(a.geometry.approxEqual(b.geometry, 0)) << what;
      expectAnalytic(a, c.geometry, {}, 1.0, what);  // int16 truncates interpolated values
    }
  }
}

TEST(SeedCrop, RegionOnlyEqualsWholeImageVoxelForVoxel) {
  std::mt19937_64 rng(2024);
  for (const auto& c : cases({44, 38, 20})) {
    // Random voxels (not only linear fields) so any misplaced voxel shows.
    io::Volume scan(io::PixelType::kInt16, c.geometry);
    for (int64_t i = 0; i < scan.numVoxels(); ++i)
      scan.dataAs<int16_t>()[i] = static_cast<int16_t>(rng() % 2000) - 1000;
    const ScanCropper region(scan, options(c, 9, CropMode::kRegion));
    const ScanCropper whole(scan, options(c, 9, CropMode::kWholeImage));
    for (int trial = 0; trial < 12; ++trial) {
      const io::Vec3 f{(rng() % 1000) / 999.0, (rng() % 1000) / 999.0, (rng() % 1000) / 999.0};
      const auto& g = c.geometry;
      const io::Vec3 seed = g.indexToPhysical({f[0] * static_cast<double>(g.size[0] - 1),
                                               f[1] * static_cast<double>(g.size[1] - 1),
                                               f[2] * static_cast<double>(g.size[2] - 1)});
      data::Patch a, b;
      try {
        a = region.positive(seed);
      } catch (const data::EmptyPatchError&) {
        // An oriented scan that is not square in-plane can leave a swapped seed outside: both
        // paths must then refuse it alike.
        EXPECT_THROW(whole.positive(seed), data::EmptyPatchError) << c.name;
        continue;
      }
      b = whole.positive(seed);
      EXPECT_TRUE(torch::equal(a.array, b.array)) << c.name << " positive";
      EXPECT_TRUE(a.geometry.approxEqual(b.geometry, 0)) << c.name;
      data::Generator g1(static_cast<uint64_t>(trial)), g2(static_cast<uint64_t>(trial));
      const data::Patch na = region.negative(g1), nb = whole.negative(g2);
      EXPECT_TRUE(torch::equal(na.array, nb.array)) << c.name << " negative";
      EXPECT_TRUE(na.geometry.approxEqual(nb.geometry, 0)) << c.name;
      EXPECT_EQ(g1(), g2());  // the same number of draws
    }
  }
}

TEST(SeedCrop, NegativesMatchTheItkReferenceAtTheirDrawnStart) {
  const test::LinearField field;
  for (const auto& c : cases({40, 36, 18})) {
    const io::Volume scan = test::linearPhantom(c.geometry, field, io::PixelType::kInt16);
    const ScanCropper cropper(scan, options(c, 8, CropMode::kRegion));
    data::Generator gen(77), replay(77);
    for (int trial = 0; trial < 4; ++trial) {
      const data::Patch neg = cropper.negative(gen);
      io::Index3 start{};
      const io::Index3 n = cropper.orientedGeometry().size;
      for (int a = 0; a < 3; ++a) start[a] = data::uniformInt(replay, 0, n[a] - std::min<int64_t>(16, n[a]));
      const data::Patch ref =
          test::itkReferencePatch(scan, options(c, 8, CropMode::kRegion), {0, 0, 0}, start);
      EXPECT_TRUE(torch::equal(neg.array, ref.array)) << c.name;
      EXPECT_TRUE(neg.geometry.approxEqual(ref.geometry, 1e-6)) << c.name;
      expectAnalytic(neg, c.geometry, field, 1.0, c.name + " negative");
    }
  }
}
