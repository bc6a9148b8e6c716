// DeepLesion's real geometry (slow: 512×512 scans): for rows of the study's annotation CSV, a
// phantom with that row's volume (512×512×slices of Volume_fn, spacing_x/y/z, origin 0, PLI
// direction as the published NIfTI files have) is cropped with the pre-training settings
// (orient true, resample [1,1,1], radius 25, negatives on) by the region-only path, the
// whole-image path and ITK's filters; all three agree, and the patch is the 50³ one around the
// lesion whose annotated (row, column) the orientation swaps back.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>

#include "data/phantom.hpp"
#include "fmcib/data/seed_crop.hpp"
#include "fmcib/io/csv.hpp"
#include "support/paths.hpp"

using namespace fmcib;

TEST(DeepLesionGeometry, RegionWholeAndItkAgreeOnRealRows) {
  const io::CsvTable t = io::CsvTable::read(
      (test::sourceDir() / "tests" / "io" / "reference_csv" / "deeplesion_task1_train.csv").string());
  const test::LinearField field{{-500, 2, -1, 3}};
  int checked = 0;
  for (size_t r = 0; r < t.numRows() && checked < 6; ++r) {
    // Volume_fn "000004_02_02_043-103.nii.gz": slices 43..103.
    const std::string fn = t.cell(r, t.column("Volume_fn"));
    const size_t dash = fn.rfind('-'), under = fn.rfind('_');
    const int64_t slices =
        std::stoll(fn.substr(dash + 1)) - std::stoll(fn.substr(under + 1, dash - under - 1)) + 1;
    io::ImageGeometry g;
    g.size = {512, 512, slices};
    g.spacing = {t.number(r, t.column("spacing_x")), t.number(r, t.column("spacing_y")),
                 t.number(r, t.column("spacing_z"))};
    g.origin = {0, 0, 0};
    g.direction = {0, 1, 0, 1, 0, 0, 0, 0, -1};
    const io::Vec3 seed{t.number(r, t.column("coordX")), t.number(r, t.column("coordY")),
                        t.number(r, t.column("coordZ"))};
    // The annotation's pixel centroid (x = column, y = row) is the seed's index (x, y) on this grid.
    const io::Vec3 idx = g.physicalToContinuousIndex(seed);
    EXPECT_NEAR(idx[0], std::trunc(t.number(r, t.column("centroid_x"))), 1e-3) << fn;
    EXPECT_NEAR(idx[1], std::trunc(t.number(r, t.column("centroid_y"))), 1e-3) << fn;

    const io::Volume scan = test::linearPhantom(g, field, io::PixelType::kInt16);
    data::CropOptions o;
    o.orient = true;
    o.resampleSpacing = io::Vec3{1, 1, 1};
    const data::ScanCropper region(scan, o);
    o.mode = data::CropMode::kWholeImage;
    const data::ScanCropper whole(scan, o);
    const data::Patch a = region.positive(seed), b = whole.positive(seed);
    EXPECT_TRUE(torch::equal(a.array, b.array)) << fn;
    EXPECT_TRUE(a.geometry.approxEqual(b.geometry, 0)) << fn;
    const data::Patch ref = test::itkReferencePatch(scan, o, seed);
    EXPECT_TRUE(torch::equal(a.array, ref.array))
        << fn << " max |diff| " << test::maxAbsDiff(a.array, ref.array);
    EXPECT_TRUE(a.geometry.approxEqual(ref.geometry, 1e-6)) << fn;
    data::Generator g1(r), g2(r);
    EXPECT_TRUE(torch::equal(region.negative(g1).array, whole.negative(g2).array)) << fn;
    // In-plane the patch is the full 50×50 (z may be clamped on short volumes).
    EXPECT_EQ(a.array.size(1), 50) << fn;
    EXPECT_EQ(a.array.size(2), 50) << fn;
    ++checked;
  }
  EXPECT_EQ(checked, 6);
}
