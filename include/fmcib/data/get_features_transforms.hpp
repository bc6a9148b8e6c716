#pragma once
/// fmcib.preprocessing.get_transforms, the preprocessing of the Python package's quick start
/// (`fmcib.run.get_features`), built from the same dictionary transforms the `_target_`s build:
///
///   LoadImaged → EnsureChannelFirstd → NormalizeIntensityd(subtrahend=-1024, divisor=3072) →
///   Spacingd(pixdim=1, mode=linear, padding_mode=zeros, align_corners=True, diagonal=True) →
///   Orientationd(axcodes="LPS") → SeedBasedPatchCropd(roi_size=spatial_size[::-1],
///   coord_orientation="LPS", global_coordinates=True) → SelectItemsd → Transposed((0, 3, 2, 1)) →
///   SpatialPadd(spatial_size)
///
/// and, for patches cropped beforehand (`precropped`): LoadImaged → EnsureChannelFirstd →
/// NormalizeIntensityd → SpatialPadd. The image key is `image_path`; seeds are the row's
/// coordX/coordY/coordZ in LPS mm. spatial_size is the model input's [z, y, x] size (the crop is
/// its reverse on the LPS-ordered image, then transposed).
#include <array>
#include <cstdint>
#include <string>

#include "fmcib/transforms/dictionary.hpp"

namespace fmcib::data {

struct GetFeaturesTransformOptions {
  std::array<int64_t, 3> spatialSize{50, 50, 50};
  bool precropped = false;
  /// LoadImaged's in-memory LRU of decoded scans (bytes; 0 = none).
  int64_t cacheBytes = 0;
  /// Materialize every step on the whole grid (the reference path, for tests).
  bool eager = false;
  std::string key = "image_path";
};

transforms::MapTransformPtr getFeaturesTransforms(const GetFeaturesTransformOptions& options);

/// The CSV columns the pipeline reads: image_path, and coordX/coordY/coordZ unless precropped.
std::vector<std::string> getFeaturesColumns(bool precropped);

}  // namespace fmcib::data
