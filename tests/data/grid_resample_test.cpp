// Reorientation (our permute/flip vs itk::OrientImageFilter with the legacy codes) and resampling
// (ours vs itk::ResampleImageFilter), the two building blocks of the patch pipeline.
#include <gtest/gtest.h>
#include <itkImage.h>
#include <itkOrientImageFilter.h>
#include <itkResampleImageFilter.h>
#include <torch/torch.h>

#include <cmath>
#include <cstring>
#include <random>

#include "data/phantom.hpp"
#include "fmcib/data/grid_map.hpp"
#include "fmcib/data/resample.hpp"

using namespace fmcib;
using data::GridMap;

namespace {

using test::detail::toItk;

template <class T>
io::Volume fromItk(const typename itk::Image<T, 3>::Pointer& image) {
  io::ImageGeometry g;
  for (int i = 0; i < 3; ++i) {
    g.size[i] = static_cast<int64_t>(image->GetLargestPossibleRegion().GetSize()[i]);
    g.spacing[i] = image->GetSpacing()[i];
    g.origin[i] = image->GetOrigin()[i];
    for (int j = 0; j < 3; ++j) g.direction[3 * i + j] = image->GetDirection()[i][j];
  }
  io::Volume v(io::pixelTypeOf<T>(), g);
  std::memcpy(v.data(), image->GetBufferPointer(), v.byteSize());
  return v;
}

io::Volume randomInt16(const io::ImageGeometry& g, uint64_t seed) {
  io::Volume v(io::PixelType::kInt16, g);
  std::mt19937_64 rng(seed);
  for (int64_t i = 0; i < v.numVoxels(); ++i)
    v.dataAs<int16_t>()[i] = static_cast<int16_t>(rng() % 3000) - 1500;
  return v;
}

io::ImageGeometry withDirection(io::ImageGeometry g, std::array<double, 9> d) {
  g.direction = d;
  return g;
}

}  // namespace

TEST(GridMap, ThenComposesLikeFunctions) {
  std::mt19937_64 rng(5);
  for (int trial = 0; trial < 50; ++trial) {
    GridMap a, b;
    std::array<int, 3> pa{0, 1, 2}, pb{0, 1, 2};
    std::shuffle(pa.begin(), pa.end(), rng);
    std::shuffle(pb.begin(), pb.end(), rng);
    for (int k = 0; k < 3; ++k) {
      a.axis[k] = pa[k];
      b.axis[k] = pb[k];
      a.sign[k] = rng() % 2 ? 1 : -1;
      b.sign[k] = rng() % 2 ? 1 : -1;
      a.offset[k] = static_cast<int64_t>(rng() % 50);
      b.offset[k] = static_cast<int64_t>(rng() % 50);
    }
    const io::Index3 w{static_cast<int64_t>(rng() % 9), static_cast<int64_t>(rng() % 9),
                       static_cast<int64_t>(rng() % 9)};
    EXPECT_EQ(a.then(b).apply(w), a.apply(b.apply(w)));
  }
}

TEST(GridMap, OrientationCodesFollowSimpleItk) {
  io::ImageGeometry g;
  EXPECT_EQ(data::orientationCode(g), "LPS");
  EXPECT_EQ(data::orientationCode(withDirection(g, {1, 0, 0, 0, 1, 0, 0, 0, -1})), "LPI");
  EXPECT_EQ(data::orientationCode(withDirection(g, {-1, 0, 0, 0, -1, 0, 0, 0, 1})), "RAS");
  EXPECT_EQ(data::orientationCode(withDirection(g, {0, 1, 0, 1, 0, 0, 0, 0, -1})), "PLI");
  EXPECT_THROW(data::orientationMap(g, "LPX"), RuntimeError);
  EXPECT_THROW(data::orientationMap(g, "LLS"), RuntimeError);
}

TEST(GridMap, ReorientingMatchesItkOrientImageFilter) {
  // DICOM LPI is ITK's legacy RAS code and DICOM LPS its RAI code (DESIGN §4).
  const double c = std::cos(0.2), s = std::sin(0.2);
  const std::array<double, 9> directions[] = {{1, 0, 0, 0, 1, 0, 0, 0, 1},   {1, 0, 0, 0, 1, 0, 0, 0, -1},
                                              {-1, 0, 0, 0, -1, 0, 0, 0, 1}, {0, 1, 0, 1, 0, 0, 0, 0, -1},
                                              {0, 0, 1, -1, 0, 0, 0, -1, 0}, {0, -1, 0, 0, 0, 1, -1, 0, 0},
                                              {c, -s, 0, s, c, 0, 0, 0, -1}, {1, 0, 0, 0, c, s, 0, -s, c}};
  io::ImageGeometry g;
  g.size = {7, 5, 4};
  g.spacing = {0.7, 0.9, 2.5};
  g.origin = {12.5, -40.25, 100.0};
  int n = 0;
  for (const auto& d : directions) {
    const io::Volume v = randomInt16(withDirection(g, d), static_cast<uint64_t>(n++));
    for (const auto& [code, itkCode] :
         {std::pair{"LPI", itk::SpatialOrientation::ITK_COORDINATE_ORIENTATION_RAS},
          std::pair{"LPS", itk::SpatialOrientation::ITK_COORDINATE_ORIENTATION_RAI}}) {
      auto f = itk::OrientImageFilter<itk::Image<int16_t, 3>, itk::Image<int16_t, 3>>::New();
      f->UseImageDirectionOn();
      f->SetDesiredCoordinateOrientation(itkCode);
      f->SetInput(toItk<int16_t>(v));
      f->Update();
      const io::Volume expected = fromItk<int16_t>(f->GetOutput());
      const GridMap map = data::orientationMap(v.geometry(), code);
      const io::Volume got = data::applyGridMap(v, map, map.permutedSize(v.geometry().size));
      EXPECT_TRUE(got.geometry().approxEqual(expected.geometry(), 1e-9))
          << code << " from " << data::orientationCode(v.geometry()) << "\n ours "
          << got.geometry().describe() << "\n itk  " << expected.geometry().describe();
      EXPECT_EQ(std::memcmp(got.data(), expected.data(), got.byteSize()), 0) << code;
      EXPECT_EQ(data::orientationCode(got.geometry()), code);
    }
  }
}

