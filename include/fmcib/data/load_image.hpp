#pragma once
/// monai.transforms.LoadImaged with reader="ITKReader": reads the scan a key's text names (ITK,
/// io/image_io.hpp) into an image whose array and affine are MONAI's: the array is indexed
/// [i][j][k] by ITK's index (ITKReader's reverse_indexing), values are read as float32 (LoadImage's
/// dtype), and the affine is ITK's LPS geometry turned into RAS (x and y negated), as ITKReader's
/// affine_lps_to_ras does. For NIfTI files whose sform and qform agree, NibabelReader gives the
/// same array and affine, so both reader names are accepted.
#include <cstdint>
#include <string>

#include "fmcib/data/scan_cache.hpp"
#include "fmcib/io/volume.hpp"
#include "fmcib/transforms/dictionary.hpp"

namespace fmcib::data {

/// The RAS affine of an ITK geometry: diag(-1, -1, 1, 1) · [direction · diag(spacing) | origin].
transforms::Affine rasAffine(const io::ImageGeometry& geometry);

/// A scan as a MetaImage without copying its voxels (the image keeps the buffer alive); pixel types
/// torch has no dtype for (uint16/32/64) are converted to float32 once.
transforms::MetaImage metaImageFromVolume(const io::Volume& volume, bool eager = false);

struct LoadImageOptions {
  transforms::KeySelection keys;
  /// In-memory LRU of decoded scans shared by every call (bytes; 0 = none): rows of one scan decode
  /// it once.
  int64_t cacheBytes = 0;
  /// Every later step materializes its whole grid (the reference path; tests).
  bool eager = false;
  /// LoadImaged's ensure_channel_first: add the channel axis right away.
  bool ensureChannelFirst = false;
  /// Expand a leading "~/" to $HOME (MONAI's expanduser).
  bool expandUser = true;
};

class LoadImaged final : public transforms::MapTransform {
 public:
  explicit LoadImaged(LoadImageOptions options);
  /// Replaces each key's path by its image. A relative path is taken from the current directory
  /// when it exists there (as Python's reader does), else from the dict's baseDir (the CSV's folder).
  /// InputError naming the key and path when it cannot be read.
  void operator()(transforms::DataDict& d, transforms::Generator& gen) const override;
  std::string name() const override { return "monai.transforms.LoadImaged"; }

 private:
  LoadImageOptions options_;
  ScanCachePtr cache_;
};

/// `raw` as the data loaders open it: absolute, or relative to the current directory when it
/// exists there, else relative to `folder` when it exists there, else `raw` unchanged.
std::string resolveDataPath(const std::string& raw, const std::string& folder);

}  // namespace fmcib::data
