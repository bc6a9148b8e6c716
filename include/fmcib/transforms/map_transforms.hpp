#pragma once
/// The dictionary transforms of fmcib's get_features preprocessing (fmcib.preprocessing
/// .get_transforms) and their neighbours, with MONAI 1.4's names and arguments:
/// EnsureChannelFirstd, NormalizeIntensityd, ScaleIntensityRanged, ThresholdIntensityd, Spacingd,
/// Orientationd, fmcib.preprocessing.SeedBasedPatchCropd, Transposed, SpatialPadd (SelectItemsd is
/// in dictionary.hpp; LoadImaged, which reads files, in the data area). The array work is done by
/// the array transforms of this area (one implementation for both forms); the spatial steps stay
/// pending on the image (meta_image.hpp) until voxels are needed.
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "fmcib/transforms/dictionary.hpp"
#include "fmcib/transforms/meta_spatial.hpp"

namespace fmcib::transforms {

/// An array transform applied to each selected image. `pointwise` transforms (a voxel's value
/// depends only on that voxel's value) stay pending; the others run on the image's voxels (for
/// Transposed the affine is kept as it is, as MONAI's Transpose keeps a MetaTensor's).
class ArrayMapTransform : public ImageMapTransform {
 public:
  ArrayMapTransform(KeySelection keys, std::string name, TransformPtr array, bool pointwise);
  MetaImage apply(const MetaImage& image, const DataDict& d, Generator& gen) const override;

 private:
  TransformPtr array_;
  bool pointwise_;
};

/// monai.transforms.EnsureChannelFirstd: a scan read by LoadImaged has no channel axis (MONAI's
/// metadata says "no_channel"), so one is added; an image that has one is left alone.
class EnsureChannelFirstd final : public ImageMapTransform {
 public:
  explicit EnsureChannelFirstd(KeySelection keys)
      : ImageMapTransform(std::move(keys), "monai.transforms.EnsureChannelFirstd") {}
  MetaImage apply(const MetaImage& image, const DataDict& d, Generator& gen) const override;
};

class Spacingd final : public ImageMapTransform {
 public:
  Spacingd(KeySelection keys, SpacingOptions options)
      : ImageMapTransform(std::move(keys), "monai.transforms.Spacingd"), options_(std::move(options)) {}
  MetaImage apply(const MetaImage& image, const DataDict& d, Generator& gen) const override;

 private:
  SpacingOptions options_;
};

/// `axcodes` empty: as_closest_canonical.
class Orientationd final : public ImageMapTransform {
 public:
  Orientationd(KeySelection keys, std::string axcodes);
  MetaImage apply(const MetaImage& image, const DataDict& d, Generator& gen) const override;

 private:
  std::string axcodes_;
};

enum class CoordOrientation { kRAS, kLPS };

/// fmcib.preprocessing.SeedBasedPatchCropd: the seed is the item's `coordX`, `coordY`, `coordZ`
/// (numbers; LPS seeds have x and y negated into RAS), cropped with seedBasedPatchCrop.
class SeedBasedPatchCropd final : public ImageMapTransform {
 public:
  SeedBasedPatchCropd(KeySelection keys, std::array<int64_t, 3> roiSize, CoordOrientation coords,
                      bool globalCoordinates);
  MetaImage apply(const MetaImage& image, const DataDict& d, Generator& gen) const override;
  /// The seed of an item in RAS (InputError naming the column of a non-numeric value).
  Point3 center(const DataDict& d) const;

 private:
  std::array<int64_t, 3> roi_;
  CoordOrientation coords_;
  bool global_;
};

/// monai.transforms.SpatialPadd: the array SpatialPad; the affine moves with the voxels padded in
/// front, as MONAI's does.
class SpatialPadd final : public ImageMapTransform {
 public:
  SpatialPadd(KeySelection keys, std::vector<int64_t> spatialSize, std::string method, std::string mode,
              double value);
  MetaImage apply(const MetaImage& image, const DataDict& d, Generator& gen) const override;

 private:
  std::vector<int64_t> size_;
  std::string method_;
  TransformPtr pad_;
};

}  // namespace fmcib::transforms
