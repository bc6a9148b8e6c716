#pragma once
/// Voxel-grid maps: reorienting (SimpleITK's DICOMOrient) and cropping only permute, flip and shift
/// voxel indices, so each is a signed axis permutation plus an offset. Composing them tells, for
/// every voxel of a final patch, which voxel of the (resampled) scan it comes from — that is what
/// lets the region-only path resample just the voxels a patch needs.
#include <array>
#include <string>

#include "fmcib/io/volume.hpp"

namespace fmcib::data {

/// out index u → in index m, with m[axis[k]] = offset[axis[k]] + sign[k] · u[k].
struct GridMap {
  std::array<int, 3> axis{0, 1, 2};
  std::array<int, 3> sign{1, 1, 1};
  /// The input index of output voxel (0, 0, 0).
  io::Index3 offset{0, 0, 0};

  static GridMap identity() { return {}; }
  /// Cropping: output voxel u is input voxel start + u.
  static GridMap crop(const io::Index3& start);

  io::Index3 apply(const io::Index3& u) const;
  /// `this` maps grid B → A and `next` maps C → B; the result maps C → A.
  GridMap then(const GridMap& next) const;
  /// Size of the output grid for an input grid of `inSize` (reorientation permutes sizes).
  io::Index3 permutedSize(const io::Index3& inSize) const;
  /// Geometry of the output grid (every voxel keeps its physical point).
  io::ImageGeometry outputGeometry(const io::ImageGeometry& in, const io::Index3& outSize) const;
  /// Input-index bounding box of an output box [0, outSize): start and size.
  void inputBox(const io::Index3& outSize, io::Index3& start, io::Index3& size) const;
  bool isIdentity() const;
};

/// The DICOM orientation code of a direction matrix, SimpleITK's convention: each letter names where
/// an index axis points ("LPS" = identity direction, "LPI" = diag(1, 1, -1), "RAS" = diag(-1, -1, 1)).
/// Oblique matrices take the closest axes, assigned greedily from the largest |cosine| (as ITK's
/// DICOMOrientation does).
std::string orientationCode(const io::ImageGeometry& geometry);

/// The map that reorients a grid to `code` (three letters from L/R, P/A, S/I, one per axis), as
/// `sitk.DICOMOrient(image, code)`. Throws RuntimeError for a malformed code.
GridMap orientationMap(const io::ImageGeometry& geometry, const std::string& code);

/// Copies `in` through `map` into a new volume of `outSize` voxels with the mapped geometry.
io::Volume applyGridMap(const io::Volume& in, const GridMap& map, const io::Index3& outSize);

}  // namespace fmcib::data