TEST(Resample, SizeRoundsHalfToEvenLikePython) {
  io::ImageGeometry g;
  g.size = {5, 7, 3};
  g.spacing = {0.5, 0.5, 2.5};
  const io::ImageGeometry r = data::resampledGeometry(g, {1, 1, 1});
  EXPECT_EQ(r.size, (io::Index3{2, 4, 8}));  // round(2.5) = 2, round(3.5) = 4, round(7.5) = 8
  EXPECT_EQ(r.origin, g.origin);
  EXPECT_EQ(r.direction, g.direction);
}

TEST(Resample, MatchesItkResampleImageFilter) {
  const double c = std::cos(0.3), s = std::sin(0.3);
  const std::array<double, 9> directions[] = {
      {1, 0, 0, 0, 1, 0, 0, 0, 1}, {0, 1, 0, 1, 0, 0, 0, 0, -1}, {c, -s, 0, s, c, 0, 0, 0, 1}};
  const io::Vec3 spacings[] = {{1, 1, 1}, {0.55, 1.3, 0.9}};
  io::ImageGeometry g;
  g.size = {23, 19, 9};
  g.spacing = {0.7, 0.8, 2.5};
  g.origin = {-20.5, 7.25, -310.0};
  int n = 0;
  for (const auto& d : directions) {
    for (const auto& spacing : spacings) {
      const io::Volume v = randomInt16(withDirection(g, d), static_cast<uint64_t>(40 + n++));
      const io::Volume ours = data::resampleToSpacing(v, spacing);
      using Image = itk::Image<int16_t, 3>;
      auto f = itk::ResampleImageFilter<Image, Image>::New();
      Image::SizeType size;
      Image::SpacingType sp;
      for (int a = 0; a < 3; ++a) {
        size[a] = static_cast<itk::SizeValueType>(ours.geometry().size[a]);
        sp[a] = spacing[a];
      }
      auto input = toItk<int16_t>(v);
      f->SetInput(input);
      f->SetSize(size);
      f->SetOutputSpacing(sp);
      f->SetOutputOrigin(input->GetOrigin());
      f->SetOutputDirection(input->GetDirection());
      f->SetDefaultPixelValue(-1024);
      f->Update();
      const io::Volume expected = fromItk<int16_t>(f->GetOutput());
      ASSERT_TRUE(ours.geometry().approxEqual(expected.geometry(), 1e-12));
      // Same continuous indices, same interpolation arithmetic, same truncation: bit for bit.
      EXPECT_TRUE(torch::equal(ours.toFloatTensor(), expected.toFloatTensor()))
          << "max |diff| " << test::maxAbsDiff(ours.toFloatTensor(), expected.toFloatTensor());
    }
  }
}

TEST(Resample, BoxEqualsTheSameRegionOfTheWholeImage) {
  const auto geometries = test::phantomGeometries({21, 17, 8});
  for (const auto& [name, g] : geometries) {
    const io::Volume v = randomInt16(g, 9);
    const io::Vec3 spacing{1, 1, 1};
    const io::Volume whole = data::resampleToSpacing(v, spacing);
    const io::ImageGeometry target = data::resampledGeometry(g, spacing);
    const io::Index3 start{3, 2, 2}, size{6, 7, 5};  // inside every resampled grid
    const io::Volume box = data::resampleBox(v, target, start, size);
    const at::Tensor expected = whole.toFloatTensor()
                                    .slice(0, start[2], start[2] + size[2])
                                    .slice(1, start[1], start[1] + size[1])
                                    .slice(2, start[0], start[0] + size[0]);
    EXPECT_TRUE(torch::equal(box.toFloatTensor(), expected)) << name;
    EXPECT_TRUE(
        box.geometry().approxEqual(data::GridMap::crop(start).outputGeometry(whole.geometry(), size), 1e-12))
        << name;
  }
}
