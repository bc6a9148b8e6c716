#pragma once
// Test helpers of the data area: analytic phantoms (voxels hold a linear function of the index,
// hence of the physical point), the geometries of DESIGN §10, and an independent reference of
// DESIGN §4's order built from ITK filters (ResampleImageFilter, OrientImageFilter with the legacy
// codes, RegionOfInterestImageFilter) to compare against. Header-only: test_data and
// test_data_slow both use it.
#include <gtest/gtest.h>
#include <itkImage.h>
#include <itkOrientImageFilter.h>
#include <itkRegionOfInterestImageFilter.h>
#include <itkResampleImageFilter.h>
#include <torch/torch.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "fmcib/data/seed_crop.hpp"
#include "fmcib/io/volume.hpp"

namespace fmcib::test {

/// Value = c[0] + c[1]·i + c[2]·j + c[3]·k at index (i, j, k).
struct LinearField {
  std::array<double, 4> c{-300, 3, -2, 5};
  double at(const io::Vec3& index) const {
    return c[0] + c[1] * index[0] + c[2] * index[1] + c[3] * index[2];
  }
};

struct NamedGeometry {
  std::string name;
  io::ImageGeometry geometry;
};

/// Identity (LPS), RAS-stored NIfTI (diag(-1,-1,1)), DeepLesion PLI ([[0,1,0],[1,0,0],[0,0,-1]]
/// in LPS, from nibabel's [[0,-sy,0],[-sx,0,0],[0,0,-sz]]), all anisotropic with non-zero origins.
std::vector<NamedGeometry> phantomGeometries(const io::Index3& size);

/// A volume of `type` filled with the field (int types: the field must be integral per voxel).
io::Volume linearPhantom(const io::ImageGeometry& geometry, const LinearField& field, io::PixelType type);

/// The value the reference order gives at physical point `p` of a phantom: the field at the
/// continuous index clamped to the grid, or `outside` when the index is outside [-0.5, n - 0.5).
/// Without resampling the index is a grid point.
class PhantomProbe {
 public:
  PhantomProbe(const io::ImageGeometry& phantom, const LinearField& field, double outside = -1024);
  double at(const io::Vec3& p) const;

