#include "fmcib/transforms/meta_spatial.hpp"

#include <torch/torch.h>

#include <cctype>
#include <cmath>
#include <limits>

#include "fmcib/config/error.hpp"

namespace fmcib::transforms {

namespace {

constexpr double kAffineTol = 1e-3;  // MONAI's AFFINE_TOL

double el(const Affine& a, int i, int j) {
  return a[4 * i + j];
}

/// MONAI's affine_to_spacing: the norms of the 3×3 part's columns.
std::array<double, 3> columnNorms(const Affine& a) {
  std::array<double, 3> n{};
  for (int j = 0; j < 3; ++j)
    n[j] = std::sqrt(el(a, 0, j) * el(a, 0, j) + el(a, 1, j) * el(a, 1, j) + el(a, 2, j) * el(a, 2, j));
  return n;
}

/// MONAI's zoom_affine: a new 3D affine with voxel size `scale` (≤ 0 keeps the input's), diagonal
/// or keeping the input's rotation (Cholesky factor of RZSᵀ·RZS).
Affine zoomAffine(const Affine& affine, std::array<double, 3> scale, bool diagonal) {
  const std::array<double, 3> norm = columnNorms(affine);
  for (int j = 0; j < 3; ++j) {
    if (!(scale[j] > 0)) scale[j] = norm[j];
    if (scale[j] == 0) scale[j] = 1.0;
  }
  Affine out = identityAffine();
  if (diagonal) {
    for (int j = 0; j < 3; ++j) out[5 * j] = scale[j];
    return out;
  }
  double g[3][3];  // RZSᵀ·RZS
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 3; ++j)
      g[i][j] = el(affine, 0, i) * el(affine, 0, j) + el(affine, 1, i) * el(affine, 1, j) +
                el(affine, 2, i) * el(affine, 2, j);
  double l[3][3] = {};  // lower Cholesky factor; zs = lᵀ
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j <= i; ++j) {
      double s = g[i][j];
      for (int k = 0; k < j; ++k) s -= l[i][k] * l[j][k];
      if (i == j) {
        if (!(s > 0)) throw RuntimeError("Spacing: the image affine is singular: " + describeAffine(affine));
        l[i][i] = std::sqrt(s);
      } else {
        l[i][j] = s / l[j][j];
      }
    }
  // rotation = RZS · zs⁻¹ (zs upper triangular), then rotation · diag(scale).
  Affine zs = identityAffine(), rzs = identityAffine();
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 3; ++j) {
      zs[4 * i + j] = l[j][i];
      rzs[4 * i + j] = el(affine, i, j);
    }
  const Affine rotation = matmul(rzs, inverse(zs));
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 3; ++j) out[4 * i + j] = rotation[4 * i + j] * scale[j];  // sign(diag(zs)) = +1
  return out;
}

}  // namespace

