// The element structure of DICOM files, walked before GDCM parses them. GDCM recurses once per
// nested sequence (100,000 levels overflow the stack), asserts on malformed input (an element
// longer than the file, a sequence never closed, an unknown VR), and fills the pixels a cut file
// lacks with zeros. This walker reads tags and lengths only, with limits, and checks that the pixel
// data holds every pixel the image attributes announce. It accepts the transfer syntaxes GDCM
// reads without inflating the data set: implicit and explicit VR little endian, explicit big
// endian, and the encapsulated (compressed) ones.
#include <sys/stat.h>

#include <cstring>
#include <filesystem>
#include <optional>

#include "bounded_file.hpp"
#include "fmcib/io/excerpt.hpp"
#include "image_io_detail.hpp"

namespace fmcib::io::detail {

namespace {

namespace fs = std::filesystem;

constexpr uint64_t kUndefined = 0xffffffff;

struct Malformed {
  std::string what;
};

std::string hex4(uint32_t v) {
  char b[8];
  std::snprintf(b, sizeof b, "%04x", v & 0xffff);
  return b;
}

bool knownVr(const std::string& vr) {
  static const char* kVrs[] = {"AE", "AS", "AT", "CS", "DA", "DS", "DT", "FL", "FD", "IS", "LO", "LT",
                               "OB", "OD", "OF", "OL", "OV", "OW", "PN", "SH", "SL", "SQ", "SS", "ST",
                               "SV", "TM", "UC", "UI", "UL", "UN", "UR", "US", "UT", "UV"};
  for (const char* v : kVrs)
    if (vr == v) return true;
  return false;
}
bool longVr(const std::string& vr) {
  static const char* kLong[] = {"OB", "OD", "OF", "OL", "OV", "OW", "SQ", "UC", "UN", "UR", "UT", "SV", "UV"};
  for (const char* v : kLong)
    if (vr == v) return true;
  return false;
}

/// The attributes that size the pixel data, from the top-level data set.
struct ImageAttributes {
  std::optional<uint64_t> rows, columns, bitsAllocated, bitsStored, highBit, samples, frames;
  bool pixelData = false, encapsulated = false;
  uint64_t pixelBytes = 0;
  uint64_t pixelOffset = 0;
};

class Walker {
 public:
  Walker(BoundedFile& f, bool bigEndian) : f_(f), big_(bigEndian) {}

  /// The elements from `pos` up to `end` (a defined length), or up to the delimiter `until`
  /// (end = the file's end); returns the position after them.
  uint64_t dataSet(uint64_t pos, uint64_t end, bool explicitVr, int depth, bool topLevel,
                   bool untilItemDelimiter) {
    while (pos < end) {
      const uint64_t at = pos;
      unsigned char h[12];
      if (!readAt(pos, h, 4)) fail(at, "an element header runs past the end");
      const uint32_t group = u16(h), element = u16(h + 2);
      if (group == 0xfffe) {
        if (!readAt(pos + 4, h + 4, 4)) fail(at, "an item header runs past the end");
        pos += 8;
        if (element == 0xe00d && untilItemDelimiter) return pos;
        fail(at, "an item tag (fffe," + hex4(element) + ") where a data element belongs");
      }
      std::string vr;
      uint64_t length = 0;
      if (explicitVr) {
        if (!readAt(pos + 4, h + 4, 4)) fail(at, "an element header runs past the end");
        vr.assign(reinterpret_cast<const char*>(h + 4), 2);
        if (!knownVr(vr)) fail(at, "element (" + hex4(group) + "," + hex4(element) + ") has an invalid VR");
        if (longVr(vr)) {
          if (!readAt(pos + 8, h + 8, 4)) fail(at, "an element header runs past the end");
          length = u32(h + 8);
          pos += 12;
        } else {
          length = u16(h + 6);
          pos += 8;
        }
      } else {
        if (!readAt(pos + 4, h + 4, 4)) fail(at, "an element header runs past the end");
        length = u32(h + 4);
        pos += 8;
      }
      const std::string tag = "(" + hex4(group) + "," + hex4(element) + ")";
      if (group == 0x7fe0 && element == 0x0010 && topLevel) {
        attrs_.pixelData = true;
        attrs_.pixelOffset = pos;
      }
      if (length == kUndefined) {
        if (group == 0x7fe0 && element == 0x0010 && (vr == "OB" || vr == "OW" || vr.empty())) {
          if (topLevel) attrs_.encapsulated = true;
          pos = fragments(pos, end, at);
        } else if (vr == "SQ" || vr == "UN" || vr.empty()) {
          // UN of undefined length is an implicit VR sequence (CP-246)
          pos = sequence(pos, end, kUndefined, explicitVr && vr != "UN", depth + 1, at);
        } else {
          fail(at, "element " + tag + " (" + vr + ") has an undefined length");
        }
        continue;
      }
      if (length > end - pos)
        fail(at, "element " + tag + " claims " + std::to_string(length) + " bytes, " +
                     std::to_string(end - pos) + " remain");
      if (vr == "SQ" || (vr.empty() && length >= 8 && startsWithItem(pos))) {
        sequence(pos, pos + length, length, explicitVr, depth + 1, at);
      } else if (topLevel) {
        record(group, element, pos, length);
      }
      pos += length;
    }
    if (untilItemDelimiter) fail(pos, "an item is never closed");
    return pos;
  }

