// NIfTI-1/2 (and Analyze 7.5) files checked around niftilib, which trusts its input: non-finite
// orientation fields reach vnl, which ends the process; missing voxel bytes are filled with zeros and
// only warned about in debug builds, so a truncated download would train on zeros.
// Before the read: the header's fields, and for an uncompressed file its size. A .gz file is
// inflated once more to count its bytes, unless its gzip trailer (length and CRC-32) can confirm
// the voxels after ITK read them: then the CRC of the header bytes and of the voxels ITK returned
// must equal the trailer's, which costs a CRC pass instead of a second inflate.
#include <zlib.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <vector>

#include "image_io_detail.hpp"

namespace fmcib::io::detail {

namespace {

namespace fs = std::filesystem;

bool endsWith(const std::string& s, const char* suffix) {
  const size_t n = std::strlen(suffix);
  return s.size() >= n && s.compare(s.size() - n, n, suffix) == 0;
}

template <class T>
T readAt(const unsigned char* p, bool swap) {
  unsigned char b[sizeof(T)];
  std::memcpy(b, p, sizeof(T));
  if (swap) std::reverse(b, b + sizeof(T));
  T v;
  std::memcpy(&v, b, sizeof(T));
  return v;
}

std::string num(double v) {
  char b[32];
  std::snprintf(b, sizeof b, "%g", v);
  return b;
}

[[noreturn]] void bad(const std::string& path, const std::string& what) {
  throw InputError("image '" + path + "' has an invalid NIfTI header: " + what);
}

[[noreturn]] void truncated(const std::string& path, uint64_t have, uint64_t need) {
  throw InputError("image '" + path + "' is truncated: it holds " + std::to_string(have) +
                   " bytes of header and voxels, its header announces " + std::to_string(need));
}

/// Bytes per voxel of a NIfTI datatype code (niftilib's table); 0 for unknown codes.
int datatypeBytes(int code) {
  switch (code) {
    case 2:    // uint8
    case 256:  // int8
      return 1;
    case 4:    // int16
    case 512:  // uint16
      return 2;
    case 8:     // int32
    case 16:    // float32
    case 768:   // uint32
    case 2304:  // RGBA32
      return 4;
    case 128:  // RGB24
      return 3;
    case 32:    // complex64
    case 64:    // float64
    case 1024:  // int64
    case 1280:  // uint64
      return 8;
    case 1536:  // float128
    case 1792:  // complex128
      return 16;
    case 2048:  // complex256
      return 32;
    default:
      return 0;
  }
}

/// The PixelType ITK returns for a scalar datatype read without rescaling; nullopt for others.
std::optional<PixelType> scalarType(int code) {
  switch (code) {
    case 2:
      return PixelType::kUInt8;
    case 256:
      return PixelType::kInt8;
    case 4:
      return PixelType::kInt16;
    case 512:
      return PixelType::kUInt16;
    case 8:
      return PixelType::kInt32;
    case 768:
      return PixelType::kUInt32;
    case 1024:
      return PixelType::kInt64;
    case 1280:
      return PixelType::kUInt64;
    case 16:
      return PixelType::kFloat32;
    case 64:
      return PixelType::kFloat64;
    default:
      return std::nullopt;
  }
}

bool hostIsLittleEndian() {
  const uint16_t one = 1;
  unsigned char first;
  std::memcpy(&first, &one, 1);
  return first == 1;
}

/// The gzip trailer: CRC-32 and length mod 2^32 of the uncompressed data.
bool gzipTrailer(const std::string& path, uint32_t& crc, uint32_t& isize) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in || in.tellg() < 18) return false;
  in.seekg(-8, std::ios::end);
  unsigned char t[8];
  in.read(reinterpret_cast<char*>(t), 8);
  if (!in) return false;
  crc = readAt<uint32_t>(t, !hostIsLittleEndian());
  isize = readAt<uint32_t>(t + 4, !hostIsLittleEndian());
  return true;
}

}  // namespace

/// The first `n` bytes of a (possibly gzipped) file; fewer when it is shorter.
std::vector<unsigned char> fileHead(const std::string& path, bool gz, size_t n) {
  std::vector<unsigned char> h(n);
  if (gz) {
    gzFile f = gzopen(path.c_str(), "rb");
    if (!f) throw InputError("cannot read image '" + path + "'");
    const int got = gzread(f, h.data(), static_cast<unsigned>(n));
    gzclose(f);
    h.resize(got > 0 ? static_cast<size_t>(got) : 0);
  } else {
    std::ifstream in(path, std::ios::binary);
    in.read(reinterpret_cast<char*>(h.data()), static_cast<std::streamsize>(n));
    h.resize(static_cast<size_t>(in.gcount()));
  }
  return h;
}

