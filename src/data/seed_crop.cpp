#include "fmcib/data/seed_crop.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <sstream>

#include "fmcib/config/error.hpp"
#include "fmcib/data/resample.hpp"
#include "fmcib/data/stage_timer.hpp"

namespace fmcib::data {

int64_t uniformInt(Generator& gen, int64_t lo, int64_t hi) {
  if (hi <= lo) return lo;
  const uint64_t range = static_cast<uint64_t>(hi - lo) + 1;
  // Rejection keeps the draw exactly uniform and independent of the standard library.
  const uint64_t limit = std::numeric_limits<uint64_t>::max() - std::numeric_limits<uint64_t>::max() % range;
  uint64_t x;
  do x = gen();
  while (x >= limit);
  return lo + static_cast<int64_t>(x % range);
}

const char* cropModeName(CropMode mode) {
  return mode == CropMode::kRegion ? "region" : "whole_image";
}

namespace {
std::string vecString(const io::Vec3& v) {
  std::ostringstream os;
  os.precision(10);
  os << "(" << v[0] << ", " << v[1] << ", " << v[2] << ")";
  return os.str();
}
std::string sizeString(const io::Index3& v) {
  return "[" + std::to_string(v[0]) + ", " + std::to_string(v[1]) + ", " + std::to_string(v[2]) + "]";
}
}  // namespace

ScanCropper::ScanCropper(io::Volume scan, CropOptions options)
    : ScanCropper(std::make_shared<MemoryScanSource>(std::move(scan)), options) {}

ScanCropper::ScanCropper(const ScanSourcePtr& source, CropOptions options) : options_(options) {
  if (options_.radius <= 0)
    throw ConfigError("radius must be positive, got " + std::to_string(options_.radius));
  if (!source) throw RuntimeError("ScanCropper needs a scan");
  sourceGeometry_ = source->geometry();
  resampled_ = options_.resampleSpacing ? data::resampledGeometry(sourceGeometry_, *options_.resampleSpacing)
                                        : sourceGeometry_;
  toResampled_ = options_.orient ? orientationMap(resampled_, "LPI") : GridMap::identity();
  const io::Index3 orientedSize = toResampled_.permutedSize(resampled_.size);
  oriented_ = toResampled_.outputGeometry(resampled_, orientedSize);
  if (options_.mode == CropMode::kRegion) {
    if (const io::Volume* scan = source->inMemory())
      scan_ = *scan;  // shares the buffer
    else
      source_ = source;
    return;
  }
  // The reference path: resample and reorient the whole scan (steps 2 and 4).
  io::Volume scan = source->whole();
  io::Volume resampled;
  {
    ScopedStage timer(Stage::kResample);
    resampled = options_.resampleSpacing
                    ? resampleToSpacing(scan, *options_.resampleSpacing, options_.outsideValue)
                    : std::move(scan);
  }
  ScopedStage timer(Stage::kCrop);
  scan_ =
      toResampled_.isIdentity() ? std::move(resampled) : applyGridMap(resampled, toResampled_, orientedSize);
}

io::Index3 ScanCropper::seedIndex(const io::Vec3& seed) const {
  const io::Vec3 c = resampled_.physicalToContinuousIndex(seed);
  io::Index3 index{};
  for (int a = 0; a < 3; ++a) {
    // Only a value int() could not turn into an index of any use is refused; anything else,
    // inside or outside the grid, is clamped in step 5 as SliceImageFilter does.
    if (!std::isfinite(c[a]) || std::abs(c[a]) > 1e12)
      throw InputError("seed point " + vecString(seed) + " mm has no usable voxel index: " + vecString(c) +
                       " on a grid of " + sizeString(resampled_.size) + " voxels (" + resampled_.describe() +
                       ")");
    index[a] = static_cast<int64_t>(std::trunc(c[a]));  // int() in Python truncates toward zero
  }
  return index;
}

SeedBox ScanCropper::seedBox(const io::Vec3& seed) const {
  SeedBox box;
  box.index = seedIndex(seed);
  for (int a = 0; a < 3; ++a) {
    // Step 5 uses the pre-orientation index on the oriented image (DESIGN §4).
    const int64_t lo = std::max<int64_t>(box.index[a] - options_.radius, 0);
    const int64_t hi = std::min<int64_t>(box.index[a] + options_.radius, oriented_.size[a]);
    box.start[a] = lo;
    box.size[a] = std::max<int64_t>(hi - lo, 0);
  }
  return box;
}

std::string ScanCropper::describe(const SeedBox& box) const {
  static const char axes[] = {'x', 'y', 'z'};
  std::ostringstream os;
  os << "voxel " << sizeString(box.index) << " of a " << oriented_.size[0] << "x" << oriented_.size[1] << "x"
     << oriented_.size[2] << " grid; [c - " << options_.radius << ", c + " << options_.radius << ")";
  if (box.empty()) {
    os << " misses the scan on";
    for (int a = 0; a < 3; ++a)
      if (box.size[a] <= 0) os << " " << axes[a];
    return os.str();
  }
  os << " keeps";
  for (int a = 0; a < 3; ++a)
    os << " " << axes[a] << " [" << box.start[a] << ", " << box.start[a] + box.size[a] << ")";
  return os.str();
}

Patch ScanCropper::positive(const io::Vec3& seed) const {
  const SeedBox box = seedBox(seed);
  if (box.empty())
    throw EmptyPatchError("seed point " + vecString(seed) +
                          " mm lies outside the scan, too far for a patch: " + describe(box));
  return crop(box.start, box.size);
}

Patch ScanCropper::negative(Generator& gen) const {
  io::Index3 start{}, size{};
  for (int a = 0; a < 3; ++a) {
    size[a] = std::min<int64_t>(2 * options_.radius, oriented_.size[a]);
    start[a] = uniformInt(gen, 0, oriented_.size[a] - size[a]);
  }
  return crop(start, size);
}

Patch ScanCropper::crop(const io::Index3& start, const io::Index3& size) const {
  const GridMap cropMap = GridMap::crop(start);
  return options_.mode == CropMode::kRegion ? cropRegion(cropMap, size) : cropWhole(cropMap, size);
}

Patch ScanCropper::cropWhole(const GridMap& cropMap, const io::Index3& size) const {
  ScopedStage timer(Stage::kCrop);
  const io::Volume cropped = applyGridMap(scan_, cropMap, size);
  if (!options_.orientPatch) return {cropped.toFloatTensor(), cropped.geometry()};
  const GridMap toLps = orientationMap(cropped.geometry(), "LPS");
  const io::Volume patch = applyGridMap(cropped, toLps, toLps.permutedSize(size));
  return {patch.toFloatTensor(), patch.geometry()};
}

Patch ScanCropper::cropRegion(const GridMap& cropMap, const io::Index3& size) const {
  const io::ImageGeometry croppedGeometry = cropMap.outputGeometry(oriented_, size);
  const GridMap toLps = options_.orientPatch ? orientationMap(croppedGeometry, "LPS") : GridMap::identity();
  const io::Index3 patchSize = toLps.permutedSize(size);
  const io::ImageGeometry patchGeometry = toLps.outputGeometry(croppedGeometry, patchSize);
  // Patch voxel → resampled-scan voxel, through steps 6, 5 and 4 backwards.
  GridMap total = toResampled_.then(cropMap).then(toLps);
  if (!options_.resampleSpacing && !source_) {
    ScopedStage timer(Stage::kCrop);
    const io::Volume patch = applyGridMap(scan_, total, patchSize);
    return {patch.toFloatTensor(), patchGeometry};
  }
  io::Index3 boxStart, boxSize;
  total.inputBox(patchSize, boxStart, boxSize);
  for (int a = 0; a < 3; ++a) total.offset[a] -= boxStart[a];
  io::Volume box;
  if (options_.resampleSpacing) {
    if (source_) {
      // Read only the source voxels the resampled box interpolates from.
      io::Index3 windowStart, windowSize;
      resampleSourceBox(sourceGeometry_, resampled_, boxStart, boxSize, windowStart, windowSize);
      const io::Volume window = source_->region(windowStart, windowSize);
      ScopedStage timer(Stage::kResample);
      box = resampleBoxFromWindow(window, windowStart, sourceGeometry_, resampled_, boxStart, boxSize,
                                  options_.outsideValue);
    } else {
      ScopedStage timer(Stage::kResample);
      box = resampleBox(scan_, resampled_, boxStart, boxSize, options_.outsideValue);
    }
  } else {
    box = source_->region(boxStart, boxSize);
  }
  ScopedStage timer(Stage::kCrop);
  const io::Volume patch = applyGridMap(box, total, patchSize);
  return {patch.toFloatTensor(), patchGeometry};
}

}  // namespace fmcib::data