  ImageAttributes attrs_;

 private:
  [[noreturn]] void fail(uint64_t at, const std::string& what) {
    throw Malformed{"byte " + std::to_string(at) + ": " + what};
  }
  bool readAt(uint64_t pos, unsigned char* out, size_t n) { return f_.read(pos, n, out); }
  uint32_t u16(const unsigned char* p) const {
    return big_ ? (uint32_t{p[0]} << 8 | p[1]) : (uint32_t{p[1]} << 8 | p[0]);
  }
  uint64_t u32(const unsigned char* p) const {
    return big_ ? (uint64_t{p[0]} << 24 | uint64_t{p[1]} << 16 | uint64_t{p[2]} << 8 | p[3])
                : (uint64_t{p[3]} << 24 | uint64_t{p[2]} << 16 | uint64_t{p[1]} << 8 | p[0]);
  }
  bool startsWithItem(uint64_t pos) {
    unsigned char t[4];
    return readAt(pos, t, 4) && u16(t) == 0xfffe && u16(t + 2) == 0xe000;
  }

  /// Items of a sequence: within [pos, end) for a defined length, else up to its delimiter.
  uint64_t sequence(uint64_t pos, uint64_t end, uint64_t length, bool explicitVr, int depth, uint64_t at) {
    if (depth > kMaxDicomNesting)
      fail(at, "sequences nest deeper than " + std::to_string(kMaxDicomNesting) + " levels");
    const bool defined = length != kUndefined;
    while (defined ? pos < end : true) {
      unsigned char h[8];
      if (!readAt(pos, h, 8) || pos + 8 > end) fail(at, "a sequence is never closed");
      const uint32_t group = u16(h), element = u16(h + 2);
      const uint64_t itemLength = u32(h + 4);
      const uint64_t itemAt = pos;
      pos += 8;
      if (group != 0xfffe) fail(itemAt, "a sequence holds something that is not an item");
      if (element == 0xe0dd) {
        if (defined) fail(itemAt, "a sequence of defined length ends with a delimiter");
        return pos;
      }
      if (element != 0xe000)
        fail(itemAt, "an unexpected delimiter (fffe," + hex4(element) + ") in a sequence");
      if (itemLength == kUndefined) {
        pos = dataSet(pos, end, explicitVr, depth, false, true);
      } else {
        if (itemLength > end - pos)
          fail(itemAt, "an item claims " + std::to_string(itemLength) + " bytes, " +
                           std::to_string(end - pos) + " remain");
        dataSet(pos, pos + itemLength, explicitVr, depth, false, false);
        pos += itemLength;
      }
    }
    return pos;
  }

  /// Encapsulated pixel data: items of defined length (the offset table, then fragments) up to the
  /// sequence delimiter.
  uint64_t fragments(uint64_t pos, uint64_t end, uint64_t at) {
    for (;;) {
      unsigned char h[8];
      if (!readAt(pos, h, 8) || pos + 8 > end) fail(at, "encapsulated pixel data is never closed");
      const uint32_t group = u16(h), element = u16(h + 2);
      const uint64_t length = u32(h + 4);
      pos += 8;
      if (group == 0xfffe && element == 0xe0dd) return pos;
      if (group != 0xfffe || element != 0xe000 || length == kUndefined || length > end - pos)
        fail(pos - 8, "a malformed fragment of encapsulated pixel data");
      attrs_.pixelBytes += length;
      pos += length;
    }
  }