/// Inflates `path` until a little past `need` bytes (or its end): complete when it holds `need`
/// bytes and its stream had no error (a cut stream, a bad CRC-32 or length in a trailer).
void checkGzipInflates(const std::string& path, uint64_t need) {
  gzFile gz = gzopen(path.c_str(), "rb");
  if (!gz) throw InputError("cannot read image '" + path + "'");
  uint64_t have = 0;
  std::vector<unsigned char> buf(1 << 20);
  int n = 0;
  while (have <= need && (n = gzread(gz, buf.data(), static_cast<unsigned>(buf.size()))) > 0)
    have += static_cast<uint64_t>(n);
  int code = Z_OK;
  const std::string why = n < 0 ? gzerror(gz, &code) : "";
  gzclose(gz);
  if (have < need) truncated(path, have, need);
  if (n < 0)
    throw InputError("image '" + path + "' is corrupt: its gzip stream fails after " + std::to_string(have) +
                     " bytes (" + why + ")");
}

NiftiLayout checkNifti(const std::string& path, bool voxels) {
  NiftiLayout l;
  const bool pair = endsWith(path, ".hdr") || endsWith(path, ".hdr.gz") || endsWith(path, ".img") ||
                    endsWith(path, ".img.gz");
  std::string headerPath = path;
  l.dataPath = path;
  if (pair) {  // Analyze / NIfTI pair: header in .hdr, voxels in .img (each possibly gzipped)
    const bool gzName = endsWith(path, ".gz");
    const std::string stem = path.substr(0, path.size() - (gzName ? 7 : 4));
    auto pick = [&](const char* ext) {
      for (const std::string& p : {stem + ext, stem + ext + ".gz"})
        if (fs::exists(p)) return p;
      return stem + ext;
    };
    headerPath = pick(".hdr");
    l.dataPath = pick(".img");
    for (const std::string& p : {headerPath, l.dataPath}) {
      std::error_code ec;
      if (!fs::is_regular_file(p, ec))
        throw InputError("image '" + path + "' needs '" + p +
                         "', which does not exist or is not a regular file");
    }
  }
  const bool headerGz = endsWith(headerPath, ".gz");
  l.gzipped = endsWith(l.dataPath, ".gz");
  const std::vector<unsigned char> h = fileHead(headerPath, headerGz, 540);
  if (h.size() < 348) bad(path, "the header is shorter than 348 bytes");

  bool swap = false;
  int version = 0;
  for (bool s : {false, true}) {
    const int32_t size = readAt<int32_t>(h.data(), s);
    if (size == 348 || (size == 540 && h.size() >= 540)) {
      swap = s;
      version = size == 348 ? 1 : 2;
      break;
    }
  }
  if (version == 0) bad(path, "sizeof_hdr is neither 348 nor 540");
  const unsigned char* p = h.data();
  int64_t dim[8];
  double pixdim[8], quatern[6], srow[12], voxOffset;
  int datatype, qformCode, sformCode;
  bool isNifti;  // a NIfTI magic: q/sform fields are meaningful (Analyze 7.5 has none)
  if (version == 1) {
    for (int i = 0; i < 8; ++i) dim[i] = readAt<int16_t>(p + 40 + 2 * i, swap);
    datatype = readAt<int16_t>(p + 70, swap);
    for (int i = 0; i < 8; ++i) pixdim[i] = readAt<float>(p + 76 + 4 * i, swap);
    voxOffset = readAt<float>(p + 108, swap);
    qformCode = readAt<int16_t>(p + 252, swap);
    sformCode = readAt<int16_t>(p + 254, swap);
    for (int i = 0; i < 6; ++i) quatern[i] = readAt<float>(p + 256 + 4 * i, swap);
    for (int i = 0; i < 12; ++i) srow[i] = readAt<float>(p + 280 + 4 * i, swap);
    isNifti = std::memcmp(p + 344, "n+1", 4) == 0 || std::memcmp(p + 344, "ni1", 4) == 0;
  } else {
    for (int i = 0; i < 8; ++i) dim[i] = readAt<int64_t>(p + 16 + 8 * i, swap);
    datatype = readAt<int16_t>(p + 12, swap);
    for (int i = 0; i < 8; ++i) pixdim[i] = readAt<double>(p + 104 + 8 * i, swap);
    voxOffset = static_cast<double>(readAt<int64_t>(p + 168, swap));
    qformCode = readAt<int32_t>(p + 344, swap);
    sformCode = readAt<int32_t>(p + 348, swap);
    for (int i = 0; i < 6; ++i) quatern[i] = readAt<double>(p + 352 + 8 * i, swap);
    for (int i = 0; i < 12; ++i) srow[i] = readAt<double>(p + 400 + 8 * i, swap);
    isNifti = true;
  }

  if (dim[0] < 1 || dim[0] > 7) bad(path, "dim[0] = " + std::to_string(dim[0]) + " (1 to 7 dimensions)");
  if (dim[1] < 1) bad(path, "dim[1] = " + std::to_string(dim[1]));
  const int bytes = datatypeBytes(datatype);
  if (bytes == 0) bad(path, "unknown datatype " + std::to_string(datatype));
  uint64_t voxelBytes = static_cast<uint64_t>(bytes);
  for (int i = 1; i <= dim[0]; ++i) {
    const uint64_t n = dim[i] < 1 ? 1 : static_cast<uint64_t>(dim[i]);  // niftilib reads 0 as 1
    if (__builtin_mul_overflow(voxelBytes, n, &voxelBytes) || voxelBytes > (uint64_t{1} << 48))
      bad(path, "the dimensions multiply to more than 2^48 bytes");
  }
  for (int i = 1; i <= std::min<int64_t>(dim[0], 3); ++i)
    if (!plausibleGeometryValue(pixdim[i]) || pixdim[i] == 0)
      bad(path, "pixdim[" + std::to_string(i) + "] (voxel spacing) = " + num(pixdim[i]));
  if (isNifti && qformCode > 0)
    for (double q : quatern)
      if (!plausibleGeometryValue(q))
        bad(path, "qform_code is " + std::to_string(qformCode) +
                      " but the quaternion holds values that are not finite or beyond 1e9");
  if (isNifti && sformCode > 0)
    for (double s : srow)
      if (!plausibleGeometryValue(s))
        bad(path, "sform_code is " + std::to_string(sformCode) +
                      " but srow_x/y/z hold values that are not finite or beyond 1e9");
  if (!std::isfinite(voxOffset) || voxOffset < 0 || voxOffset > 1e15)
    bad(path, "vox_offset = " + num(voxOffset));

  l.voxOffset = static_cast<uint64_t>(voxOffset);
  l.voxelBytes = voxelBytes;
  const uint64_t need = l.voxOffset + voxelBytes;
  std::error_code ec;
  const uint64_t fileBytes = fs::file_size(l.dataPath, ec);
  if (!l.gzipped) {
    if (fileBytes < need) truncated(l.dataPath, fileBytes, need);
    return l;
  }
  if (!voxels) return l;
  // The CRC check after the read applies when ITK's buffer is the stored bytes: a scalar type,
  // host byte order, no scaling (niftilib reads non-finite slopes as 0), up to 3 dimensions used.
  double slope = version == 1 ? readAt<float>(p + 112, swap) : readAt<double>(p + 176, swap);
  double inter = version == 1 ? readAt<float>(p + 116, swap) : readAt<double>(p + 184, swap);
  if (!std::isfinite(slope)) slope = 0;
  if (!std::isfinite(inter)) inter = 0;
  bool higherDims = false;
  for (int i = 4; i <= dim[0]; ++i) higherDims = higherDims || dim[i] > 1;
  l.storedType = scalarType(datatype);
  uint32_t crc = 0, isize = 0;
  const bool trailer = gzipTrailer(l.dataPath, crc, isize);
  // Deflate cannot expand more than 1032:1; a CT volume compresses far less than 64:1.
  const bool plausible = need / 64 <= fileBytes + (uint64_t{1} << 20);
  l.verifyAfterRead = l.storedType && swap == false && (slope == 0 || slope == 1) && inter == 0 &&
                      !higherDims && !pair && trailer && isize == static_cast<uint32_t>(need) && plausible;
  if (!l.verifyAfterRead) checkGzipInflates(l.dataPath, need);
  return l;
}

