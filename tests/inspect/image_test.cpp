// RgbImage drawing, the bitmap font and the PNG writer/reader.
#include <gtest/gtest.h>

#include <fstream>
#include <iterator>

#include "fmcib/config/error.hpp"
#include "fmcib/inspect/image.hpp"
#include "support/paths.hpp"

namespace fmcib::inspect {
namespace {

std::vector<uint8_t> fileBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void writeBytes(const std::string& path, const std::vector<uint8_t>& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

RgbImage noisyImage(int w, int h) {
  RgbImage img(w, h);
  uint32_t state = 12345;
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      state = state * 1664525u + 1013904223u;
      img.set(x, y,
              {static_cast<uint8_t>(state >> 24), static_cast<uint8_t>(x * 7), static_cast<uint8_t>(y * 3)});
    }
  return img;
}

TEST(InspectImage, PngRoundTripKeepsEveryPixel) {
  const auto dir = test::tempDir("inspect_png");
  const RgbImage img = noisyImage(123, 77);
  const std::string path = (dir / "noise.png").string();
  writePng(img, path);
  const RgbImage back = readPng(path);
  ASSERT_EQ(back.width(), 123);
  ASSERT_EQ(back.height(), 77);
  EXPECT_EQ(back.bytes(), img.bytes());
}

TEST(InspectImage, FlatImagesCompress) {
  RgbImage img(400, 300, {24, 24, 24});
  img.fillRect(50, 50, 100, 80, {200, 10, 10});
  const std::vector<uint8_t> png = encodePng(img);
  EXPECT_LT(png.size(), img.bytes().size() / 20);
  const auto dir = test::tempDir("inspect_png_flat");
  writeBytes((dir / "flat.png").string(), png);
  const RgbImage back = readPng((dir / "flat.png").string());
  EXPECT_EQ(back.bytes(), img.bytes());
  EXPECT_EQ(back.at(60, 60), (Color{200, 10, 10}));
  EXPECT_EQ(back.at(10, 10), (Color{24, 24, 24}));
}

TEST(InspectImage, ReadPngRejectsDamagedFiles) {
  const auto dir = test::tempDir("inspect_png_bad");
  const std::string good = (dir / "good.png").string();
  writePng(noisyImage(20, 10), good);
  std::vector<uint8_t> bytes = fileBytes(good);
  bytes[bytes.size() / 2] ^= 0x40;  // inside IDAT: its CRC no longer matches
  const std::string bad = (dir / "bad.png").string();
  writeBytes(bad, bytes);
  try {
    readPng(bad);
    FAIL() << "a damaged PNG was read";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("CRC"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find(bad), std::string::npos) << e.what();
  }
  writeBytes(bad, {'n', 'o', 't', ' ', 'p', 'n', 'g', '!', 0, 0});
  EXPECT_THROW(readPng(bad), InputError);
  EXPECT_THROW(readPng((dir / "missing.png").string()), InputError);
}

TEST(InspectImage, TextDrawsTheFiveBySevenGlyphs) {
  RgbImage img(40, 12, colors::kBlack);
  const int end = img.text(2, 2, "1", colors::kWhite);
  EXPECT_EQ(end, 2 + 6);
  EXPECT_EQ(textWidth("ab1"), 18);
  // '1' is 0x04,0x0C,0x04,...,0x0E: the stem is the middle column, the base spans three columns.
  for (int row = 0; row < 7; ++row) EXPECT_EQ(img.at(2 + 2, 2 + row), colors::kWhite) << "row " << row;
  EXPECT_EQ(img.at(2 + 1, 2 + 1), colors::kWhite);
  EXPECT_EQ(img.at(2 + 0, 2 + 0), colors::kBlack);
  EXPECT_EQ(img.at(2 + 1, 2 + 6), colors::kWhite);
  EXPECT_EQ(img.at(2 + 3, 2 + 6), colors::kWhite);
  EXPECT_EQ(img.at(2 + 4, 2 + 6), colors::kBlack);
  // Lower case is drawn as upper case; scale 2 doubles every font pixel.
  RgbImage a(20, 20), b(20, 20);
  a.text(0, 0, "x", colors::kWhite, 2);
  b.text(0, 0, "X", colors::kWhite, 2);
  EXPECT_EQ(a.bytes(), b.bytes());
  EXPECT_EQ(a.at(0, 0), colors::kWhite);
  EXPECT_EQ(a.at(1, 1), colors::kWhite);
}

TEST(InspectImage, DrawingClipsAtTheBorder) {
  RgbImage img(10, 10);
  img.fillRect(-5, -5, 8, 8, colors::kWhite);
  EXPECT_EQ(img.at(2, 2), colors::kWhite);
  EXPECT_EQ(img.at(3, 3), colors::kBlack);
  img.line(0, 9, 20, 9, colors::kYellow);
  EXPECT_EQ(img.at(9, 9), colors::kYellow);
  img.line(0, 0, 9, 9, colors::kGrey);
  for (int i = 0; i < 10; ++i) EXPECT_EQ(img.at(i, i), colors::kGrey);
  EXPECT_THROW(img.at(10, 0), RuntimeError);
}

}  // namespace
}  // namespace fmcib::inspect
