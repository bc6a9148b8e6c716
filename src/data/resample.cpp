#include "fmcib/data/resample.hpp"

#include <itkImage.h>

#include <algorithm>
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

// `window` holds the voxels [w, w + window size) of a scan of geometry `s` (the whole scan when w = 0
// and the sizes match); indices are computed on the whole scan's grid, so the voxels do not depend
// on the window.
template <class T>
void resampleTyped(const io::Volume& window, const io::Index3& w, const io::ImageGeometry& s,
                   const io::ImageGeometry& target, const io::Index3& start, const io::Index3& size,
                   double defaultValue, io::Volume& out) {
  const auto in = geometryImage(s), grid = geometryImage(target);
  const io::Index3& wn = window.geometry().size;
  const bool partial = wn != s.size;
  const T* src = window.dataAs<T>();
  T* dst = out.dataAs<T>();
  const T background = castWithBounds<T>(defaultValue);
  const int64_t sx = wn[0], sxy = wn[0] * wn[1];
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
        if (partial && (ax.lo < w[0] || ax.hi >= w[0] + wn[0] || ay.lo < w[1] || ay.hi >= w[1] + wn[1] ||
                        az.lo < w[2] || az.hi >= w[2] + wn[2]))
          throw RuntimeError("resampling reads voxel (" + std::to_string(ax.lo) + ", " +
                             std::to_string(ay.lo) + ", " + std::to_string(az.lo) +
                             ") outside the window read from the scan");
        const int64_t x0 = ax.lo - w[0], x1 = ax.hi - w[0];
        const int64_t y0 = (ay.lo - w[1]) * sx, y1 = (ay.hi - w[1]) * sx;
        const int64_t z0 = (az.lo - w[2]) * sxy, z1 = (az.hi - w[2]) * sxy;
        const T* r00 = src + z0 + y0;
        const T* r10 = src + z0 + y1;
        const T* r01 = src + z1 + y0;
        const T* r11 = src + z1 + y1;
        // Weights along x, then y, then z, in itk::LinearInterpolateImageFunction's arithmetic; a
        // zero weight reproduces its branches that skip an axis.
        const double v000 = r00[x0], v100 = r00[x1], v010 = r10[x0], v110 = r10[x1];
        const double v001 = r01[x0], v101 = r01[x1], v011 = r11[x0], v111 = r11[x1];
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

io::Volume resampleBoxFromWindow(const io::Volume& window, const io::Index3& windowStart,
                                 const io::ImageGeometry& source, const io::ImageGeometry& target,
                                 const io::Index3& start, const io::Index3& size, double defaultValue) {
  io::ImageGeometry box = target;
  box.size = size;
  box.origin = target.indexToPhysical(
      {static_cast<double>(start[0]), static_cast<double>(start[1]), static_cast<double>(start[2])});
  io::Volume out(window.pixelType(), box);
  if (out.numVoxels() == 0) return out;
  for (int a = 0; a < 3; ++a) {
    if (source.size[a] <= 0) throw InputError("cannot resample an empty image");
    if (windowStart[a] < 0 || window.geometry().size[a] <= 0 ||
        windowStart[a] + window.geometry().size[a] > source.size[a])
      throw RuntimeError("resampling window does not lie inside the scan");
  }
  io::dispatchPixelType(window.pixelType(), [&](auto tag) {
    resampleTyped<decltype(tag)>(window, windowStart, source, target, start, size, defaultValue, out);
  });
  return out;
}

io::Volume resampleBox(const io::Volume& source, const io::ImageGeometry& target, const io::Index3& start,
                       const io::Index3& size, double defaultValue) {
  return resampleBoxFromWindow(source, {0, 0, 0}, source.geometry(), target, start, size, defaultValue);
}

void resampleSourceBox(const io::ImageGeometry& source, const io::ImageGeometry& target,
                       const io::Index3& start, const io::Index3& size, io::Index3& sourceStart,
                       io::Index3& sourceSize) {
  // The continuous source index is affine in the output index, so the corners of the output box
  // bound it; one voxel of margin on each side absorbs rounding, one more is the upper neighbour.
  io::Vec3 lo{}, hi{};
  lo.fill(std::numeric_limits<double>::infinity());
  hi.fill(-std::numeric_limits<double>::infinity());
  for (int corner = 0; corner < 8; ++corner) {
    io::Vec3 u{};
    for (int a = 0; a < 3; ++a)
      u[a] = static_cast<double>(start[a] + ((corner >> a) & 1 ? std::max<int64_t>(size[a] - 1, 0) : 0));
    const io::Vec3 c = source.physicalToContinuousIndex(target.indexToPhysical(u));
    for (int a = 0; a < 3; ++a) {
      lo[a] = std::min(lo[a], c[a]);
      hi[a] = std::max(hi[a], c[a]);
    }
  }
  for (int a = 0; a < 3; ++a) {
    const int64_t n = source.size[a];
    const int64_t first = std::clamp<int64_t>(static_cast<int64_t>(std::floor(lo[a])) - 1, 0, n - 1);
    const int64_t end = std::clamp<int64_t>(static_cast<int64_t>(std::floor(hi[a])) + 3, first + 1, n);
    sourceStart[a] = first;
    sourceSize[a] = end - first;
  }
}

io::Volume resampleToSpacing(const io::Volume& source, const io::Vec3& newSpacing, double defaultValue) {
  const io::ImageGeometry target = resampledGeometry(source.geometry(), newSpacing);
  return resampleBox(source, target, {0, 0, 0}, target.size, defaultValue);
}

}  // namespace fmcib::data
