// Scan cache entries: uncompressed MetaImage files (`.mha`, header + raw voxels, x fastest) that ITK
// can read a region of, plus the in-memory scan source. The header is written here, with the
// geometry at full precision and the source stamp in its Comment, and parsed here too, so the
// geometry a cached scan reports is bit for bit the decoded one.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <climits>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <sstream>
#include <thread>

#include "fmcib/config/error.hpp"
#include "fmcib/data/scan_cache.hpp"
#include "fmcib/data/stage_timer.hpp"
#include "fmcib/io/atomic_file.hpp"

namespace fmcib::data {

namespace fs = std::filesystem;

io::ImageGeometry boxGeometry(const io::ImageGeometry& grid, const io::Index3& start,
                              const io::Index3& size) {
  io::ImageGeometry g = grid;
  g.size = size;
  g.origin = grid.indexToPhysical(
      {static_cast<double>(start[0]), static_cast<double>(start[1]), static_cast<double>(start[2])});
  return g;
}

namespace {

void checkBox(const io::ImageGeometry& g, const io::Index3& start, const io::Index3& size,
              const std::string& what) {
  for (int a = 0; a < 3; ++a)
    if (start[a] < 0 || size[a] < 0 || start[a] + size[a] > g.size[a])
      throw RuntimeError("box start [" + std::to_string(start[0]) + ", " + std::to_string(start[1]) + ", " +
                         std::to_string(start[2]) + "] size [" + std::to_string(size[0]) + ", " +
                         std::to_string(size[1]) + ", " + std::to_string(size[2]) + "] is outside " + what +
                         " (" + g.describe() + ")");
}

constexpr const char* kMagic = "fmcib-scan-cache-v1";

const std::map<io::PixelType, const char*>& metaTypes() {
  static const std::map<io::PixelType, const char*> types = {
      {io::PixelType::kUInt8, "MET_UCHAR"},       {io::PixelType::kInt8, "MET_CHAR"},
      {io::PixelType::kUInt16, "MET_USHORT"},     {io::PixelType::kInt16, "MET_SHORT"},
      {io::PixelType::kUInt32, "MET_UINT"},       {io::PixelType::kInt32, "MET_INT"},
      {io::PixelType::kUInt64, "MET_ULONG_LONG"}, {io::PixelType::kInt64, "MET_LONG_LONG"},
      {io::PixelType::kFloat32, "MET_FLOAT"},     {io::PixelType::kFloat64, "MET_DOUBLE"}};
  return types;
}

std::string num(double v) {
  char buf[40];
  std::snprintf(buf, sizeof(buf), "%.17g", v);
  return buf;
}

bool hostIsBigEndian() {
  const uint16_t one = 1;
  unsigned char first;
  std::memcpy(&first, &one, 1);
  return first == 0;
}

std::string header(const io::Volume& scan, const SourceStamp& stamp) {
  const io::ImageGeometry& g = scan.geometry();
  std::ostringstream h;
  h << "ObjectType = Image\nNDims = 3\n";
  h << "Comment = " << kMagic << " size " << stamp.size << " mtime_ns " << stamp.mtimeNs << " files "
    << stamp.files << "\n";
  h << "BinaryData = True\nBinaryDataByteOrderMSB = " << (hostIsBigEndian() ? "True" : "False")
    << "\nCompressedData = False\n";
  // MetaImage's TransformMatrix lists the direction of each index axis in turn (ITK's columns).
  h << "TransformMatrix =";
  for (int axis = 0; axis < 3; ++axis)
    for (int r = 0; r < 3; ++r) h << " " << num(g.dir(r, axis));
  h << "\nOffset = " << num(g.origin[0]) << " " << num(g.origin[1]) << " " << num(g.origin[2]) << "\n";
  h << "CenterOfRotation = 0 0 0\n";
  h << "ElementSpacing = " << num(g.spacing[0]) << " " << num(g.spacing[1]) << " " << num(g.spacing[2])
    << "\n";
  h << "DimSize = " << g.size[0] << " " << g.size[1] << " " << g.size[2] << "\n";
  h << "ElementType = " << metaTypes().at(scan.pixelType()) << "\n";
  h << "ElementDataFile = LOCAL\n";
  return h.str();
}

class CacheFileSource : public ScanSource {
 public:
  CacheFileSource(int fd, std::string path, io::PixelType type, io::ImageGeometry geometry,
                  int64_t dataOffset)
      : fd_(fd), path_(std::move(path)), type_(type), geometry_(geometry), dataOffset_(dataOffset) {}
  ~CacheFileSource() override { ::close(fd_); }
  io::PixelType pixelType() const override { return type_; }
  const io::ImageGeometry& geometry() const override { return geometry_; }