  void record(uint32_t group, uint32_t element, uint64_t pos, uint64_t length) {
    if (group == 0x7fe0 && element == 0x0010) {
      attrs_.pixelBytes = length;
      return;
    }
    if (group != 0x0028) return;
    auto us = [&]() -> std::optional<uint64_t> {
      unsigned char b[2];
      if (length < 2 || !readAt(pos, b, 2)) return std::nullopt;
      return u16(b);
    };
    switch (element) {
      case 0x0002:
        attrs_.samples = us();
        break;
      case 0x0010:
        attrs_.rows = us();
        break;
      case 0x0011:
        attrs_.columns = us();
        break;
      case 0x0100:
        attrs_.bitsAllocated = us();
        break;
      case 0x0101:
        attrs_.bitsStored = us();
        break;
      case 0x0102:
        attrs_.highBit = us();
        break;
      case 0x0008: {  // NumberOfFrames, IS: a decimal string
        std::string s(static_cast<size_t>(std::min<uint64_t>(length, 16)), '\0');
        if (!readAt(pos, reinterpret_cast<unsigned char*>(s.data()), s.size())) break;
        uint64_t n = 0;
        bool digits = false;
        for (char c : s) {
          if (c >= '0' && c <= '9') {
            n = n * 10 + static_cast<uint64_t>(c - '0');
            digits = true;
          } else if (c != ' ' && c != '\0' && c != '+') {
            digits = false;
            break;
          }
        }
        attrs_.frames = digits ? std::optional<uint64_t>(n) : std::optional<uint64_t>(0);
        break;
      }
      default:
        break;
    }
  }

