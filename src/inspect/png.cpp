// PNG files for the inspection images, without zlib: the writer emits a zlib stream of deflate
// blocks with fixed Huffman codes after a greedy LZ77 pass (flat backgrounds and repeated rows of
// previews and plots shrink ~10–50×); the reader inflates stored and fixed-Huffman blocks, which
// covers what the writer (and engine/png_writer's stored blocks) produce, and is used by tests.
#include <algorithm>
#include <array>
#include <fstream>
#include <iterator>

#include "fmcib/config/error.hpp"
#include "fmcib/inspect/image.hpp"
#include "fmcib/io/atomic_file.hpp"
#include "fmcib/io/checksum.hpp"

namespace fmcib::inspect {

namespace {

constexpr std::array<uint16_t, 29> kLengthBase = {3,  4,  5,  6,   7,   8,   9,   10,  11, 13,
                                                  15, 17, 19, 23,  27,  31,  35,  43,  51, 59,
                                                  67, 83, 99, 115, 131, 163, 195, 227, 258};
constexpr std::array<uint8_t, 29> kLengthExtra = {0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2,
                                                  2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0};
constexpr std::array<uint16_t, 30> kDistBase = {
    1,   2,   3,   4,   5,   7,    9,    13,   17,   25,   33,   49,   65,    97,    129,
    193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577};
constexpr std::array<uint8_t, 30> kDistExtra = {0, 0, 0, 0, 1, 1, 2, 2,  3,  3,  4,  4,  5,  5,  6,
                                                6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13};

class BitWriter {
 public:
  explicit BitWriter(std::vector<uint8_t>& out) : out_(out) {}
  /// `n` bits of `v`, least significant first (deflate's order for everything but Huffman codes).
  void bits(uint32_t v, int n) {
    acc_ |= static_cast<uint64_t>(v) << count_;
    count_ += n;
    while (count_ >= 8) {
      out_.push_back(static_cast<uint8_t>(acc_));
      acc_ >>= 8;
      count_ -= 8;
    }
  }
  /// A Huffman code, most significant bit first.
  void code(uint32_t c, int n) {
    uint32_t r = 0;
    for (int i = 0; i < n; ++i) r |= ((c >> i) & 1u) << (n - 1 - i);
    bits(r, n);
  }
  void flush() {
    if (count_ > 0) out_.push_back(static_cast<uint8_t>(acc_));
    acc_ = 0;
    count_ = 0;
  }

 private:
  std::vector<uint8_t>& out_;
  uint64_t acc_ = 0;
  int count_ = 0;
};

void fixedSymbol(BitWriter& w, int sym) {
  if (sym < 144)
    w.code(0x30 + sym, 8);
  else if (sym < 256)
    w.code(0x190 + sym - 144, 9);
  else if (sym < 280)
    w.code(sym - 256, 7);
  else
    w.code(0xC0 + sym - 280, 8);
}

void writeMatch(BitWriter& w, int length, int distance) {
  int li = static_cast<int>(kLengthBase.size()) - 1;
  while (kLengthBase[li] > length) --li;
  fixedSymbol(w, 257 + li);
  w.bits(static_cast<uint32_t>(length - kLengthBase[li]), kLengthExtra[li]);
  int di = static_cast<int>(kDistBase.size()) - 1;
  while (kDistBase[di] > distance) --di;
  w.code(static_cast<uint32_t>(di), 5);
  w.bits(static_cast<uint32_t>(distance - kDistBase[di]), kDistExtra[di]);
}

/// zlib stream: one fixed-Huffman block, greedy LZ77 over a 32 KiB window with hash chains.
std::vector<uint8_t> zlibCompress(const std::vector<uint8_t>& data) {
  constexpr int kWindow = 32768, kMaxMatch = 258, kMinMatch = 3, kChain = 48, kHashBits = 15;
  std::vector<uint8_t> out{0x78, 0x01};
  BitWriter w(out);
  w.bits(1, 1);  // final block
  w.bits(1, 2);  // fixed Huffman codes
  const int n = static_cast<int>(data.size());
  std::vector<int> head(1 << kHashBits, -1), prev(static_cast<size_t>(n), -1);
  auto hash = [&](int i) {
    const uint32_t v = (uint32_t{data[i]} << 16) | (uint32_t{data[i + 1]} << 8) | data[i + 2];
    return static_cast<int>((v * 2654435761u) >> (32 - kHashBits));
  };
  auto insert = [&](int i) {
    if (i + kMinMatch > n) return;
    const int h = hash(i);
    prev[i] = head[h];
    head[h] = i;
  };
  int i = 0;
  while (i < n) {
    int bestLen = 0, bestDist = 0;
    if (i + kMinMatch <= n) {
      int cand = head[hash(i)];
      const int limit = std::min(kMaxMatch, n - i);
      for (int tries = 0; cand >= 0 && i - cand <= kWindow && tries < kChain; ++tries, cand = prev[cand]) {
        int len = 0;
        while (len < limit && data[cand + len] == data[i + len]) ++len;
        if (len > bestLen) {
          bestLen = len;
          bestDist = i - cand;
          if (len == limit) break;
        }
      }
    }
    if (bestLen >= kMinMatch) {
      writeMatch(w, bestLen, bestDist);
      for (int k = 0; k < bestLen; ++k) insert(i + k);
      i += bestLen;
    } else {
      fixedSymbol(w, data[i]);
      insert(i);
      ++i;
    }
  }
  fixedSymbol(w, 256);
  w.flush();
  const uint32_t a = io::adler32(data.data(), data.size());
  for (int s = 24; s >= 0; s -= 8) out.push_back(static_cast<uint8_t>(a >> s));
  return out;
}

class BitReader {
 public:
  BitReader(const std::vector<uint8_t>& in, const std::string& where) : in_(in), where_(where) {}
  uint32_t bits(int n) {
    uint32_t v = 0;
    for (int i = 0; i < n; ++i) v |= static_cast<uint32_t>(bit()) << i;
    return v;
  }
  int bit() {
    if (pos_ >= in_.size()) throw InputError(where_ + ": the compressed image data ends early");
    const int b = (in_[pos_] >> bitPos_) & 1;
    if (++bitPos_ == 8) {
      bitPos_ = 0;
      ++pos_;
    }
    return b;
  }
  void alignByte() {
    if (bitPos_ != 0) {
      bitPos_ = 0;
      ++pos_;
    }
  }
  uint8_t byte() { return static_cast<uint8_t>(bits(8)); }

