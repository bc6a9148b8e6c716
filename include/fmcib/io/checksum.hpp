#pragma once
/// The checksums of the PNG format (and zlib streams): CRC-32 (ISO 3309) and Adler-32.
#include <cstddef>
#include <cstdint>

namespace fmcib::io {

/// CRC-32 of `n` bytes, continuing from `crc` (0 to start).
uint32_t crc32(const uint8_t* data, size_t n, uint32_t crc = 0);
/// Adler-32 of `n` bytes.
uint32_t adler32(const uint8_t* data, size_t n);

}  // namespace fmcib::io