 private:
  io::ImageGeometry geometry_;
  LinearField field_;
  double outside_;
  std::array<double, 9> pointToIndex_;  // ITK's inverse of direction · diag(spacing)
};

/// DESIGN §4 steps 2–7 with ITK filters (the reference implementation for tests).
/// `negativeStart` crops there instead of around the seed.
data::Patch itkReferencePatch(const io::Volume& scan, const data::CropOptions& options, const io::Vec3& seed,
                              const std::optional<io::Index3>& negativeStart = std::nullopt);

/// Max |a - b| over two tensors of equal shape (ADD_FAILURE and +inf when shapes differ).
double maxAbsDiff(const at::Tensor& a, const at::Tensor& b);

// ---- definitions ----

inline std::vector<NamedGeometry> phantomGeometries(const io::Index3& size) {
  std::vector<NamedGeometry> out;
  io::ImageGeometry g;
  g.size = size;
  g.spacing = {0.7, 0.8, 2.5};
  g.origin = {-31.5, 12.25, -207.5};
  g.direction = {1, 0, 0, 0, 1, 0, 0, 0, 1};
  out.push_back({"identity_LPS", g});
  g.origin = {41.3, 60.9, -180.0};
  g.direction = {-1, 0, 0, 0, -1, 0, 0, 0, 1};
  out.push_back({"RAS_nifti", g});
  // DeepLesion: nibabel affine [[0,-sy,0],[-sx,0,0],[0,0,-sz]] (RAS) is, in ITK's LPS,
  // index i → +y (spacing sx), j → +x (spacing sy), k → -z.
  g.spacing = {0.8, 0.7, 1.5};
  g.origin = {-10.0, -20.0, 15.0};
  g.direction = {0, 1, 0, 1, 0, 0, 0, 0, -1};
  out.push_back({"DeepLesion_PLI", g});
  return out;
}

inline io::Volume linearPhantom(const io::ImageGeometry& geometry, const LinearField& field,
                                io::PixelType type) {
  io::Volume v(type, geometry);
  io::dispatchPixelType(type, [&](auto tag) {
    using T = decltype(tag);
    T* d = v.dataAs<T>();
    int64_t n = 0;
    for (int64_t k = 0; k < geometry.size[2]; ++k)
      for (int64_t j = 0; j < geometry.size[1]; ++j)
        for (int64_t i = 0; i < geometry.size[0]; ++i)
          d[n++] = static_cast<T>(
              field.at({static_cast<double>(i), static_cast<double>(j), static_cast<double>(k)}));
  });
  return v;
}

inline PhantomProbe::PhantomProbe(const io::ImageGeometry& phantom, const LinearField& field, double outside)
    : geometry_(phantom), field_(field), outside_(outside) {
  // The columns of ITK's point → index matrix, read off its transform of unit offsets.
  const io::Vec3 zero = phantom.physicalToContinuousIndex(phantom.origin);
  for (int c = 0; c < 3; ++c) {
    io::Vec3 p = phantom.origin;
    p[c] += 1.0;
    const io::Vec3 idx = phantom.physicalToContinuousIndex(p);
    for (int r = 0; r < 3; ++r) pointToIndex_[3 * r + c] = idx[r] - zero[r];
  }
}

inline double PhantomProbe::at(const io::Vec3& p) const {
  io::Vec3 c{};
  for (int r = 0; r < 3; ++r)
    for (int k = 0; k < 3; ++k) c[r] += pointToIndex_[3 * r + k] * (p[k] - geometry_.origin[k]);
  for (int a = 0; a < 3; ++a) {
    // A hair of slack: this inverse is not bit-identical to ITK's.
    if (!(c[a] >= -0.5 - 1e-9 && c[a] < static_cast<double>(geometry_.size[a]) - 0.5 - 1e-9)) return outside_;
    c[a] = std::clamp(c[a], 0.0, static_cast<double>(geometry_.size[a] - 1));
  }
  return field_.at(c);
}

namespace detail {

template <class T>
typename itk::Image<T, 3>::Pointer toItk(const io::Volume& v) {
  using Image = itk::Image<T, 3>;
  auto image = Image::New();
  typename Image::RegionType region;
  typename Image::SpacingType spacing;
  typename Image::PointType origin;
  typename Image::DirectionType direction;
  const auto& g = v.geometry();
  for (int i = 0; i < 3; ++i) {
    region.SetSize(i, static_cast<itk::SizeValueType>(g.size[i]));
    spacing[i] = g.spacing[i];
    origin[i] = g.origin[i];
    for (int j = 0; j < 3; ++j) direction[i][j] = g.dir(i, j);
  }
  image->SetRegions(region);
  image->SetSpacing(spacing);
  image->SetOrigin(origin);
  image->SetDirection(direction);
  image->Allocate();
  std::memcpy(image->GetBufferPointer(), v.data(), v.byteSize());
  return image;
}

template <class T>
data::Patch fromItk(const typename itk::Image<T, 3>::Pointer& image) {
  data::Patch p;
  const auto size = image->GetLargestPossibleRegion().GetSize();
  for (int i = 0; i < 3; ++i) {
    p.geometry.size[i] = static_cast<int64_t>(size[i]);
    p.geometry.spacing[i] = image->GetSpacing()[i];
    p.geometry.origin[i] = image->GetOrigin()[i];
    for (int j = 0; j < 3; ++j) p.geometry.direction[3 * i + j] = image->GetDirection()[i][j];
  }
  // The buffer may start at a non-zero index; iterate it in memory order.
  at::Tensor t = torch::empty({p.geometry.size[2], p.geometry.size[1], p.geometry.size[0]}, torch::kFloat32);
  const T* src = image->GetBufferPointer();
  float* dst = t.data_ptr<float>();
  for (int64_t n = 0; n < t.numel(); ++n) dst[n] = static_cast<float>(src[n]);
  p.array = t;
  return p;
}

template <class T>
typename itk::Image<T, 3>::Pointer orient(const typename itk::Image<T, 3>::Pointer& image,
                                          itk::SpatialOrientation::ValidCoordinateOrientationFlags code) {
  auto f = itk::OrientImageFilter<itk::Image<T, 3>, itk::Image<T, 3>>::New();
  f->UseImageDirectionOn();
  f->SetDesiredCoordinateOrientation(code);
  f->SetInput(image);
  f->Update();
  return f->GetOutput();
}

template <class T>
data::Patch referenceTyped(const io::Volume& scan, const data::CropOptions& o, const io::Vec3& seed,
                           const std::optional<io::Index3>& negativeStart) {
  using Image = itk::Image<T, 3>;
  typename Image::Pointer image = toItk<T>(scan);
  if (o.resampleSpacing) {
    auto r = itk::ResampleImageFilter<Image, Image>::New();
    typename Image::SizeType size;
    typename Image::SpacingType spacing;
    for (int a = 0; a < 3; ++a) {
      spacing[a] = (*o.resampleSpacing)[a];
      size[a] = static_cast<itk::SizeValueType>(std::nearbyint(static_cast<double>(scan.geometry().size[a]) *
                                                               scan.geometry().spacing[a] / spacing[a]));
    }
    r->SetInput(image);
    r->SetSize(size);
    r->SetOutputSpacing(spacing);
    r->SetOutputOrigin(image->GetOrigin());
    r->SetOutputDirection(image->GetDirection());
    r->SetDefaultPixelValue(static_cast<T>(o.outsideValue));
    r->Update();
    image = r->GetOutput();
  }
  typename Image::PointType point;
  for (int a = 0; a < 3; ++a) point[a] = seed[a];
  itk::ContinuousIndex<double, 3> cidx;
  image->TransformPhysicalPointToContinuousIndex(point, cidx);
  if (o.orient)
    image = orient<T>(image, itk::SpatialOrientation::ITK_COORDINATE_ORIENTATION_RAS);  // DICOM LPI
  const auto region = image->GetLargestPossibleRegion();
  typename Image::RegionType roi;
  for (int a = 0; a < 3; ++a) {
    const int64_t n = static_cast<int64_t>(region.GetSize(a)), first = region.GetIndex(a);
    int64_t lo, hi;
    if (negativeStart) {
      lo = (*negativeStart)[a];
      hi = lo + std::min<int64_t>(2 * o.radius, n);
    } else {
      const int64_t c = static_cast<int64_t>(std::trunc(cidx[a]));
      lo = std::max<int64_t>(c - o.radius, 0);
      hi = std::min<int64_t>(c + o.radius, n);
    }
    roi.SetIndex(a, first + lo);
    roi.SetSize(a, static_cast<itk::SizeValueType>(hi - lo));
  }
  auto crop = itk::RegionOfInterestImageFilter<Image, Image>::New();
  crop->SetInput(image);
  crop->SetRegionOfInterest(roi);
  crop->Update();
  typename Image::Pointer patch = crop->GetOutput();
  if (o.orientPatch)
    patch = orient<T>(patch, itk::SpatialOrientation::ITK_COORDINATE_ORIENTATION_RAI);  // DICOM LPS
  return fromItk<T>(patch);
}

}  // namespace detail

inline data::Patch itkReferencePatch(const io::Volume& scan, const data::CropOptions& options,
                                     const io::Vec3& seed, const std::optional<io::Index3>& negativeStart) {
  switch (scan.pixelType()) {
    case io::PixelType::kInt16:
      return detail::referenceTyped<int16_t>(scan, options, seed, negativeStart);
    case io::PixelType::kFloat32:
      return detail::referenceTyped<float>(scan, options, seed, negativeStart);
    case io::PixelType::kUInt8:
      return detail::referenceTyped<uint8_t>(scan, options, seed, negativeStart);
    default:
      ADD_FAILURE() << "itkReferencePatch: unsupported pixel type";
      return {};
  }
}

inline double maxAbsDiff(const at::Tensor& a, const at::Tensor& b) {
  if (a.sizes() != b.sizes()) {
    ADD_FAILURE() << "shapes differ: " << a.sizes() << " vs " << b.sizes();
    return std::numeric_limits<double>::infinity();
  }
  if (a.numel() == 0) return 0;
  return (a.to(torch::kFloat64) - b.to(torch::kFloat64)).abs().max().item<double>();
}

}  // namespace fmcib::test
