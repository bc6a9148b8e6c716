#include "fmcib/data/resample.hpp"

#include <itkImage.h>

#include <cmath>
#include <limits>

#include "fmcib/config/error.hpp"

namespace fmcib::data {

io::ImageGeometry resampledGeometry(const io::ImageGeometry& source, const io::Vec3& newSpacing) {
  io::ImageGeometry g = source;
  for (int a = 0; a < 3; ++a) {
    if (!(newSpacing[a] > 0) || !std::isfinite(newSpacing[a]))
      throw ConfigError("resample spacing must be positive, got " + std::to_string(newSpacing[a]));
    g.spacing[a] = newSpacing[a];
    // Python's round() rounds half to even, as nearbyint does in the default rounding mode.
    g.size[a] = static_cast<int64_t>(
        std::nearbyint(static_cast<double>(source.size[a]) * source.spacing[a] / newSpacing[a]));
  }
  return g;
}

namespace {

// An unallocated ITK image carrying a geometry: its index↔point transforms are ITK's own.
itk::Image<unsigned char, 3>::Pointer geometryImage(const io::ImageGeometry& g) {
  using Image = itk::Image<unsigned char, 3>;
  auto image = Image::New();
  Image::SpacingType spacing;
  Image::PointType origin;
  Image::DirectionType direction;
  Image::RegionType region;
  for (int i = 0; i < 3; ++i) {
    spacing[i] = g.spacing[i];
    origin[i] = g.origin[i];
    region.SetSize(i, static_cast<itk::SizeValueType>(g.size[i]));
    for (int j = 0; j < 3; ++j) direction[i][j] = g.dir(i, j);
  }
  image->SetRegions(region);
  image->SetSpacing(spacing);
  image->SetOrigin(origin);
  image->SetDirection(direction);
  return image;
}

template <class T>
T castWithBounds(double v) {
  constexpr double lo = static_cast<double>(std::numeric_limits<T>::lowest());
  constexpr double hi = static_cast<double>(std::numeric_limits<T>::max());
  if (v <= lo) return std::numeric_limits<T>::lowest();
  if (v >= hi) return std::numeric_limits<T>::max();
  return static_cast<T>(v);
}

// One axis of itk::LinearInterpolateImageFunction: lower neighbour clamped to 0, no upper one past
// the end, and no weight when the distance is not positive.
struct Axis {
  int64_t lo, hi;
  double w;
};
inline Axis axisAt(double c, int64_t n) {
  int64_t base = static_cast<int64_t>(std::floor(c));
  if (base < 0) base = 0;
  const double d = c - static_cast<double>(base);
  const bool upper = base + 1 <= n - 1;
  return {base, upper ? base + 1 : base, (d > 0 && upper) ? d : 0.0};
}

template <class T>
void resampleTyped(const io::Volume& source, const io::ImageGeometry& target, const io::Index3& start,
                   const io::Index3& size, double defaultValue, io::Volume& out) {
  const io::ImageGeometry& s = source.geometry();
  const auto in = geometryImage(s), grid = geometryImage(target);
  const T* src = source.dataAs<T>();
  T* dst = out.dataAs<T>();
  const T background = castWithBounds<T>(defaultValue);
  const int64_t sx = s.size[0], sxy = s.size[0] * s.size[1];
  const double nx = static_cast<double>(target.size[0]);
  double upper[3];
  for (int a = 0; a < 3; ++a) upper[a] = static_cast<double>(s.size[a]) - 0.5;
  using Image = itk::Image<unsigned char, 3>;
  for (int64_t z = 0; z < size[2]; ++z)
    for (int64_t y = 0; y < size[1]; ++y) {
      // As itk::ResampleImageFilter::LinearThreadedGenerateData: map the ends of the whole output
      // scanline to input indices and interpolate between them, so each voxel's index is the same
      // whatever region is resampled.
      Image::IndexType index;
      index[0] = 0;
      index[1] = start[1] + y;
      index[2] = start[2] + z;
      Image::PointType point;
      itk::ContinuousIndex<double, 3> first, last;
      grid->TransformIndexToPhysicalPoint(index, point);
      in->TransformPhysicalPointToContinuousIndex(point, first);
      index[0] = target.size[0];
      grid->TransformIndexToPhysicalPoint(index, point);
      in->TransformPhysicalPointToContinuousIndex(point, last);
      for (int64_t x = 0; x < size[0]; ++x) {
        const double alpha = static_cast<double>(start[0] + x) / nx;
        double c[3];
        bool inside = true;
        for (int a = 0; a < 3; ++a) {
          c[a] = first[a] + alpha * (last[a] - first[a]);
          inside = inside && c[a] >= -0.5 && c[a] < upper[a];
        }
        if (!inside) {
          *dst++ = background;
          continue;
        }
        const Axis ax = axisAt(c[0], s.size[0]), ay = axisAt(c[1], s.size[1]), az = axisAt(c[2], s.size[2]);
        const T* r00 = src + az.lo * sxy + ay.lo * sx;
        const T* r10 = src + az.lo * sxy + ay.hi * sx;
        const T* r01 = src + az.hi * sxy + ay.lo * sx;
        const T* r11 = src + az.hi * sxy + ay.hi * sx;
        // Weights along x, then y, then z, in itk::LinearInterpolateImageFunction's arithmetic; a
        // zero weight reproduces its branches that skip an axis.
        const double v000 = r00[ax.lo], v100 = r00[ax.hi], v010 = r10[ax.lo], v110 = r10[ax.hi];
        const double v001 = r01[ax.lo], v101 = r01[ax.hi], v011 = r11[ax.lo], v111 = r11[ax.hi];
        const double vx00 = v000 + (v100 - v000) * ax.w;
        const double vx10 = v010 + (v110 - v010) * ax.w;
        const double vx01 = v001 + (v101 - v001) * ax.w;
        const double vx11 = v011 + (v111 - v011) * ax.w;
        const double vxy0 = vx00 + (vx10 - vx00) * ay.w;
        const double vxy1 = vx01 + (vx11 - vx01) * ay.w;
        *dst++ = castWithBounds<T>(vxy0 + (vxy1 - vxy0) * az.w);
      }
    }
}

}  // namespace

io::Volume resampleBox(const io::Volume& source, const io::ImageGeometry& target, const io::Index3& start,
                       const io::Index3& size, double defaultValue) {
  io::ImageGeometry box = target;
  box.size = size;
  box.origin = target.indexToPhysical(
      {static_cast<double>(start[0]), static_cast<double>(start[1]), static_cast<double>(start[2])});
  io::Volume out(source.pixelType(), box);
  if (out.numVoxels() == 0) return out;
  for (int a = 0; a < 3; ++a)
    if (source.geometry().size[a] <= 0) throw InputError("cannot resample an empty image");
  io::dispatchPixelType(source.pixelType(), [&](auto tag) {
    resampleTyped<decltype(tag)>(source, target, start, size, defaultValue, out);
  });
  return out;
}

io::Volume resampleToSpacing(const io::Volume& source, const io::Vec3& newSpacing, double defaultValue) {
  const io::ImageGeometry target = resampledGeometry(source.geometry(), newSpacing);
  return resampleBox(source, target, {0, 0, 0}, target.size, defaultValue);
}

}  // namespace fmcib::data
