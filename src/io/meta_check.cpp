// MetaImage (.mha/.mhd) headers checked before MetaIO parses them: MetaIO loops forever on
// `NDims = -1`, trusts DimSize and HeaderSize (a negative HeaderSize reads the wrong bytes), sizes
// buffers from CompressedDataSize, leaves the tail of the voxel buffer uninitialised when a zlib
// stream ends early, and opens whatever ElementDataFile names (a FIFO blocks for ever). Here every
// geometry field is parsed and bounded, every data file must be a regular file holding the bytes
// the header announces, and a compressed stream must inflate to all of them.
#include <sys/stat.h>
#include <zlib.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <vector>

#include "fmcib/io/csv.hpp"
#include "fmcib/io/excerpt.hpp"
#include "image_io_detail.hpp"

namespace fmcib::io::detail {

namespace {

namespace fs = std::filesystem;

constexpr size_t kMaxMetaHeaderBytes = size_t{1} << 20;
constexpr int kMaxMetaDims = 10;  // MetaIO's own limit

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

class MetaHeader {
 public:
  explicit MetaHeader(const std::string& path) : path_(path) {}

  [[noreturn]] void bad(const std::string& what) const {
    throw InputError("image '" + path_ + "' has an invalid MetaImage header: " + what);
  }

  /// Reads "Key = Value" lines up to ElementDataFile (MetaIO stops there); returns the offset after it.
  uint64_t parse(std::istream& in) {
    std::string text(kMaxMetaHeaderBytes, '\0');
    in.read(text.data(), static_cast<std::streamsize>(text.size()));
    text.resize(static_cast<size_t>(in.gcount()));
    size_t pos = 0;
    while (pos < text.size()) {
      size_t eol = text.find('\n', pos);
      const bool last = eol == std::string::npos;
      const std::string line = text.substr(pos, last ? std::string::npos : eol - pos);
      pos = last ? text.size() : eol + 1;
      const size_t eq = line.find('=');
      if (eq == std::string::npos) continue;
      const std::string key = lower(trimText(line.substr(0, eq)));
      fields_[key] = trimText(line.substr(eq + 1));
      if (key == "elementdatafile") {
        rest_ = text.substr(pos);
        return pos;
      }
    }
    bad("no ElementDataFile line in its first " + std::to_string(kMaxMetaHeaderBytes) + " bytes");
  }

  const std::string* field(const std::string& key) const {
    auto it = fields_.find(key);
    return it == fields_.end() ? nullptr : &it->second;
  }

  int64_t integer(const std::string& key, int64_t lo, int64_t hi, int64_t fallback) const {
    const std::string* v = field(key);
    if (!v) return fallback;
    const auto d = parseDecimal(*v);
    if (!d || *d != std::trunc(*d) || *d < static_cast<double>(lo) || *d > static_cast<double>(hi))
      bad(key + " = '" + excerpt(*v) + "' is not an integer in " + std::to_string(lo) + ".." +
          std::to_string(hi));
    return static_cast<int64_t>(*d);
  }

  bool boolean(const std::string& key, bool fallback) const {
    const std::string* v = field(key);
    if (!v) return fallback;
    const std::string l = lower(*v);
    if (l == "true" || l == "1") return true;
    if (l == "false" || l == "0") return false;
    bad(key + " = '" + excerpt(*v) + "' is neither True nor False");
  }

  /// `count` finite numbers (when the key is present).
  std::vector<double> numbers(const std::string& key, size_t count, bool nonZero) const {
    const std::string* v = field(key);
    if (!v) return {};
    const auto w = splitWords(*v);
    std::vector<double> out;
    for (const auto& s : w) {
      const auto d = parseDecimal(s);
      if (!d || !plausibleGeometryValue(*d) || (nonZero && *d == 0)) bad(key + " holds '" + excerpt(s) + "'");
      out.push_back(*d);
    }
    if (out.size() != count)
      bad(key + " holds " + std::to_string(out.size()) + " values, NDims needs " + std::to_string(count));
    return out;
  }

  const std::string& rest() const { return rest_; }