void checkNiftiRead(const NiftiLayout& l, const Volume& v) {
  if (!l.verifyAfterRead) return;
  const uint64_t need = l.voxOffset + l.voxelBytes;
  bool confirmed = false;
  uint32_t crc = 0, isize = 0;
  if (v.pixelType() == *l.storedType && v.byteSize() == l.voxelBytes && gzipTrailer(l.dataPath, crc, isize)) {
    gzFile gz = gzopen(l.dataPath.c_str(), "rb");
    if (!gz) throw InputError("cannot read image '" + l.dataPath + "'");
    uLong sum = crc32(0L, Z_NULL, 0);
    std::vector<unsigned char> buf(1 << 16);
    uint64_t left = l.voxOffset;
    while (left > 0) {
      const int n = gzread(gz, buf.data(), static_cast<unsigned>(std::min<uint64_t>(left, buf.size())));
      if (n <= 0) break;
      sum = crc32(sum, buf.data(), static_cast<uInt>(n));
      left -= static_cast<uint64_t>(n);
    }
    gzclose(gz);
    const auto* data = static_cast<const unsigned char*>(v.data());
    for (uint64_t done = 0; left == 0 && done < l.voxelBytes;) {
      const uInt n = static_cast<uInt>(std::min<uint64_t>(l.voxelBytes - done, uint64_t{1} << 30));
      sum = crc32(sum, data + done, n);
      done += n;
    }
    confirmed = left == 0 && sum == crc && isize == static_cast<uint32_t>(need);
  }
  if (confirmed) return;
  // Several gzip members, bytes after the voxels, or voxels that were not all there: count them.
  checkGzipInflates(l.dataPath, need);
}

}  // namespace fmcib::io::detail
