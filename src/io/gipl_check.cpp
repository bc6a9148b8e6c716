// GIPL (.gipl, .gipl.gz) headers checked before GiplImageIO reads them: it takes the sizes, type,
// spacing and origin as stored, reads at most the voxel bytes that are there without checking how
// many came (a cut file leaves the rest of the buffer as it was), and passes gzread the byte count
// as a 32-bit number. The header is 256 big-endian bytes: sizes at 0, type at 8, spacing at 10,
// origin at 204, magic number at 252.
#include <cstring>
#include <filesystem>
#include <string>

#include "image_io_detail.hpp"

namespace fmcib::io::detail {

namespace {

namespace fs = std::filesystem;

uint64_t bigEndian(const unsigned char* p, int n) {
  uint64_t v = 0;
  for (int i = 0; i < n; ++i) v = v << 8 | p[i];
  return v;
}

template <class T>
T bigEndianFloat(const unsigned char* p) {
  static_assert(sizeof(T) == 4 || sizeof(T) == 8);
  const uint64_t bits = bigEndian(p, sizeof(T));
  T v;
  if constexpr (sizeof(T) == 4) {
    const auto b = static_cast<uint32_t>(bits);
    std::memcpy(&v, &b, 4);
  } else {
    std::memcpy(&v, &bits, 8);
  }
  return v;
}

/// Bytes per voxel of GiplImageIO's image types; 0 for the others (complex, surfaces).
int typeBytes(uint64_t type) {
  switch (type) {
    case 1:  // binary, read as bytes
    case 7:
    case 8:
      return 1;
    case 15:
    case 16:
      return 2;
    case 31:
    case 32:
    case 64:
      return 4;
    case 65:
      return 8;
    default:
      return 0;
  }
}

}  // namespace

void checkGipl(const std::string& path, bool voxels) {
  auto bad = [&](const std::string& what) {
    throw InputError("image '" + path + "' has an invalid GIPL header: " + what);
  };
  const size_t n = path.size();
  const bool gz = n > 3 && path.compare(n - 3, 3, ".gz") == 0;
  const std::vector<unsigned char> h = fileHead(path, gz, 256);
  if (h.size() < 256) bad("the header is shorter than 256 bytes");
  const uint64_t magic = bigEndian(&h[252], 4);
  if (magic != 0xefffe9b0 && magic != 0x2ae389b8) bad("no GIPL magic number");
  uint64_t bytes = 0;
  const int elem = typeBytes(bigEndian(&h[8], 2));
  if (elem == 0) bad("unsupported image type " + std::to_string(bigEndian(&h[8], 2)));
  bytes = static_cast<uint64_t>(elem);
  for (int i = 0; i < 4; ++i) {
    const uint64_t size = bigEndian(&h[2 * i], 2);
    // GiplImageIO counts a dimension when its size is above 0 (the fourth: above 1); a 0 among the
    // first three would shift the others into the wrong axes.
    if (i < 3 && size == 0) bad("size " + std::to_string(i) + " is 0");
    if (i == 3 && size > 1) bad("4D images are not supported");
    if (i < 3) bytes *= size;  // at most 8 * 65535^3 < 2^51
    if (i < 3) {
      const double spacing = bigEndianFloat<float>(&h[10 + 4 * i]);
      if (!plausibleGeometryValue(spacing) || spacing == 0)
        bad("spacing " + std::to_string(i) + " is " + std::to_string(spacing));
      if (!plausibleGeometryValue(bigEndianFloat<double>(&h[204 + 8 * i])))
        bad("origin " + std::to_string(i) + " is not finite or beyond 1e9");
    }
  }
  const uint64_t need = 256 + bytes;
  if (!gz) {
    std::error_code ec;
    const uint64_t have = fs::file_size(path, ec);
    if (ec || have < need)
      throw InputError("image '" + path + "' is truncated: it holds " + std::to_string(have) +
                       " bytes of header and voxels, its header announces " + std::to_string(need));
    return;
  }
  if (bytes > 0xffffffffu) bad("a compressed GIPL image over 4 GiB is not supported");
  if (voxels) checkGzipInflates(path, need);
}

}  // namespace fmcib::io::detail