 private:
  std::string path_;
  std::map<std::string, std::string> fields_;
  std::string rest_;  // what follows the ElementDataFile line (LIST file names)
};

int elementBytes(const std::string& type) {
  static const std::map<std::string, int> kSizes = {
      {"MET_CHAR", 1},      {"MET_UCHAR", 1},      {"MET_SHORT", 2}, {"MET_USHORT", 2},
      {"MET_INT", 4},       {"MET_UINT", 4},       {"MET_LONG", 4},  {"MET_ULONG", 4},
      {"MET_LONG_LONG", 8}, {"MET_ULONG_LONG", 8}, {"MET_FLOAT", 4}, {"MET_DOUBLE", 8}};
  auto it = kSizes.find(type);
  return it == kSizes.end() ? 0 : it->second;
}

/// Inflates `length` bytes at `offset` of `file` (zlib or gzip framing, as MetaIO accepts) and
/// returns how many bytes they expand to, stopping a little past `need`.
uint64_t inflatedSize(const std::string& file, uint64_t offset, uint64_t length, uint64_t need, bool& error) {
  std::ifstream in(file, std::ios::binary);
  in.seekg(static_cast<std::streamoff>(offset));
  z_stream z{};
  if (inflateInit2(&z, 47) != Z_OK) throw RuntimeError("zlib: inflateInit2 failed");
  std::vector<unsigned char> src(1 << 16), dst(1 << 20);
  uint64_t out = 0, left = length;
  int rc = Z_OK;
  error = false;
  while (rc != Z_STREAM_END && out <= need) {
    if (z.avail_in == 0) {
      if (left == 0) break;
      in.read(reinterpret_cast<char*>(src.data()),
              static_cast<std::streamsize>(std::min<uint64_t>(left, src.size())));
      const auto got = static_cast<uint64_t>(in.gcount());
      if (got == 0) break;
      left -= got;
      z.next_in = src.data();
      z.avail_in = static_cast<uInt>(got);
    }
    z.next_out = dst.data();
    z.avail_out = static_cast<uInt>(dst.size());
    rc = inflate(&z, Z_NO_FLUSH);
    out += dst.size() - z.avail_out;
    if (rc != Z_OK && rc != Z_STREAM_END) {
      error = true;
      break;
    }
  }
  inflateEnd(&z);
  return out;
}

}  // namespace

std::string trimText(const std::string& s) {
  const size_t b = s.find_first_not_of(" \t\r");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t\r") - b + 1);
}

std::vector<std::string> splitWords(const std::string& s) {
  std::istringstream in(s);
  std::vector<std::string> out;
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

std::string besideHeader(const std::string& header, const std::string& name) {
  const fs::path p(name), folder = fs::path(header).parent_path();
  return (p.is_absolute() || folder.empty() ? p : folder / p).string();
}

uint64_t dataFileSize(const std::string& image, const std::string& data) {
  struct stat st {};
  if (::stat(data.c_str(), &st) != 0)
    throw InputError("image '" + image + "' names a data file '" + data + "' that does not exist");
  if (!S_ISREG(st.st_mode))
    throw InputError("image '" + image + "' names a data file '" + data + "' that is not a regular file");
  return static_cast<uint64_t>(st.st_size);
}

void checkHolds(const std::string& image, const std::string& file, uint64_t have, uint64_t need) {
  if (have < need)
    throw InputError(
        "image '" + image + "' is truncated: " + (file == image ? "it" : "its data file '" + file + "'") +
        " holds " + std::to_string(have) + " bytes, its header announces " + std::to_string(need));
}

void checkMetaImage(const std::string& path, bool voxels) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError("cannot read image '" + path + "'");
  MetaHeader h(path);
  const uint64_t headerEnd = h.parse(in);

  const int64_t dims = h.integer("ndims", 1, kMaxMetaDims, 0);
  if (dims == 0) h.bad("NDims is missing");
  const std::string* dimSize = h.field("dimsize");
  if (!dimSize) h.bad("DimSize is missing");
  const auto sizes = splitWords(*dimSize);
  if (static_cast<int64_t>(sizes.size()) != dims)
    h.bad("DimSize holds " + std::to_string(sizes.size()) + " values, NDims is " + std::to_string(dims));
  std::vector<uint64_t> size;
  for (const auto& s : sizes) {
    const auto d = parseDecimal(s);
    if (!d || *d != std::trunc(*d) || *d < 1 || *d > 2147483647.0)
      h.bad("DimSize holds '" + excerpt(s) + "'");
    size.push_back(static_cast<uint64_t>(*d));
  }
  const auto n = static_cast<size_t>(dims);
  h.numbers("elementspacing", n, true);
  h.numbers("elementsize", n, true);
  h.numbers("offset", n, false);
  h.numbers("position", n, false);
  h.numbers("origin", n, false);
  h.numbers("centerofrotation", n, false);
  h.numbers("transformmatrix", n * n, false);
  h.numbers("rotation", n * n, false);
  h.numbers("orientation", n * n, false);
  const std::string* type = h.field("elementtype");
  if (!type) h.bad("ElementType is missing");
  const int elem = elementBytes(*type);
  if (elem == 0) h.bad("unsupported ElementType '" + excerpt(*type) + "'");
  const int64_t channels = h.integer("elementnumberofchannels", 1, 1024, 1);
  const int64_t headerSize = h.integer("headersize", -1, int64_t{1} << 50, 0);
  if (!h.boolean("binarydata", true)) h.bad("BinaryData = False (ASCII voxels) is not supported");
  const bool compressed = h.boolean("compresseddata", false);
  const int64_t compressedSize = h.integer("compresseddatasize", 0, int64_t{1} << 50, 0);
  h.boolean("binarydatabyteordermsb", false);
  h.boolean("elementbyteordermsb", false);

  uint64_t bytes = static_cast<uint64_t>(elem) * static_cast<uint64_t>(channels);
  for (uint64_t s : size)
    if (__builtin_mul_overflow(bytes, s, &bytes) || bytes > (uint64_t{1} << 48))
      h.bad("DimSize multiplies to more than 2^48 bytes");

  // The data files and the bytes each must hold.
  const std::string dataFile = *h.field("elementdatafile");
  std::vector<std::string> files;
  uint64_t perFile = bytes;
  // MetaIO's own reading of the name: exactly LOCAL/Local/local, a LIST prefix, a printf pattern.
  if (dataFile.size() > 1000) h.bad("ElementDataFile is longer than 1000 characters");
  if (dataFile == "LOCAL" || dataFile == "Local" || dataFile == "local") {
    files.push_back(path);
  } else if (dataFile.compare(0, 4, "LIST") == 0) {
    if (compressed) h.bad("a compressed LIST of data files is not supported");
    const auto dfWords = splitWords(dataFile);
    int64_t fileDims = dfWords.size() > 1 ? static_cast<int64_t>(std::atof(dfWords[1].c_str())) : 0;
    if (fileDims <= 0 || fileDims > dims) fileDims = dims - 1;  // as MetaIO defaults it
    uint64_t count = 1;
    perFile = static_cast<uint64_t>(elem) * static_cast<uint64_t>(channels);
    for (int64_t i = 0; i < dims; ++i) (i < fileDims ? perFile : count) *= size[static_cast<size_t>(i)];
    std::istringstream names(h.rest());
    for (std::string line; files.size() < count && std::getline(names, line);) {
      if (trimText(line).size() > 1000) h.bad("a LIST file name is longer than 1000 characters");
      if (!trimText(line).empty()) files.push_back(besideHeader(path, trimText(line)));
    }
    if (files.size() != count)
      h.bad("ElementDataFile = LIST names " + std::to_string(files.size()) + " files, DimSize needs " +
            std::to_string(count));
  } else if (dataFile.find('%') != std::string::npos) {
    h.bad("numbered ElementDataFile patterns ('" + excerpt(dataFile) + "') are not supported");
  } else if (dataFile.empty()) {
    h.bad("ElementDataFile is empty");
  } else {
    files.push_back(besideHeader(path, dataFile));
  }

  for (const std::string& file : files) {
    const uint64_t fileSize = dataFileSize(path, file);
    const uint64_t offset =
        file == path && headerSize <= 0 ? headerEnd : static_cast<uint64_t>(std::max<int64_t>(headerSize, 0));
    if (!compressed) {
      checkHolds(path, file, fileSize, headerSize == -1 ? perFile : offset + perFile);
      continue;
    }
    if (headerSize == -1) h.bad("HeaderSize = -1 with compressed data is not supported");
    if (offset > fileSize) h.bad("the data start past the end of '" + file + "'");
    const uint64_t available = fileSize - offset;
    if (static_cast<uint64_t>(compressedSize) > available)
      throw InputError("image '" + path + "' is truncated: CompressedDataSize is " +
                       std::to_string(compressedSize) + ", " + std::to_string(available) +
                       " bytes follow the header");
    if (!voxels) continue;
    const uint64_t length = compressedSize > 0 ? static_cast<uint64_t>(compressedSize) : available;
    bool error = false;
    const uint64_t have = inflatedSize(file, offset, length, bytes, error);
    if (have < bytes)
      throw InputError("image '" + path + "' is truncated or corrupt: its compressed voxels inflate to " +
                       std::to_string(have) + " bytes" + (error ? " before a zlib error" : "") +
                       ", its header announces " + std::to_string(bytes));
  }
}

}  // namespace fmcib::io::detail
