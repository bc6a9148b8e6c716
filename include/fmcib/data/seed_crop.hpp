#pragma once
/// Seed-point patches (DESIGN §4 steps 2–7), in the reference order:
///   2. resample the scan to `resampleSpacing` (linear, outside −1024, same pixel type);
///   3. seed (LPS mm) → continuous index on that image → truncate toward zero (`c`, Python's int();
///      it may lie outside the image);
///   4. if `orient`: reorient the whole image to DICOM LPI;
///   5. crop [c − radius, c + radius) per axis on the image of step 4 with the index of step 3,
///      clamped to the image (SimpleITK's SliceImageFilter): a seed near or just past the border
///      gives a smaller patch, which the transform's SpatialPad fills; a range that misses the
///      image on an axis (a seed far outside) is an EmptyPatchError;
///   6. if `orientPatch`: reorient the patch to DICOM LPS;
///   7. float32 array in [z][y][x] order.
/// Negatives: a crop of min(2·radius, size) per axis of the step-4 image at a uniformly random
/// start, then step 6.
///
/// CropMode::kWholeImage does exactly that (resamples and reorients the whole scan once per
/// ScanCropper). CropMode::kRegion (the default) composes the grid maps of steps 4–6 and resamples
/// only the voxels the patch covers; it gives the same voxels and geometry.
#include <ATen/Tensor.h>

#include <optional>
#include <random>

#include "fmcib/config/error.hpp"
#include "fmcib/data/grid_map.hpp"
#include "fmcib/data/scan_source.hpp"
#include "fmcib/io/volume.hpp"

namespace fmcib::data {

/// The random generator items are drawn with (the transforms' generator type).
using Generator = std::mt19937_64;

/// A uniform integer in [lo, hi] drawn from `gen` (portable: the same on every standard library).
int64_t uniformInt(Generator& gen, int64_t lo, int64_t hi);

/// A seed whose crop range misses the image on some axis: there is no patch to return.
class EmptyPatchError : public InputError {
 public:
  using InputError::InputError;
};

/// Where the positive patch of a seed lies on the step-4 image.
struct SeedBox {
  io::Index3 index{};  ///< the truncated seed index (step 3); may lie outside the image
  io::Index3 start{};  ///< the clamped crop [start, start + size) per axis
  io::Index3 size{};   ///< 0 on an axis whose range [c − r, c + r) misses the image
  bool empty() const { return size[0] <= 0 || size[1] <= 0 || size[2] <= 0; }
  /// Fewer than 2·radius voxels on some axis (the patch was cut at the border).
  bool clamped(int64_t radius) const {
    return size[0] < 2 * radius || size[1] < 2 * radius || size[2] < 2 * radius;
  }
};

enum class CropMode { kRegion, kWholeImage };
/// "region" / "whole_image"
const char* cropModeName(CropMode mode);

struct CropOptions {
  int64_t radius = 25;
  bool orient = false;
  std::optional<io::Vec3> resampleSpacing;
  bool orientPatch = true;
  CropMode mode = CropMode::kRegion;
  double outsideValue = -1024.0;
};

/// A patch after the geometry steps: its voxels and where they lie in the patient.
struct Patch {
  at::Tensor array;  ///< float32 [z][y][x]
  io::ImageGeometry geometry;
};

class ScanCropper {
 public:
  ScanCropper(io::Volume scan, CropOptions options);
  /// From a scan source: in region mode, a source not in memory (a scan cache file) is read only
  /// box by box, the boxes each patch needs; the whole-image mode reads it whole.
  ScanCropper(const ScanSourcePtr& source, CropOptions options);

  /// The positive patch around `seed` (LPS mm), clamped at the border (smaller than 2·radius there).
  /// Throws EmptyPatchError when the range misses the image on an axis, InputError for a
  /// non-finite index.
  Patch positive(const io::Vec3& seed) const;
  /// A random negative patch (draws three integers from `gen`, axis 0 first).
  Patch negative(Generator& gen) const;

  /// Step 3: the truncated seed index on the resampled image (possibly outside it). Throws
  /// InputError only when the index is not finite or absurdly far (beyond ±1e12 voxels).
  io::Index3 seedIndex(const io::Vec3& seed) const;
  /// Steps 3 and 5 without cropping: the seed's index and its clamped crop box (empty allowed).
  SeedBox seedBox(const io::Vec3& seed) const;
  /// One line describing a clamped or empty box, e.g. "voxel [-2, 10, 5] of a 30x20x10 grid; the
  /// patch keeps x [0, 4) y [4, 16) z [0, 10)".
  std::string describe(const SeedBox& box) const;
  /// Geometry after step 2 (the scan's own when not resampling) and after step 4.
  const io::ImageGeometry& resampledGeometry() const { return resampled_; }
  const io::ImageGeometry& orientedGeometry() const { return oriented_; }

 private:
  /// Steps 5–7 for a crop box of the step-4 image.
  Patch crop(const io::Index3& start, const io::Index3& size) const;
  Patch cropRegion(const GridMap& cropMap, const io::Index3& size) const;
  Patch cropWhole(const GridMap& cropMap, const io::Index3& size) const;

  io::Volume scan_;       // the scan as read (region mode) or after steps 2 and 4 (whole-image mode)
  ScanSourcePtr source_;  // region mode with a source not in memory: scan_ is empty
  io::ImageGeometry sourceGeometry_;  // the scan as read
  CropOptions options_;
  io::ImageGeometry resampled_;  // step 2
  GridMap toResampled_;          // step-4 grid → step-2 grid
  io::ImageGeometry oriented_;   // step 4
};

}  // namespace fmcib::data