  BoundedFile& f_;
  bool big_;
};

/// The pixel data must hold every pixel of every frame; the attributes GDCM sizes buffers by must be sane.
void checkPixels(const ImageAttributes& a, const std::string& path) {
  if (!a.pixelData) return;  // not an image: GDCM's series scan skips it, a single read fails cleanly
  auto bad = [&](const std::string& what) {
    throw InputError("DICOM file '" + path + "' has an invalid image: " + what);
  };
  if (!a.rows || !a.columns || *a.rows == 0 || *a.columns == 0) bad("Rows or Columns missing or 0");
  if (!a.bitsAllocated || (*a.bitsAllocated != 1 && *a.bitsAllocated != 8 && *a.bitsAllocated != 16 &&
                           *a.bitsAllocated != 32 && *a.bitsAllocated != 64))
    bad("BitsAllocated is not 1, 8, 16, 32 or 64");
  if (a.bitsStored && (*a.bitsStored == 0 || *a.bitsStored > *a.bitsAllocated))
    bad("BitsStored is 0 or above BitsAllocated");
  if (a.highBit && *a.highBit >= *a.bitsAllocated) bad("HighBit is not below BitsAllocated");
  const uint64_t samples = a.samples.value_or(1);
  if (samples != 1 && samples != 3 && samples != 4) bad("SamplesPerPixel is not 1, 3 or 4");
  const uint64_t frames = a.frames.value_or(1);
  if (frames == 0) bad("NumberOfFrames is not a positive number");
  if (a.encapsulated) {
    if (a.pixelBytes == 0) bad("the encapsulated pixel data is empty");
    return;
  }
  uint64_t bits = *a.rows * *a.columns * samples * *a.bitsAllocated;  // < 2^48
  if (__builtin_mul_overflow(bits, frames, &bits)) bad("NumberOfFrames is too large");
  const uint64_t need = bits / 8 + (bits % 8 ? 1 : 0);
  if (a.pixelBytes < need)
    throw InputError("DICOM file '" + path + "' is truncated or damaged: its pixel data holds " +
                     std::to_string(a.pixelBytes) + " bytes, " + std::to_string(*a.rows) + "x" +
                     std::to_string(*a.columns) + (frames > 1 ? "x" + std::to_string(frames) : "") +
                     " pixels need " + std::to_string(need));
}

}  // namespace

bool checkDicomFile(const std::string& path) {
  BoundedFile f(path);
  unsigned char b[132] = {};
  const bool preamble = f.read(0, 132, b) && std::memcmp(b + 128, "DICM", 4) == 0;
  uint64_t pos = preamble ? 132 : 0;
  unsigned char first[6];
  if (!f.read(pos, 6, first)) {
    if (preamble) throw InputError("DICOM file '" + path + "' is truncated: nothing after its preamble");
    return false;
  }
  const uint32_t group = uint32_t{first[1]} << 8 | first[0], element = uint32_t{first[3]} << 8 | first[2];
  // Without a preamble GDCM parses a file only when it starts like a data set: a meta group, group 8,
  // or a private creator; anything else it turns down cleanly.
  if (!preamble && group != 0x0002 && group != 0x0008 && !((group & 1) && element == 0x0010)) {
    if (group == 0x0800 || group == 0x0200)
      throw InputError("DICOM file '" + path + "' is big-endian ACR-NEMA, which fmcib does not read");
    return false;
  }
  try {
    bool explicitVr = true, bigEndian = false;
    if (group == 0x0002) {
      // the file meta information: explicit VR little endian, up to the first element of another group
      std::string ts;
      while (true) {
        unsigned char h[12];
        if (!f.read(pos, 8, h))
          throw Malformed{"byte " + std::to_string(pos) + ": the file meta information is cut"};
        const uint32_t g = uint32_t{h[1]} << 8 | h[0], e = uint32_t{h[3]} << 8 | h[2];
        if (g != 0x0002) break;
        const std::string vr(reinterpret_cast<const char*>(h + 4), 2);
        uint64_t length = uint32_t{h[7]} << 8 | h[6];
        uint64_t value = pos + 8;
        if (!knownVr(vr))
          throw Malformed{"byte " + std::to_string(pos) + ": a file meta element without a valid VR"};
        if (longVr(vr)) {
          if (!f.read(pos + 8, 4, h + 8))
            throw Malformed{"byte " + std::to_string(pos) + ": the file meta information is cut"};
          length = uint64_t{h[11]} << 24 | uint64_t{h[10]} << 16 | uint64_t{h[9]} << 8 | h[8];
          value = pos + 12;
        }
        if (length == kUndefined || vr == "SQ")
          throw Malformed{"byte " + std::to_string(pos) +
                          ": a sequence or undefined length in the file meta information"};
        if (length > f.size() - value)
          throw Malformed{"byte " + std::to_string(pos) + ": a file meta element longer than the file"};
        if (e == 0x0010) {
          ts.assign(static_cast<size_t>(std::min<uint64_t>(length, 64)), '\0');
          f.read(value, ts.size(), ts.data());
          while (!ts.empty() && (ts.back() == '\0' || ts.back() == ' ')) ts.pop_back();
        }
        pos = value + length;
      }
      if (ts == "1.2.840.10008.1.2") {
        explicitVr = false;
      } else if (ts == "1.2.840.10008.1.2.2") {
        bigEndian = true;
      } else if (ts == "1.2.840.10008.1.2.1.99") {
        throw InputError("DICOM file '" + path +
                         "' uses the deflated transfer syntax, which fmcib does not read");
      } else if (ts.rfind("1.2.840.10008.1.2", 0) != 0) {
        throw Malformed{"unknown transfer syntax '" + excerpt(ts) + "'"};
      }
    } else {
      // no meta information: explicit when the first element carries a VR (as GDCM guesses)
      const std::string vr(reinterpret_cast<const char*>(first + 4), 2);
      explicitVr = vr[0] >= 'A' && vr[0] <= 'Z' && vr[1] >= 'A' && vr[1] <= 'Z';
    }
    Walker w(f, bigEndian);
    w.dataSet(pos, f.size(), explicitVr, 0, true, false);
    checkPixels(w.attrs_, path);
  } catch (const Malformed& m) {
    throw InputError("DICOM file '" + path + "' is malformed at " + m.what);
  }
  return true;
}

std::vector<std::string> checkDicomFolder(const std::string& folder) {
  std::vector<std::string> files;
  std::error_code ec;
  for (fs::directory_iterator it(folder, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    const std::string path = it->path().string();
    struct stat st {};
    // Not skipped: a link that leads nowhere may be a missing slice, and GDCM's own listing would
    // stop at it (or at a FIFO) and silently drop the slices listed after it.
    if (::stat(path.c_str(), &st) != 0)
      throw InputError("cannot read the DICOM folder '" + folder + "': '" + name +
                       "' cannot be read (a broken link?)");
    if (S_ISDIR(st.st_mode)) continue;
    if (!S_ISREG(st.st_mode))
      throw InputError("cannot read the DICOM folder '" + folder + "': '" + name +
                       "' is not a regular file (a FIFO, device or socket)");
    if (name.empty() || name[0] == '.') continue;  // GDCM skips hidden files
    if (checkDicomFile(path)) files.push_back(path);
  }
  if (ec) throw InputError("cannot read the DICOM folder '" + folder + "': " + ec.message());
  return files;
}

}  // namespace fmcib::io::detail