 private:
  const std::vector<uint8_t>& in_;
  std::string where_;
  size_t pos_ = 0;
  int bitPos_ = 0;
};

int readFixedSymbol(BitReader& r) {
  uint32_t c = 0;
  for (int i = 0; i < 7; ++i) c = (c << 1) | static_cast<uint32_t>(r.bit());
  if (c <= 0x17) return 256 + static_cast<int>(c);
  c = (c << 1) | static_cast<uint32_t>(r.bit());
  if (c >= 0x30 && c <= 0xBF) return static_cast<int>(c - 0x30);
  if (c >= 0xC0 && c <= 0xC7) return 280 + static_cast<int>(c - 0xC0);
  c = (c << 1) | static_cast<uint32_t>(r.bit());
  return 144 + static_cast<int>(c - 0x190);
}

std::vector<uint8_t> zlibInflate(const std::vector<uint8_t>& z, const std::string& where) {
  if (z.size() < 6 || (z[0] & 0x0F) != 8 || ((z[0] << 8) | z[1]) % 31 != 0)
    throw InputError(where + ": the image data is not a zlib stream");
  const std::vector<uint8_t> body(z.begin() + 2, z.end());  // after the 2-byte zlib header
  BitReader r(body, where);
  std::vector<uint8_t> out;
  bool last = false;
  while (!last) {
    last = r.bit() != 0;
    const uint32_t type = r.bits(2);
    if (type == 0) {
      r.alignByte();
      const uint32_t len = r.bits(16), nlen = r.bits(16);
      if ((len ^ 0xFFFFu) != nlen) throw InputError(where + ": a stored deflate block has a bad length");
      for (uint32_t k = 0; k < len; ++k) out.push_back(r.byte());
    } else if (type == 1) {
      for (;;) {
        const int sym = readFixedSymbol(r);
        if (sym < 256) {
          out.push_back(static_cast<uint8_t>(sym));
          continue;
        }
        if (sym == 256) break;
        const int li = sym - 257;
        if (li >= 29) throw InputError(where + ": bad deflate length code");
        const size_t len = kLengthBase[li] + r.bits(kLengthExtra[li]);
        uint32_t di = 0;
        for (int k = 0; k < 5; ++k) di = (di << 1) | static_cast<uint32_t>(r.bit());
        if (di >= 30) throw InputError(where + ": bad deflate distance code");
        const size_t dist = kDistBase[di] + r.bits(kDistExtra[di]);
        if (dist > out.size()) throw InputError(where + ": a deflate match points before the data");
        for (size_t k = 0; k < len; ++k) out.push_back(out[out.size() - dist]);
      }
    } else {
      throw InputError(where + ": dynamic-Huffman deflate blocks are not supported (not written by fmcib)");
    }
  }
  return out;
}

void put32(std::vector<uint8_t>& out, uint32_t v) {
  for (int s = 24; s >= 0; s -= 8) out.push_back(static_cast<uint8_t>(v >> s));
}

uint32_t get32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}

void chunk(std::vector<uint8_t>& out, const char* type, const std::vector<uint8_t>& body) {
  put32(out, static_cast<uint32_t>(body.size()));
  const size_t start = out.size();
  out.insert(out.end(), type, type + 4);
  out.insert(out.end(), body.begin(), body.end());
  put32(out, io::crc32(out.data() + start, out.size() - start));
}

const uint8_t kSignature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};

int paeth(int a, int b, int c) {
  const int p = a + b - c, pa = std::abs(p - a), pb = std::abs(p - b), pc = std::abs(p - c);
  if (pa <= pb && pa <= pc) return a;
  return pb <= pc ? b : c;
}

}  // namespace

