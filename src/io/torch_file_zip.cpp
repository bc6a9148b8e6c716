// Central directory checks of torch.save archives (see torch_file_zip.hpp). Zip64 is supported:
// torch.save switches to it for archives over 4 GiB.
#include "torch_file_zip.hpp"

#include <algorithm>
#include <cstring>
#include <vector>

#include "bounded_file.hpp"
#include "torch_file_unpickler.hpp"

namespace fmcib::io::detail {
namespace {

constexpr uint32_t kEndSig = 0x06054b50, kEnd64Sig = 0x06064b50, kLocator64Sig = 0x07064b50;
constexpr uint32_t kCentralSig = 0x02014b50, kLocalSig = 0x04034b50;
constexpr uint64_t kEndSize = 22, kCentralSize = 46, kLocalSize = 30;
// Deflate expands at most 1032:1 (RFC 1951 blocks of 258-byte matches per bit pair).
constexpr uint64_t kMaxDeflateRatio = 1032;

[[noreturn]] void bad(const std::string& what) {
  throw PickleError("zip directory: " + what);
}

uint64_t le(const unsigned char* p, int n) {
  uint64_t v = 0;
  for (int i = n - 1; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

class File : public BoundedFile {
 public:
  using BoundedFile::BoundedFile;
  using BoundedFile::read;
  std::vector<unsigned char> read(uint64_t offset, size_t n, const char* what) {
    std::vector<unsigned char> b(n);
    if (!read(offset, n, b.data())) bad(std::string(what) + " lies beyond the end of the file");
    return b;
  }
};

struct Entry {
  std::string name;
  uint64_t localOffset = 0, dataOffset = 0;
  ZipRecord record;
};

/// Replaces the 32-bit fields that hold 0xFFFFFFFF by their zip64 extra-field values.
void applyZip64(const unsigned char* extra, size_t n, Entry& e, bool sizeMax, bool compMax, bool offMax) {
  for (size_t p = 0; p + 4 <= n;) {
    const uint64_t id = le(extra + p, 2), len = le(extra + p + 2, 2);
    if (p + 4 + len > n) bad("entry '" + printable(e.name) + "' has a malformed extra field");
    if (id == 1) {
      size_t q = p + 4;
      auto next = [&](uint64_t& field) {
        if (q + 8 > p + 4 + len) bad("entry '" + printable(e.name) + "' has a short zip64 field");
        field = le(extra + q, 8);
        q += 8;
      };
      if (sizeMax) next(e.record.size);
      if (compMax) next(e.record.compressedSize);
      if (offMax) next(e.localOffset);
      return;
    }
    p += 4 + len;
  }
  if (sizeMax || compMax || offMax) bad("entry '" + printable(e.name) + "' lacks its zip64 sizes");
}

struct Directory {
  uint64_t offset = 0, size = 0, entries = 0, end = 0;  // end: where the end records start
};

std::optional<Directory> findDirectory(File& f) {
  if (f.size() < kEndSize) return std::nullopt;
  const uint64_t tail = std::min<uint64_t>(f.size(), kEndSize + 0xffff);
  std::vector<unsigned char> b(tail);
  if (!f.read(f.size() - tail, tail, b.data())) return std::nullopt;
  for (uint64_t i = tail - kEndSize + 1; i-- > 0;) {
    const unsigned char* p = b.data() + i;
    if (le(p, 4) != kEndSig || i + kEndSize + le(p + 20, 2) != tail) continue;
    Directory d{le(p + 16, 4), le(p + 12, 4), le(p + 10, 2), f.size() - tail + i};
    if (le(p + 4, 2) != 0 || le(p + 6, 2) != 0) bad("archives spanning several disks are not supported");
    // A zip64 locator sits right before the end record.
    unsigned char loc[20];
    if (d.end >= 20 && f.read(d.end - 20, 20, loc) && le(loc, 4) == kLocator64Sig) {
      const uint64_t at = le(loc + 8, 8);
      const auto z = f.read(at, 56, "the zip64 end record");
      if (le(z.data(), 4) != kEnd64Sig) bad("the zip64 end record has a wrong signature");
      d = {le(z.data() + 48, 8), le(z.data() + 40, 8), le(z.data() + 32, 8), at};
    }
    return d;
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::unordered_map<std::string, ZipRecord>> readZipDirectory(const std::string& path) {
  File f(path);
  const auto dir = findDirectory(f);
  if (!dir) return std::nullopt;
  if (dir->offset > dir->end || dir->size > dir->end - dir->offset)
    bad("the central directory lies outside the archive");
  if (dir->size > kMaxZipDirectoryBytes)
    bad("the central directory holds " + std::to_string(dir->size) + " bytes (at most " +
        std::to_string(kMaxZipDirectoryBytes) + " are read)");
  if (dir->entries > dir->size / kCentralSize) bad("the entry count does not fit the central directory");
  const auto cd = f.read(dir->offset, static_cast<size_t>(dir->size), "the central directory");

  std::vector<Entry> entries;
  for (uint64_t i = 0, p = 0; i < dir->entries; ++i) {
    if (p + kCentralSize > cd.size() || le(cd.data() + p, 4) != kCentralSig)
      bad("central directory entry " + std::to_string(i) + " is malformed");
    const unsigned char* h = cd.data() + p;
    const uint64_t nameLen = le(h + 28, 2), extraLen = le(h + 30, 2), commentLen = le(h + 32, 2);
    if (p + kCentralSize + nameLen + extraLen + commentLen > cd.size())
      bad("central directory entry " + std::to_string(i) + " runs past the directory");
    Entry e;
    e.name.assign(reinterpret_cast<const char*>(h + kCentralSize), nameLen);
    e.record.method = static_cast<uint16_t>(le(h + 10, 2));
    e.record.compressedSize = le(h + 20, 4);
    e.record.size = le(h + 24, 4);
    e.localOffset = le(h + 42, 4);
    const uint64_t max32 = 0xffffffff;
    applyZip64(h + kCentralSize + nameLen, extraLen, e, e.record.size == max32,
               e.record.compressedSize == max32, e.localOffset == max32);
    if (le(h + 8, 2) & 1) bad("entry '" + printable(e.name) + "' is encrypted");
    if (e.record.method != 0 && e.record.method != 8)
      bad("entry '" + printable(e.name) + "' uses compression method " + std::to_string(e.record.method) +
          " (only stored and deflate are read)");
    if (e.record.method == 0 && e.record.size != e.record.compressedSize)
      bad("stored entry '" + printable(e.name) + "' has different compressed and uncompressed sizes");
    if (e.record.method == 8 && e.record.size / kMaxDeflateRatio > e.record.compressedSize)
      bad("deflated entry '" + printable(e.name) + "' claims " + std::to_string(e.record.size) +
          " bytes from " + std::to_string(e.record.compressedSize) + ", more than deflate can expand to");
    entries.push_back(std::move(e));
    p += kCentralSize + nameLen + extraLen + commentLen;
  }

  // PyTorchStreamReader names records after the first entry's top folder ("archive/data.pkl").
  const std::string top =
      entries.empty() ? "" : entries.front().name.substr(0, entries.front().name.find('/') + 1);
  std::unordered_map<std::string, ZipRecord> records;
  std::unordered_map<std::string, int> names;
  for (Entry& e : entries) {
    if (++names[e.name] > 1) bad("two entries are named '" + printable(e.name) + "'");
    unsigned char l[kLocalSize];
    if (e.localOffset > dir->offset || !f.read(e.localOffset, kLocalSize, l) || le(l, 4) != kLocalSig)
      bad("entry '" + printable(e.name) + "' points at no local header");
    const uint64_t nameLen = le(l + 26, 2), extraLen = le(l + 28, 2);
    const auto localName = f.read(e.localOffset + kLocalSize, nameLen, "a local file name");
    if (nameLen != e.name.size() || std::memcmp(localName.data(), e.name.data(), nameLen) != 0 ||
        le(l + 8, 2) != e.record.method)
      bad("the local header of entry '" + printable(e.name) + "' disagrees with its directory entry");
    e.dataOffset = e.localOffset + kLocalSize + nameLen + extraLen;
    if (e.dataOffset > dir->offset || e.record.compressedSize > dir->offset - e.dataOffset)
      bad("entry '" + printable(e.name) + "' reaches past the archive's data (into the directory)");
    if (!top.empty() && e.name.compare(0, top.size(), top) == 0)
      records.emplace(e.name.substr(top.size()), e.record);
  }
  std::sort(entries.begin(), entries.end(),
            [](const Entry& a, const Entry& b) { return a.localOffset < b.localOffset; });
  for (size_t i = 1; i < entries.size(); ++i)
    if (entries[i].localOffset < entries[i - 1].dataOffset + entries[i - 1].record.compressedSize)
      bad("entries '" + printable(entries[i - 1].name) + "' and '" + printable(entries[i].name) +
          "' overlap");
  return records;
}

}  // namespace fmcib::io::detail
