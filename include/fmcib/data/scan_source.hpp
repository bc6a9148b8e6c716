#pragma once
/// Where a ScanCropper takes a scan's voxels from: a decoded scan in memory, or a scan cache entry
/// on disk of which only the boxes a patch needs are read (data/scan_cache.hpp).
#include <memory>

#include "fmcib/io/volume.hpp"

namespace fmcib::data {

class ScanSource {
 public:
  virtual ~ScanSource() = default;
  virtual io::PixelType pixelType() const = 0;
  /// The whole scan's geometry (exactly as decoded from the source file).
  virtual const io::ImageGeometry& geometry() const = 0;
  /// The voxels of the box [start, start + size), which must lie inside the scan; the result's
  /// geometry is the box's (origin at `start`).
  virtual io::Volume region(const io::Index3& start, const io::Index3& size) const = 0;
  /// The whole scan.
  virtual io::Volume whole() const = 0;
  /// The whole scan when it is in memory (regions are then read from it in place), else null.
  virtual const io::Volume* inMemory() const { return nullptr; }
};

using ScanSourcePtr = std::shared_ptr<const ScanSource>;

/// A decoded scan held in memory.
class MemoryScanSource : public ScanSource {
 public:
  explicit MemoryScanSource(io::Volume scan) : scan_(std::move(scan)) {}
  io::PixelType pixelType() const override { return scan_.pixelType(); }
  const io::ImageGeometry& geometry() const override { return scan_.geometry(); }
  io::Volume region(const io::Index3& start, const io::Index3& size) const override;
  io::Volume whole() const override { return scan_; }
  const io::Volume* inMemory() const override { return &scan_; }

 private:
  io::Volume scan_;
};

/// The geometry of the box [start, start + size) of a grid.
io::ImageGeometry boxGeometry(const io::ImageGeometry& grid, const io::Index3& start, const io::Index3& size);

}  // namespace fmcib::data
