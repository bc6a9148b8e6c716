// niftilib fills missing voxel bytes of a short file with zeros and only warns in debug mode, so a
// truncated download would train on zeros. Before reading, compare the voxel bytes the header
// announces with what the file holds: the file size for .nii, and for .nii.gz the gzip trailer's
// length (ISIZE), confirmed by decompressing only when the trailer disagrees (multi-member files).
#include <zlib.h>

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <vector>

#include "image_io_detail.hpp"

namespace fmcib::io::detail {

namespace {

bool endsWith(const std::string& s, const char* suffix) {
  const size_t n = std::strlen(suffix);
  return s.size() >= n && s.compare(s.size() - n, n, suffix) == 0;
}

template <class T>
T readAt(const unsigned char* p, bool swap) {
  T v;
  unsigned char b[sizeof(T)];
  std::memcpy(b, p, sizeof(T));
  if (swap)
    for (size_t i = 0; i < sizeof(T) / 2; ++i) std::swap(b[i], b[sizeof(T) - 1 - i]);
  std::memcpy(&v, b, sizeof(T));
  return v;
}

// vox_offset from the first bytes of a NIfTI-1 or NIfTI-2 header; -1 when not recognised.
int64_t voxOffset(const unsigned char* h, size_t n) {
  if (n < 4) return -1;
  for (bool swap : {false, true}) {
    const int32_t size = readAt<int32_t>(h, swap);
    if (size == 348 && n >= 112) return static_cast<int64_t>(readAt<float>(h + 108, swap));
    if (size == 540 && n >= 176) return readAt<int64_t>(h + 168, swap);
  }
  return -1;
}

[[noreturn]] void truncated(const std::string& path, uint64_t have, uint64_t need) {
  throw InputError("image '" + path + "' is truncated: it holds " + std::to_string(have) +
                   " bytes of header and " + "voxels, its header announces " + std::to_string(need));
}

}  // namespace

void checkNiftiComplete(const std::string& path, uint64_t imageBytes) {
  namespace fs = std::filesystem;
  if (endsWith(path, ".nii")) {
    unsigned char h[540] = {};
    std::ifstream in(path, std::ios::binary);
    in.read(reinterpret_cast<char*>(h), sizeof(h));
    const int64_t offset = voxOffset(h, static_cast<size_t>(in.gcount()));
    if (offset < 0) return;  // not a single-file header we know; let ITK judge
    const uint64_t need = static_cast<uint64_t>(offset) + imageBytes, have = fs::file_size(path);
    if (have < need) truncated(path, have, need);
    return;
  }
  if (!endsWith(path, ".nii.gz")) return;
  gzFile gz = gzopen(path.c_str(), "rb");
  if (!gz) return;
  unsigned char h[540] = {};
  const int got = gzread(gz, h, sizeof(h));
  const int64_t offset = voxOffset(h, got > 0 ? static_cast<size_t>(got) : 0);
  if (offset < 0) {
    gzclose(gz);
    return;
  }
  const uint64_t need = static_cast<uint64_t>(offset) + imageBytes;
  // ISIZE: the uncompressed length mod 2^32, little-endian, in the last four bytes.
  uint32_t isize = 0;
  {
    std::ifstream in(path, std::ios::binary | std::ios::ate);
    if (in.tellg() >= 4) {
      in.seekg(-4, std::ios::end);
      unsigned char t[4];
      in.read(reinterpret_cast<char*>(t), 4);
      isize = static_cast<uint32_t>(t[0]) | static_cast<uint32_t>(t[1]) << 8 |
              static_cast<uint32_t>(t[2]) << 16 | static_cast<uint32_t>(t[3]) << 24;
    }
  }
  if (isize == static_cast<uint32_t>(need)) {
    gzclose(gz);
    return;
  }
  uint64_t have = got > 0 ? static_cast<uint64_t>(got) : 0;
  std::vector<unsigned char> buf(1 << 20);
  for (;;) {
    const int n = gzread(gz, buf.data(), static_cast<unsigned>(buf.size()));
    if (n <= 0) break;
    have += static_cast<uint64_t>(n);
    if (have >= need) break;
  }
  gzclose(gz);
  if (have < need) truncated(path, have, need);
}

}  // namespace fmcib::io::detail
