#pragma once
/// MONAI 1.4's spatial transforms on a MetaImage (meta_image.hpp), with MONAI's array and affine
/// conventions: Spacing, Orientation, and fmcib's SeedBasedPatchCrop (fmcib.preprocessing). The
/// geometry is computed as MONAI computes it (zoom_affine, compute_shape_offset, nibabel's
/// io_orientation / ornt_transform / inv_ornt_aff), so patches land on the same voxels.
#include <array>
#include <string>
#include <utility>
#include <vector>

#include "fmcib/transforms/meta_image.hpp"

namespace fmcib::transforms {

/// monai.transforms.Spacing arguments (defaults are MONAI's).
struct SpacingOptions {
  /// Output voxel size per axis (mm); one value is used for every axis, fewer than 3 repeat the
  /// last; a value ≤ 0 keeps that axis' spacing.
  std::vector<double> pixdim{1.0};
  /// true: the output affine is diagonal (axes along RAS); false: it keeps the input's rotation.
  bool diagonal = false;
  InterpMode mode = InterpMode::kLinear;
  PaddingMode padding = PaddingMode::kBorder;
  /// As MONAI 1.4 does it: its AffineTransform normalizes the transform with align_corners=False
  /// conventions and samples with grid_sample(align_corners) — so with true, output voxel p samples
  /// the input at Qs · xform · Pd · p rather than xform · p, where per output axis
  /// Pd: p ↦ p·O/(O−1) − ½ and per input axis Qs: q ↦ q·(S−1)/S + (S−1)/(2S) (a stretch of up to a
  /// voxel across the grid; fmcib's get_features fixture matches it bit for bit). The affine MONAI
  /// records stays src · xform.
  bool alignCorners = false;
  /// Output extent from voxel edges (±0.5) instead of centres.
  bool scaleExtent = false;
};

/// What Spacing does to a grid: the output affine MONAI builds (zoom_affine + compute_shape_offset),
/// the output shape, xform = src⁻¹ · dst, and whether MONAI leaves the image as it is (affine and
/// shape within 1e-3, AFFINE_TOL).
struct SpacingGeometry {
  Affine dst;
  Shape3 shape{0, 0, 0};
  Affine xform;
  /// Where output voxels sample the input (xform, or MONAI's align_corners=True variant).
  Affine sampling;
  bool unchanged = false;
};
SpacingGeometry spacingGeometry(const Affine& src, const Shape3& shape, const SpacingOptions& options);
/// Spacing on a channel-first image (RuntimeError without a channel axis).
MetaImage spacing(const MetaImage& image, const SpacingOptions& options);

/// nibabel's orientation array: per input axis, the output (RAS) axis it runs along and ±1.
using Orientation = std::array<std::pair<int, int>, 3>;
/// nibabel.io_orientation of an affine's 3×3 part (columns normalized; the polar decomposition
/// nibabel runs is the identity for the orthonormal directions ITK gives).
Orientation ioOrientation(const Affine& affine);
/// nibabel.orientations.axcodes2ornt with MONAI's labels (("L","R"), ("P","A"), ("I","S")): "LPS"
/// means axis 0 runs towards L, axis 1 towards P, axis 2 towards S. ConfigError for a bad code.
Orientation axcodesToOrientation(const std::string& axcodes);
/// Orientation(axcodes) on a channel-first image; `axcodes` empty = as_closest_canonical (RAS).
MetaImage orientation(const MetaImage& image, const std::string& axcodes);

/// fmcib.preprocessing.SeedBasedPatchCrop: `center` (RAS mm when `globalCoordinates`, else voxel
/// indices) → voxel int(affine⁻¹ · center) (truncated toward zero), crop [c − roi // 2, c + roi // 2)
/// per axis clamped to the image. InputError when a range is empty (the seed is too far outside),
/// naming the axis, voxel and image size.
MetaImage seedBasedPatchCrop(const MetaImage& image, const Point3& center, const std::array<int64_t, 3>& roi,
                             bool globalCoordinates);

}  // namespace fmcib::transforms