  io::Volume region(const io::Index3& start, const io::Index3& size) const override {
    ScopedStage timer(Stage::kRead);
    checkBox(geometry_, start, size, "the cached scan " + path_);
    io::Volume out(type_, boxGeometry(geometry_, start, size));
    const int64_t ps = static_cast<int64_t>(io::pixelSize(type_));
    const int64_t nx = geometry_.size[0], ny = geometry_.size[1];
    char* dst = static_cast<char*>(out.data());
    const bool fullRows = start[0] == 0 && size[0] == nx;
    for (int64_t z = 0; z < size[2]; ++z) {
      if (fullRows && start[1] == 0 && size[1] == ny) {  // whole slices are contiguous
        readAt(dst, nx * ny * ps, ((start[2] + z) * ny) * nx * ps);
        dst += nx * ny * ps;
        continue;
      }
      for (int64_t y = 0; y < size[1]; ++y) {
        readAt(dst, size[0] * ps, (((start[2] + z) * ny + start[1] + y) * nx + start[0]) * ps);
        dst += size[0] * ps;
      }
    }
    return out;
  }

  io::Volume whole() const override { return region({0, 0, 0}, geometry_.size); }

 private:
  void readAt(char* dst, int64_t bytes, int64_t offset) const {
    int64_t done = 0;
    while (done < bytes) {
      const ssize_t r = ::pread(fd_, dst + done, static_cast<size_t>(bytes - done),
                                static_cast<off_t>(dataOffset_ + offset + done));
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0)
        throw RuntimeError("scan cache file '" + path_ + "' became unreadable or shorter while in use (" +
                           (r < 0 ? std::string(std::strerror(errno)) : std::string("end of file")) +
                           "); delete it to have it rebuilt");
      done += r;
    }
  }

  int fd_;
  std::string path_;
  io::PixelType type_;
  io::ImageGeometry geometry_;
  int64_t dataOffset_;
};

bool parseHeader(const std::string& text, std::map<std::string, std::string>& fields, size_t& length) {
  size_t pos = 0;
  while (pos < text.size()) {
    const size_t eol = text.find('\n', pos);
    if (eol == std::string::npos) return false;
    const std::string line = text.substr(pos, eol - pos);
    pos = eol + 1;
    const size_t eq = line.find(" = ");
    if (eq == std::string::npos) return false;
    fields[line.substr(0, eq)] = line.substr(eq + 3);
    if (line.substr(0, eq) == "ElementDataFile") {
      length = pos;
      return fields["ElementDataFile"] == "LOCAL";
    }
  }
  return false;
}

template <class T, size_t N>
bool parseNumbers(const std::string& text, std::array<T, N>& out) {
  std::istringstream in(text);
  for (auto& v : out)
    if (!(in >> v)) return false;
  std::string rest;
  return !(in >> rest);
}

/// Why `g` (with `type`) cannot be a scan's geometry, or "" — every field is checked, since a
/// tampered header whose sizes multiply (and wrap) back to the file's length would otherwise pass.
std::string badGeometry(const io::ImageGeometry& g, io::PixelType type, int64_t& bytes) {
  bytes = static_cast<int64_t>(io::pixelSize(type));
  for (int a = 0; a < 3; ++a) {
    if (g.size[a] < 1 || __builtin_mul_overflow(bytes, g.size[a], &bytes)) return "bad DimSize";
    if (!(std::isfinite(g.spacing[a]) && g.spacing[a] > 0)) return "bad ElementSpacing";
    if (!std::isfinite(g.origin[a])) return "bad Offset";
  }
  for (double d : g.direction)
    if (!std::isfinite(d)) return "bad TransformMatrix";
  const auto& m = g.direction;
  const double det = m[0] * (m[4] * m[8] - m[5] * m[7]) - m[1] * (m[3] * m[8] - m[5] * m[6]) +
                     m[2] * (m[3] * m[7] - m[4] * m[6]);
  if (!(std::abs(det) > 1e-6)) return "singular TransformMatrix";
  return "";
}

}  // namespace