SpacingGeometry spacingGeometry(const Affine& src, const Shape3& shape, const SpacingOptions& o) {
  if (o.pixdim.empty()) throw ConfigError("pixdim: at least one spacing is needed");
  std::array<double, 3> pixdim{};
  for (size_t j = 0; j < 3; ++j) pixdim[j] = o.pixdim[std::min(j, o.pixdim.size() - 1)];
  SpacingGeometry g;
  g.dst = zoomAffine(src, pixdim, o.diagonal);

  // compute_shape_offset: the input grid's corners in the output grid.
  const Affine toOut = solve(g.dst, src);
  std::array<Point3, 8> cornersOut{}, cornersWorld{};
  for (int c = 0; c < 8; ++c) {
    Point3 p{};
    for (int j = 0; j < 3; ++j) {
      const bool high = (c >> (2 - j)) & 1;  // numpy meshgrid(..., indexing="ij") order
      const double n = static_cast<double>(shape[j]);
      p[j] = o.scaleExtent ? (high ? n - 0.5 : -0.5) : (high ? n - 1.0 : 0.0);
    }
    cornersOut[c] = applyAffine(toOut, p);
    cornersWorld[c] = applyAffine(src, p);
  }
  std::array<double, 3> outShape{};
  for (int j = 0; j < 3; ++j) {
    double lo = cornersOut[0][j], hi = cornersOut[0][j];
    for (const auto& c : cornersOut) lo = std::min(lo, c[j]), hi = std::max(hi, c[j]);
    outShape[j] = std::nearbyint(o.scaleExtent ? hi - lo : hi - lo + 1.0);  // np.round: half to even
    g.shape[j] = std::max<int64_t>(1, static_cast<int64_t>(outShape[j]));
  }
  // The offset: a corner that is smallest along every output axis, else centre alignment.
  bool found = false;
  for (int i = 0; i < 8 && !found; ++i) {
    bool smallest = true;
    for (int j = 0; j < 3 && smallest; ++j) {
      double m = 0;
      for (const auto& c : cornersOut) m = std::min(m, c[j] - cornersOut[i][j]);
      smallest = std::abs(m) <= 1e-8;  // np.allclose(min_corner, 0.0, rtol=AFFINE_TOL)
    }
    if (smallest) {
      for (int j = 0; j < 3; ++j) g.dst[4 * j + 3] = cornersWorld[i][j];
      found = true;
    }
  }
  if (!found)
    for (int r = 0; r < 3; ++r) {
      double in = 0, out = 0;
      for (int j = 0; j < 3; ++j) {
        in += el(src, r, j) * (static_cast<double>(shape[j]) / 2.0);
        out += el(g.dst, r, j) * (outShape[j] / 2.0);
      }
      g.dst[4 * r + 3] = in + el(src, r, 3) - out;
    }
  g.xform = solve(src, g.dst);
  g.sampling = g.xform;
  if (o.alignCorners) {
    // MONAI 1.4 normalizes theta as if align_corners were false and samples with it true.
    Affine pd = identityAffine(), qs = identityAffine();
    for (int j = 0; j < 3; ++j) {
      const double out = static_cast<double>(g.shape[j]), in = static_cast<double>(shape[j]);
      // affine_grid puts a single output voxel at 0, which the normalization maps to 0 as well.
      pd[5 * j] = out > 1 ? out / (out - 1) : 0.0;
      pd[4 * j + 3] = out > 1 ? -0.5 : 0.0;
      qs[5 * j] = (in - 1) / in;
      qs[4 * j + 3] = (in - 1) / (2 * in);
    }
    g.sampling = matmul(qs, matmul(g.xform, pd));
  }
  const bool sameShape = g.shape == shape;
  g.unchanged =
      sameShape && (allClose(src, g.dst, kAffineTol) || allClose(g.xform, identityAffine(), kAffineTol));
  return g;
}

MetaImage spacing(const MetaImage& image, const SpacingOptions& options) {
  if (!image.hasChannel())
    throw RuntimeError("Spacing needs a channel-first image (EnsureChannelFirstd before Spacingd)");
  const SpacingGeometry g = spacingGeometry(image.affine(), image.spatialShape(), options);
  if (g.unchanged) return image;
  return image.resample(g.sampling, g.xform, g.shape, options.mode, options.padding);
}

Orientation ioOrientation(const Affine& affine) {
  double r[3][3];
  const std::array<double, 3> zooms = columnNorms(affine);
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 3; ++j) r[i][j] = el(affine, i, j) / (zooms[j] == 0 ? 1.0 : zooms[j]);
  Orientation out{};
  for (int in = 0; in < 3; ++in) {
    int best = -1;
    double bestAbs = 0;
    for (int o = 0; o < 3; ++o)
      if (std::abs(r[o][in]) > bestAbs) best = o, bestAbs = std::abs(r[o][in]);
    if (best < 0)
      throw RuntimeError("Orientation: axis " + std::to_string(in) +
                         " of the affine is zero: " + describeAffine(affine));
    out[in] = {best, r[best][in] < 0 ? -1 : 1};
    for (int j = 0; j < 3; ++j) r[best][j] = 0;  // each output axis is taken once
  }
  return out;
}

