#pragma once
/// A small RGB canvas for the inspection images (patch previews, training curves): filled
/// rectangles, lines, text in an embedded 5×7 bitmap font, and PNG files written without zlib
/// (our own deflate: LZ77 with fixed Huffman codes, which keeps flat plots and previews small).
#include <cstdint>
#include <string>
#include <vector>

namespace fmcib::inspect {

struct Color {
  uint8_t r = 0, g = 0, b = 0;
  bool operator==(const Color& o) const { return r == o.r && g == o.g && b == o.b; }
  bool operator!=(const Color& o) const { return !(*this == o); }
};

namespace colors {
inline constexpr Color kBlack{0, 0, 0};
inline constexpr Color kWhite{255, 255, 255};
inline constexpr Color kGrey{128, 128, 128};
inline constexpr Color kLightGrey{220, 220, 220};
inline constexpr Color kYellow{255, 220, 60};
}  // namespace colors

/// Colour i of a fixed palette of distinguishable line colours (matplotlib's tab10).
Color seriesColor(size_t i);

class RgbImage {
 public:
  RgbImage() = default;
  RgbImage(int width, int height, Color fill = colors::kBlack);

  int width() const { return width_; }
  int height() const { return height_; }
  /// Row-major RGB bytes, 3 per pixel.
  const std::vector<uint8_t>& bytes() const { return rgb_; }
  std::vector<uint8_t>& bytes() { return rgb_; }

  Color at(int x, int y) const;
  /// Pixels outside the image are ignored (drawing clips).
  void set(int x, int y, Color c);
  void fillRect(int x, int y, int w, int h, Color c);
  void strokeRect(int x, int y, int w, int h, Color c);
  /// A 1-pixel line (Bresenham).
  void line(int x0, int y0, int x1, int y1, Color c);
  /// Text in the 5×7 font (6×8 cells), each font pixel drawn as scale×scale. Lower case is drawn
  /// as upper case; characters the font lacks are drawn as '?'. Returns the x after the text.
  int text(int x, int y, const std::string& s, Color c, int scale = 1);
  /// Copies `src` with its top-left corner at (x, y), clipped.
  void blit(const RgbImage& src, int x, int y);

 private:
  int width_ = 0, height_ = 0;
  std::vector<uint8_t> rgb_;
};

/// Width and height in pixels of `s` drawn by RgbImage::text at `scale`.
int textWidth(const std::string& s, int scale = 1);
int textHeight(int scale = 1);

/// Writes an 8-bit RGB PNG. RuntimeError when the file cannot be written.
void writePng(const RgbImage& image, const std::string& path);
/// Encodes an 8-bit RGB PNG in memory.
std::vector<uint8_t> encodePng(const RgbImage& image);
/// Reads an 8-bit RGB or grayscale PNG whose deflate stream uses stored or fixed-Huffman blocks
/// (what fmcib writes). InputError naming the file for anything else, a bad CRC or a short file.
RgbImage readPng(const std::string& path);

}  // namespace fmcib::inspect
