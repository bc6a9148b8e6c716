#pragma once
// The storage classes torch.save names in persistent ids, shared by the reader and the writer.
#include <c10/core/ScalarType.h>

#include <optional>
#include <string>

namespace fmcib::io::detail {

struct StorageName {
  const char* name;  // the class in module `torch`, e.g. "FloatStorage"
  c10::ScalarType dtype;
};

inline constexpr StorageName kStorageNames[] = {
    {"FloatStorage", c10::ScalarType::Float},
    {"DoubleStorage", c10::ScalarType::Double},
    {"HalfStorage", c10::ScalarType::Half},
    {"BFloat16Storage", c10::ScalarType::BFloat16},
    {"LongStorage", c10::ScalarType::Long},
    {"IntStorage", c10::ScalarType::Int},
    {"ShortStorage", c10::ScalarType::Short},
    {"CharStorage", c10::ScalarType::Char},
    {"ByteStorage", c10::ScalarType::Byte},
    {"BoolStorage", c10::ScalarType::Bool},
    {"ComplexFloatStorage", c10::ScalarType::ComplexFloat},
    {"ComplexDoubleStorage", c10::ScalarType::ComplexDouble},
};

inline std::optional<c10::ScalarType> storageDtype(const std::string& name) {
  for (const auto& s : kStorageNames)
    if (name == s.name) return s.dtype;
  return std::nullopt;
}

inline const char* storageName(c10::ScalarType dtype) {
  for (const auto& s : kStorageNames)
    if (s.dtype == dtype) return s.name;
  return nullptr;
}

}  // namespace fmcib::io::detail
