// fmcib.preprocessing.get_transforms against MONAI 1.4.0 + the upstream SeedBasedPatchCropd
// (tests/fixtures/get_features, see its README): four scans (anisotropic, RAS-stored, oblique,
// DeepLesion-style), 12 seeds (some near a corner), 1e-4 absolute; and the region path equal to the
// whole-image reference path.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <array>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>

#include "fmcib/data/csv_dataset.hpp"
#include "fmcib/data/get_features_transforms.hpp"
#include "support/paths.hpp"

namespace fmcib::data {
namespace {

namespace fs = std::filesystem;

std::vector<char> readBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open fixture " + path);
  return std::vector<char>(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

at::Tensor fixtureTensor(const std::string& key) {
  const auto dict = torch::pickle_load(readBytes(test::fixture("get_features/patches.pt"))).toGenericDict();
  return dict.at(key).toTensor();
}

std::shared_ptr<CSVDataset> dataset(const std::string& csv, bool precropped, bool eager,
                                    std::array<int64_t, 3> spatialSize = {50, 50, 50}) {
  GetFeaturesTransformOptions t;
  t.precropped = precropped;
  t.eager = eager;
  t.spatialSize = spatialSize;
  CSVDatasetOptions o;
  o.src = test::fixture("get_features/" + csv);
  o.transform = getFeaturesTransforms(t);
  o.requiredColumns = getFeaturesColumns(precropped);
  return std::make_shared<CSVDataset>(o);
}

double maxDiff(const at::Tensor& a, const at::Tensor& b) {
  return (a.to(torch::kDouble) - b.to(torch::kDouble)).abs().max().item<double>();
}

TEST(GetFeaturesParity, CommittedFixturesEqualTheSharedOnes) {
  const fs::path shared = test::sourceDir().parent_path() / "shared" / "fixtures" / "get_features";
  if (!fs::exists(shared)) return;  // a user's clone has only the committed copy
  for (const auto& e : fs::recursive_directory_iterator(shared)) {
    if (!e.is_regular_file()) continue;
    const fs::path rel = fs::relative(e.path(), shared);
    EXPECT_EQ(readBytes(e.path().string()), readBytes(test::fixture("get_features/" + rel.string()))) << rel;
  }
}

TEST(GetFeaturesParity, PatchesMatchMonai) {
  const at::Tensor expected = fixtureTensor("patches");
  ASSERT_EQ(expected.sizes(), (std::vector<int64_t>{12, 1, 50, 50, 50}));
  auto ds = dataset("seeds.csv", false, false);
  ASSERT_EQ(ds->size(), 12);
  double worst = 0;
  for (int64_t i = 0; i < ds->size(); ++i) {
    Generator gen(0);
    const at::Tensor patch = ds->get(i, gen).input.tensor();
    ASSERT_EQ(patch.sizes(), (std::vector<int64_t>{1, 50, 50, 50})) << "row " << i;
    const double d = maxDiff(patch, expected[i]);
    EXPECT_LE(d, 1e-4) << "row " << i << " (" << ds->table()->cell(static_cast<size_t>(i), 0)
                       << "): max |diff| " << d;
    worst = std::max(worst, d);
  }
  std::cout << "get_features patches: max |diff| over 12 rows " << worst << "\n";
}

TEST(GetFeaturesParity, PrecroppedMatchesMonai) {
  const at::Tensor expected = fixtureTensor("precropped");
  auto ds = dataset("precropped.csv", true, false);
  Generator gen(0);
  const at::Tensor patch = ds->get(0, gen).input.tensor();
  ASSERT_EQ(patch.sizes(), (std::vector<int64_t>{1, 50, 50, 50}));
  EXPECT_LE(maxDiff(patch, expected[0]), 1e-4);
}

TEST(GetFeaturesParity, RegionPathEqualsWholeImagePath) {
  auto region = dataset("seeds.csv", false, false);
  auto whole = dataset("seeds.csv", false, true);
  for (int64_t i = 0; i < region->size(); ++i) {
    Generator g1(0), g2(0);
    const at::Tensor a = region->get(i, g1).input.tensor(), b = whole->get(i, g2).input.tensor();
    ASSERT_EQ(a.sizes(), b.sizes()) << "row " << i;
    EXPECT_LE(maxDiff(a, b), 1e-6) << "row " << i;
  }
}

TEST(GetFeaturesParity, NonCubicSpatialSizeCropsItsReverseThenTransposes) {
  // spatial_size (z, y, x) = (20, 30, 40): roi_size (40, 30, 20) on the LPS-ordered image, then
  // Transposed(0, 3, 2, 1). Where neither crop is clamped, that is the middle of the 40³ patch.
  for (const bool eager : {false, true}) {
    auto small = dataset("seeds.csv", false, eager, {20, 30, 40});
    auto big = dataset("seeds.csv", false, eager, {40, 40, 40});
    for (const int64_t row : {0, 6, 7}) {  // seeds whose 40³ crop lies inside the scan
      Generator g1(0), g2(0);
      const at::Tensor a = small->get(row, g1).input.tensor(), b = big->get(row, g2).input.tensor();
      ASSERT_EQ(a.sizes(), (std::vector<int64_t>{1, 20, 30, 40}));
      ASSERT_EQ(b.sizes(), (std::vector<int64_t>{1, 40, 40, 40}));
      const at::Tensor middle = b.slice(1, 10, 30).slice(2, 5, 35);
      EXPECT_LE(maxDiff(a, middle), 1e-6)
          << "row " << row << (eager ? ", whole-image path" : ", region path");
    }
  }
}

}  // namespace
}  // namespace fmcib::data
