#pragma once
/// A 3D scan in memory: a typed voxel buffer plus its geometry in ITK's LPS world.
/// Voxels are stored x fastest, then y, then z (ITK's buffer order), so the buffer seen as a
/// [z][y][x] array is what SimpleITK's GetArrayFromImage returns.
#include <ATen/Tensor.h>

#include <array>
#include <cstdint>
#include <memory>
#include <string>

#include "fmcib/io/pixel_type.hpp"

namespace fmcib::io {

using Vec3 = std::array<double, 3>;
using Index3 = std::array<int64_t, 3>;

/// Size, spacing, origin and direction of a voxel grid, with ITK's meaning:
/// point = origin + direction · diag(spacing) · index.
struct ImageGeometry {
  Index3 size{1, 1, 1};
  Vec3 spacing{1, 1, 1};
  Vec3 origin{0, 0, 0};
  /// Row-major 3×3; column j is the physical direction of index axis j (ITK's GetDirection()).
  std::array<double, 9> direction{1, 0, 0, 0, 1, 0, 0, 0, 1};

  double dir(int row, int col) const { return direction[3 * row + col]; }
  int64_t numVoxels() const { return size[0] * size[1] * size[2]; }
  /// Physical point of a (continuous) index.
  Vec3 indexToPhysical(const Vec3& index) const;
  /// ITK's TransformPhysicalPointToContinuousIndex, computed by ITK itself (same matrix inverse),
  /// so seeds truncate to the same voxel as in SimpleITK.
  Vec3 physicalToContinuousIndex(const Vec3& point) const;
  /// "size [a, b, c], spacing [...], origin [...], direction [...]" for messages.
  std::string describe() const;
  /// Equal up to `tolerance` in spacing, origin and direction, exactly in size.
  bool approxEqual(const ImageGeometry& other, double tolerance = 1e-6) const;
};

class Volume {
 public:
  Volume() = default;
  /// A zero-filled volume owning its buffer.
  Volume(PixelType type, const ImageGeometry& geometry);
  /// Adopts `data` (numVoxels() voxels of `type`), kept alive by `owner`.
  Volume(PixelType type, const ImageGeometry& geometry, std::shared_ptr<void> owner, void* data);

  bool empty() const { return data_ == nullptr; }
  PixelType pixelType() const { return type_; }
  const ImageGeometry& geometry() const { return geometry_; }
  /// Replaces origin, spacing and direction (the size must stay the same).
  void setGeometry(const ImageGeometry& geometry);
  int64_t numVoxels() const { return geometry_.numVoxels(); }
  size_t byteSize() const { return static_cast<size_t>(numVoxels()) * pixelSize(type_); }

  void* data() { return data_; }
  const void* data() const { return data_; }
  /// The buffer as T; throws RuntimeError when T is not the stored type.
  template <class T>
  T* dataAs() {
    checkType(pixelTypeOf<T>());
    return static_cast<T*>(data_);
  }
  template <class T>
  const T* dataAs() const {
    checkType(pixelTypeOf<T>());
    return static_cast<const T*>(data_);
  }

  /// The voxels as a float32 [z][y][x] tensor (a copy).
  at::Tensor toFloatTensor() const;
  /// A volume from a [z][y][x] tensor (float32/64, int8/16/32/64, uint8), keeping its dtype.
  static Volume fromTensor(const at::Tensor& zyx, const ImageGeometry& geometry);

 private:
  void checkType(PixelType expected) const;
  PixelType type_ = PixelType::kInt16;
  ImageGeometry geometry_;
  std::shared_ptr<void> owner_;
  void* data_ = nullptr;
};

}  // namespace fmcib::io
