#include "png_writer.hpp"

#include <torch/torch.h>

#include <algorithm>
#include <array>

#include "fmcib/config/error.hpp"
#include "fmcib/io/atomic_file.hpp"
#include "fmcib/io/checksum.hpp"

namespace fmcib::engine {

namespace {

void put32(std::vector<uint8_t>& out, uint32_t v) {
  for (int s = 24; s >= 0; s -= 8) out.push_back(static_cast<uint8_t>(v >> s));
}

void chunk(std::vector<uint8_t>& out, const char* type, const std::vector<uint8_t>& body) {
  put32(out, static_cast<uint32_t>(body.size()));
  std::vector<uint8_t> typed(type, type + 4);
  typed.insert(typed.end(), body.begin(), body.end());
  out.insert(out.end(), typed.begin(), typed.end());
  put32(out, io::crc32(typed.data(), typed.size()));
}

}  // namespace

void writePng(const std::string& path, int64_t width, int64_t height, const std::vector<uint8_t>& pixels) {
  std::vector<uint8_t> raw;  // each scanline: filter byte 0, then the pixels
  raw.reserve(static_cast<size_t>(height * (width + 1)));
  for (int64_t y = 0; y < height; ++y) {
    raw.push_back(0);
    raw.insert(raw.end(), pixels.begin() + y * width, pixels.begin() + (y + 1) * width);
  }
  // zlib stream of stored blocks (≤ 65535 bytes each) + Adler-32.
  std::vector<uint8_t> z{0x78, 0x01};
  size_t pos = 0;
  do {
    const size_t len = std::min<size_t>(65535, raw.size() - pos);
    const bool final = pos + len == raw.size();
    z.push_back(final ? 1 : 0);
    z.push_back(static_cast<uint8_t>(len & 0xFF));
    z.push_back(static_cast<uint8_t>(len >> 8));
    z.push_back(static_cast<uint8_t>(~len & 0xFF));
    z.push_back(static_cast<uint8_t>((~len >> 8) & 0xFF));
    z.insert(z.end(), raw.begin() + static_cast<std::ptrdiff_t>(pos),
             raw.begin() + static_cast<std::ptrdiff_t>(pos + len));
    pos += len;
  } while (pos < raw.size());
  uint32_t a = 1, b = 0;
  for (uint8_t c : raw) {
    a = (a + c) % 65521;
    b = (b + a) % 65521;
  }
  put32(z, (b << 16) | a);

  std::vector<uint8_t> png{0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
  std::vector<uint8_t> ihdr;
  put32(ihdr, static_cast<uint32_t>(width));
  put32(ihdr, static_cast<uint32_t>(height));
  ihdr.insert(ihdr.end(), {8, 0, 0, 0, 0});  // 8-bit grayscale, deflate, no filter/interlace
  chunk(png, "IHDR", ihdr);
  chunk(png, "IDAT", z);
  chunk(png, "IEND", {});
  io::writeFileAtomically(path, std::string(png.begin(), png.end()));
}

void writePngGrid(const std::string& path, const std::vector<at::Tensor>& images) {
  const int64_t pad = 2;
  int64_t h = 0, w = 0;
  for (const auto& im : images) {
    h = std::max(h, im.size(0));
    w = std::max(w, im.size(1));
  }
  const int64_t cols = std::min<int64_t>(8, static_cast<int64_t>(images.size()));
  const int64_t rows = (static_cast<int64_t>(images.size()) + cols - 1) / cols;
  const int64_t W = cols * (w + pad) + pad, H = rows * (h + pad) + pad;
  std::vector<uint8_t> px(static_cast<size_t>(W * H), 0);
  for (size_t k = 0; k < images.size(); ++k) {
    at::Tensor im = images[k].to(at::kFloat).mul(255).add(0.5).clamp(0, 255).to(at::kByte).contiguous();
    const int64_t y0 = static_cast<int64_t>(k) / cols * (h + pad) + pad;
    const int64_t x0 = static_cast<int64_t>(k) % cols * (w + pad) + pad;
    const uint8_t* src = im.data_ptr<uint8_t>();
    for (int64_t y = 0; y < im.size(0); ++y)
      for (int64_t x = 0; x < im.size(1); ++x)
        px[static_cast<size_t>((y0 + y) * W + x0 + x)] = src[y * im.size(1) + x];
  }
  writePng(path, W, H, px);
}

}  // namespace fmcib::engine
