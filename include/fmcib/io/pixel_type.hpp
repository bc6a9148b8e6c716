#pragma once
/// Scalar pixel types a scan may be stored with. A scan keeps its type from the file through
/// resampling (DESIGN §4: int16 HU for CT), so code that touches voxels dispatches on it once.
#include <cstddef>
#include <cstdint>
#include <string>
#include <type_traits>

#include "fmcib/config/error.hpp"

namespace fmcib::io {

enum class PixelType { kUInt8, kInt8, kUInt16, kInt16, kUInt32, kInt32, kUInt64, kInt64, kFloat32, kFloat64 };

/// "uint8", "int16", "float32", ...
const char* pixelTypeName(PixelType type);
/// Bytes per voxel.
size_t pixelSize(PixelType type);

template <class T>
constexpr PixelType pixelTypeOf() {
  if constexpr (std::is_same_v<T, uint8_t>)
    return PixelType::kUInt8;
  else if constexpr (std::is_same_v<T, int8_t>)
    return PixelType::kInt8;
  else if constexpr (std::is_same_v<T, uint16_t>)
    return PixelType::kUInt16;
  else if constexpr (std::is_same_v<T, int16_t>)
    return PixelType::kInt16;
  else if constexpr (std::is_same_v<T, uint32_t>)
    return PixelType::kUInt32;
  else if constexpr (std::is_same_v<T, int32_t>)
    return PixelType::kInt32;
  else if constexpr (std::is_same_v<T, uint64_t>)
    return PixelType::kUInt64;
  else if constexpr (std::is_same_v<T, int64_t>)
    return PixelType::kInt64;
  else if constexpr (std::is_same_v<T, float>)
    return PixelType::kFloat32;
  else {
    static_assert(std::is_same_v<T, double>, "unsupported pixel type");
    return PixelType::kFloat64;
  }
}

/// Calls `f(T{})` with T the C++ type of `type` and returns what it returns.
template <class F>
decltype(auto) dispatchPixelType(PixelType type, F&& f) {
  switch (type) {
    case PixelType::kUInt8:
      return f(uint8_t{});
    case PixelType::kInt8:
      return f(int8_t{});
    case PixelType::kUInt16:
      return f(uint16_t{});
    case PixelType::kInt16:
      return f(int16_t{});
    case PixelType::kUInt32:
      return f(uint32_t{});
    case PixelType::kInt32:
      return f(int32_t{});
    case PixelType::kUInt64:
      return f(uint64_t{});
    case PixelType::kInt64:
      return f(int64_t{});
    case PixelType::kFloat32:
      return f(float{});
    case PixelType::kFloat64:
      return f(double{});
  }
  throw RuntimeError("invalid pixel type " + std::to_string(static_cast<int>(type)));
}

}  // namespace fmcib::io