std::vector<uint8_t> encodePng(const RgbImage& image) {
  if (image.width() <= 0 || image.height() <= 0) throw RuntimeError("cannot write an empty PNG image");
  const size_t stride = static_cast<size_t>(image.width()) * 3;
  std::vector<uint8_t> raw;
  raw.reserve((stride + 1) * static_cast<size_t>(image.height()));
  for (int y = 0; y < image.height(); ++y) {
    raw.push_back(0);  // filter: none
    const auto row = image.bytes().begin() + static_cast<std::ptrdiff_t>(stride * static_cast<size_t>(y));
    raw.insert(raw.end(), row, row + static_cast<std::ptrdiff_t>(stride));
  }
  std::vector<uint8_t> png(std::begin(kSignature), std::end(kSignature));
  std::vector<uint8_t> ihdr;
  put32(ihdr, static_cast<uint32_t>(image.width()));
  put32(ihdr, static_cast<uint32_t>(image.height()));
  ihdr.insert(ihdr.end(), {8, 2, 0, 0, 0});  // 8-bit RGB, deflate, adaptive filters, no interlace
  chunk(png, "IHDR", ihdr);
  chunk(png, "IDAT", zlibCompress(raw));
  chunk(png, "IEND", {});
  return png;
}

void writePng(const RgbImage& image, const std::string& path) {
  const std::vector<uint8_t> png = encodePng(image);
  io::writeFileAtomically(path, std::string(png.begin(), png.end()));
}

RgbImage readPng(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError("cannot open the PNG file " + path);
  const std::vector<uint8_t> file((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (file.size() < 8 || !std::equal(file.begin(), file.begin() + 8, kSignature))
    throw InputError(path + " is not a PNG file (bad signature)");
  size_t pos = 8;
  int width = 0, height = 0, channels = 0;
  std::vector<uint8_t> idat;
  bool ended = false;
  while (!ended) {
    if (pos + 12 > file.size()) throw InputError(path + ": the PNG file ends before its IEND chunk");
    const uint32_t len = get32(&file[pos]);
    if (pos + 12 + len > file.size()) throw InputError(path + ": a PNG chunk runs past the end of the file");
    const std::string type(file.begin() + static_cast<std::ptrdiff_t>(pos + 4),
                           file.begin() + static_cast<std::ptrdiff_t>(pos + 8));
    const uint8_t* body = &file[pos + 8];
    if (io::crc32(&file[pos + 4], len + 4) != get32(body + len))
      throw InputError(path + ": the CRC of PNG chunk " + type + " is wrong");
    if (type == "IHDR") {
      if (len != 13) throw InputError(path + ": bad IHDR chunk");
      width = static_cast<int>(get32(body));
      height = static_cast<int>(get32(body + 4));
      if (body[8] != 8 || (body[9] != 2 && body[9] != 0) || body[12] != 0)
        throw InputError(path + ": only 8-bit RGB or grayscale PNGs without interlacing are supported");
      channels = body[9] == 2 ? 3 : 1;
    } else if (type == "IDAT") {
      idat.insert(idat.end(), body, body + len);
    } else if (type == "IEND") {
      ended = true;
    }
    pos += 12 + len;
  }
  if (channels == 0 || width <= 0 || height <= 0) throw InputError(path + ": the PNG file has no IHDR chunk");
  const std::vector<uint8_t> raw = zlibInflate(idat, path);
  const size_t stride = static_cast<size_t>(width) * static_cast<size_t>(channels);
  if (raw.size() != (stride + 1) * static_cast<size_t>(height))
    throw InputError(path + ": the PNG image data has the wrong size for " + std::to_string(width) + "x" +
                     std::to_string(height));
  std::vector<uint8_t> pixels(stride * static_cast<size_t>(height));
  for (size_t y = 0; y < static_cast<size_t>(height); ++y) {
    const uint8_t filter = raw[y * (stride + 1)];
    const uint8_t* src = &raw[y * (stride + 1) + 1];
    uint8_t* dst = &pixels[y * stride];
    const uint8_t* up = y > 0 ? &pixels[(y - 1) * stride] : nullptr;
    for (size_t x = 0; x < stride; ++x) {
      const int a = x >= static_cast<size_t>(channels) ? dst[x - channels] : 0;
      const int b = up ? up[x] : 0;
      const int c = (up && x >= static_cast<size_t>(channels)) ? up[x - channels] : 0;
      int pred = 0;
      switch (filter) {
        case 0:
          pred = 0;
          break;
        case 1:
          pred = a;
          break;
        case 2:
          pred = b;
          break;
        case 3:
          pred = (a + b) / 2;
          break;
        case 4:
          pred = paeth(a, b, c);
          break;
        default:
          throw InputError(path + ": bad PNG filter type " + std::to_string(filter));
      }
      dst[x] = static_cast<uint8_t>(src[x] + pred);
    }
  }
  RgbImage image(width, height);
  for (size_t p = 0; p < static_cast<size_t>(width) * static_cast<size_t>(height); ++p)
    for (int k = 0; k < 3; ++k) image.bytes()[3 * p + k] = pixels[p * channels + (channels == 3 ? k : 0)];
  return image;
}

}  // namespace fmcib::inspect
