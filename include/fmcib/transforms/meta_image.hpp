#pragma once
/// MONAI's MetaTensor for one scalar scan, as the dictionary transforms (dictionary.hpp) hand it
/// on: the voxels of an image and its affine (voxel index → RAS mm, the convention of MONAI's
/// ITKReader and of nibabel), with spatial steps kept pending.
///
/// Pending: index maps (reorientation, flips, crops — signed axis permutations plus shifts), at
/// most one resampling (linear or nearest, zero or border padding) and pointwise intensity
/// transforms before and after it are recorded, not applied; tensor() computes the voxels of the
/// final grid only, reading only the source voxels they need. Each output voxel of a resampling
/// depends on its own index alone (torch's affine_grid + grid_sample, which MONAI's Spacing runs in
/// float64), and index maps and pointwise transforms commute with taking a sub-box, so this gives
/// the voxels that applying every step to the whole image gives. That reference path is what an
/// `eager` image takes (every step materializes its whole grid); the tests compare the two.
#include <ATen/Tensor.h>

#include <array>
#include <cstdint>
#include <memory>
#include <vector>

#include "fmcib/transforms/affine4.hpp"
#include "fmcib/transforms/transform.hpp"

namespace fmcib::transforms {

using Shape3 = std::array<int64_t, 3>;

/// in = M · out + t, M a signed permutation (row-major 3×3 of 0/±1).
struct IndexMap {
  std::array<int64_t, 9> m{1, 0, 0, 0, 1, 0, 0, 0, 1};
  std::array<int64_t, 3> t{0, 0, 0};

  static IndexMap shift(const std::array<int64_t, 3>& start);
  /// `this` maps grid B → A and `next` maps C → B; the result maps C → A.
  IndexMap then(const IndexMap& next) const;
  /// As a homogeneous float64 matrix (for affines).
  Affine toAffine() const;
};

enum class InterpMode { kLinear, kNearest };
enum class PaddingMode { kZeros, kBorder };

class MetaImage {
 public:
  MetaImage() = default;
  /// A scalar scan: `voxels` indexed [i][j][k] (MONAI's array order = ITK's index order), of any
  /// real or integer dtype, read as float32 (MONAI LoadImage's dtype); not copied; no channel axis.
  static MetaImage fromVoxels(at::Tensor voxels, const Affine& affine, bool eager = false);
  /// An image whose voxels are known: `channelFirst` says whether axis 0 is a channel axis.
  static MetaImage fromTensor(at::Tensor tensor, const Affine& affine, bool channelFirst, bool eager = false);

  bool defined() const { return state_ != nullptr; }
  const Affine& affine() const;
  /// The spatial shape: the last three axes.
  Shape3 spatialShape() const;
  bool hasChannel() const;
  /// True while voxels are still to be computed.
  bool pending() const;
  bool eager() const;

  /// The voxels (computed now when pending): float32 [1, X, Y, Z] with a channel axis, [X, Y, Z]
  /// without; a tensor from fromTensor as it was given.
  at::Tensor tensor() const;
  /// The same image with its voxels computed.
  MetaImage materialized() const;

  /// A channel axis in front (no-op when there is one).
  MetaImage withChannel() const;
  /// Known voxels and affine replacing these (e.g. after Transpose); keeps channel flag and eagerness.
  MetaImage withTensor(at::Tensor tensor, const Affine& affine) const;
  /// A transform whose value at a voxel depends only on that voxel's value (NormalizeIntensity with
  /// given subtrahend and divisor, ThresholdIntensity, ...): stays pending. It is called on float32
  /// [1, X, Y, Z] boxes.
  MetaImage pointwise(TransformPtr transform) const;
  /// Output voxel u of a grid of `shape` is voxel map(u) of this one (all inside); affine ← affine ·
  /// map.
  MetaImage remap(const IndexMap& map, const Shape3& shape) const;
  /// Output voxel p of a grid of `shape` takes this image's value at continuous index sampling · p
  /// (computed in float64, stored as float32); affine ← affine · affineXform (the transform MONAI
  /// records, which its grid_sample may not sample exactly: see meta_spatial.hpp). A second
  /// resampling first computes the voxels of the first.
  MetaImage resample(const Affine& sampling, const Affine& affineXform, const Shape3& shape, InterpMode mode,
                     PaddingMode padding) const;

  /// The representation (meta_image.cpp); opaque here.
  struct State;

 private:
  explicit MetaImage(std::shared_ptr<const State> state) : state_(std::move(state)) {}
  static MetaImage finish(std::shared_ptr<State> state);
  const State& state() const;
  std::shared_ptr<const State> state_;
};

}  // namespace fmcib::transforms