Orientation axcodesToOrientation(const std::string& axcodes) {
  static const char* kLabels[3] = {"LR", "PA", "IS"};
  if (axcodes.size() != 3)
    throw ConfigError("axcodes: expected 3 letters (e.g. \"LPS\"), got '" + axcodes + "'");
  Orientation out{};
  std::array<bool, 3> used{};
  for (int i = 0; i < 3; ++i) {
    const char c =
        static_cast<char>(std::toupper(static_cast<unsigned char>(axcodes[static_cast<size_t>(i)])));
    int axis = -1, sign = 0;
    for (int a = 0; a < 3; ++a) {
      if (c == kLabels[a][0]) axis = a, sign = -1;
      if (c == kLabels[a][1]) axis = a, sign = 1;
    }
    if (axis < 0 || used[static_cast<size_t>(axis)])
      throw ConfigError("axcodes: '" + axcodes + "' must name each of L/R, P/A, I/S once");
    used[static_cast<size_t>(axis)] = true;
    out[i] = {axis, sign};
  }
  return out;
}

MetaImage orientation(const MetaImage& image, const std::string& axcodes) {
  if (!image.hasChannel())
    throw RuntimeError("Orientation needs a channel-first image (EnsureChannelFirstd before Orientationd)");
  const Orientation src = ioOrientation(image.affine());
  Orientation transform = src;  // as_closest_canonical
  if (!axcodes.empty()) {
    const Orientation dst = axcodesToOrientation(axcodes);
    // nibabel's ornt_transform: input axis a goes to the output axis whose direction it runs along.
    for (int e = 0; e < 3; ++e)
      for (int a = 0; a < 3; ++a)
        if (src[a].first == dst[e].first) transform[a] = {e, src[a].second == dst[e].second ? 1 : -1};
  }
  const Shape3 in = image.spatialShape();
  IndexMap map;
  map.m.fill(0);
  Shape3 out{};
  bool identity = true;
  for (int a = 0; a < 3; ++a) {
    const auto [j, flip] = transform[a];
    map.m[3 * a + j] = flip;
    map.t[a] = flip < 0 ? in[a] - 1 : 0;
    out[j] = in[a];
    identity = identity && j == a && flip > 0;
  }
  return identity ? image : image.remap(map, out);
}

MetaImage seedBasedPatchCrop(const MetaImage& image, const Point3& center, const std::array<int64_t, 3>& roi,
                             bool globalCoordinates) {
  if (!image.hasChannel()) throw RuntimeError("SeedBasedPatchCrop needs a channel-first image (C, H, W, D)");
  const Point3 voxel = globalCoordinates ? applyAffine(inverse(image.affine()), center) : center;
  const Shape3 shape = image.spatialShape();
  std::array<int64_t, 3> start{}, size{};
  for (int j = 0; j < 3; ++j) {
    if (!std::isfinite(voxel[j]) || std::abs(voxel[j]) > 1e15)
      throw InputError("the seed maps to voxel " + std::to_string(voxel[j]) + " on axis " +
                       std::to_string(j));
    const auto c = static_cast<int64_t>(voxel[j]);  // Python int(): toward zero
    const int64_t half = roi[j] / 2;
    const int64_t lo = std::max<int64_t>(c - half, 0), hi = std::min<int64_t>(c + half, shape[j]);
    if (lo >= hi)
      throw InputError("the crop range is empty: the seed is at voxel " + std::to_string(c) + " on axis " +
                       std::to_string(j) + " (continuous " + std::to_string(voxel[j]) + "), but the " +
                       "resampled image has " + std::to_string(shape[j]) + " voxels there (crop [" +
                       std::to_string(c - half) + ", " + std::to_string(c + half) + "))");
    start[j] = lo;
    size[j] = hi - lo;
  }
  return image.remap(IndexMap::shift(start), size);
}

}  // namespace fmcib::transforms