io::Volume MemoryScanSource::region(const io::Index3& start, const io::Index3& size) const {
  checkBox(scan_.geometry(), start, size, "the scan");
  io::Volume out(scan_.pixelType(), boxGeometry(scan_.geometry(), start, size));
  const size_t ps = io::pixelSize(scan_.pixelType());
  const io::Index3& n = scan_.geometry().size;
  const char* src = static_cast<const char*>(scan_.data());
  char* dst = static_cast<char*>(out.data());
  for (int64_t z = 0; z < size[2]; ++z)
    for (int64_t y = 0; y < size[1]; ++y) {
      const int64_t from = ((start[2] + z) * n[1] + start[1] + y) * n[0] + start[0];
      std::memcpy(dst, src + from * static_cast<int64_t>(ps), static_cast<size_t>(size[0]) * ps);
      dst += static_cast<size_t>(size[0]) * ps;
    }
  return out;
}

void writeCacheEntry(const io::Volume& scan, const SourceStamp& stamp, const std::string& path) {
  // Durable before it becomes visible (AtomicFile syncs before the rename): a crash never leaves a
  // complete-looking entry of zeros. Threads and ranks writing the same entry each use their own
  // temporary; the last rename wins with identical bytes.
  io::AtomicFile file(path);
  file.write(header(scan, stamp));
  file.write(scan.data(), scan.byteSize());
  file.commit();
}

ScanSourcePtr openCacheEntry(const std::string& path, const SourceStamp& stamp, std::string* why) {
  auto fail = [&](const std::string& reason) -> ScanSourcePtr {
    if (why) *why = reason;
    return nullptr;
  };
  // O_NONBLOCK: a FIFO planted under the entry's name must not block the open (checked below).
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return fail(errno == ENOENT ? "missing" : std::string("unreadable: ") + std::strerror(errno));
  // The fd stays open (and the data readable) even if another process replaces the entry.
  struct Closer {
    int fd;
    bool keep = false;
    ~Closer() {
      if (!keep) ::close(fd);
    }
  } closer{fd};
  struct stat st {};
  if (::fstat(fd, &st) != 0) return fail("cannot stat");
  if (!S_ISREG(st.st_mode)) return fail("not a regular file");
  std::string text(4096, '\0');
  const ssize_t n = ::pread(fd, text.data(), text.size(), 0);
  if (n <= 0) return fail("empty");
  text.resize(static_cast<size_t>(n));
  std::map<std::string, std::string> f;
  size_t headerLength = 0;
  if (!parseHeader(text, f, headerLength)) return fail("malformed header");
  std::istringstream comment(f["Comment"]);
  std::string magic, k1, k2, k3;
  SourceStamp s;
  if (!(comment >> magic >> k1 >> s.size >> k2 >> s.mtimeNs >> k3 >> s.files) || magic != kMagic)
    return fail("not an fmcib cache entry of this version");
  if (s != stamp) return fail("stale (the source changed)");
  io::ImageGeometry g;
  std::array<double, 9> tm{};
  if (!parseNumbers(f["TransformMatrix"], tm) || !parseNumbers(f["Offset"], g.origin) ||
      !parseNumbers(f["ElementSpacing"], g.spacing) || !parseNumbers(f["DimSize"], g.size))
    return fail("malformed geometry");
  for (int axis = 0; axis < 3; ++axis)
    for (int r = 0; r < 3; ++r) g.direction[3 * r + axis] = tm[3 * axis + r];
  std::optional<io::PixelType> type;
  for (const auto& [t, name] : metaTypes())
    if (f["ElementType"] == name) type = t;
  if (!type) return fail("unknown ElementType " + f["ElementType"]);
  if (f["BinaryDataByteOrderMSB"] != (hostIsBigEndian() ? "True" : "False"))
    return fail("foreign byte order");
  int64_t voxelBytes = 0;
  if (const std::string bad = badGeometry(g, *type, voxelBytes); !bad.empty())
    return fail("malformed geometry (" + bad + ")");
  if (f["NDims"] != "3" || f["BinaryData"] != "True" || f["CompressedData"] != "False")
    return fail("not an uncompressed binary 3D entry");
  if (voxelBytes > INT64_MAX - static_cast<int64_t>(headerLength))
    return fail("malformed geometry (too large)");
  const int64_t expected = static_cast<int64_t>(headerLength) + voxelBytes;
  if (static_cast<int64_t>(st.st_size) != expected)
    return fail("truncated (" + std::to_string(st.st_size) + " bytes, expected " + std::to_string(expected) +
                ")");
  closer.keep = true;
  return std::make_shared<CacheFileSource>(fd, path, *type, g, static_cast<int64_t>(headerLength));
}

}  // namespace fmcib::data
