// Scans through ITK: every format round-trips voxels, pixel type and geometry; a DICOM series
// written by GDCM reads back as the same volume; bad files give messages naming the path.
#include <gtest/gtest.h>
#include <itkImage.h>
#include <itkImageFileWriter.h>
#include <itkImageIOFactory.h>
#include <itkRGBPixel.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>

#include "fmcib/config/error.hpp"
#include "fmcib/io/image_io.hpp"
#include "support/errors.hpp"
#include "support/paths.hpp"

namespace fs = std::filesystem;
using namespace fmcib::io;

namespace {

ImageGeometry obliqueGeometry() {
  ImageGeometry g;
  g.size = {13, 11, 7};
  g.spacing = {0.7, 0.8, 2.5};
  g.origin = {-120.25, 33.5, -402.75};
  // A right-handed rotation of 10° about z (as a tilted gantry would give).
  const double c = std::cos(10 * M_PI / 180), s = std::sin(10 * M_PI / 180);
  g.direction = {c, -s, 0, s, c, 0, 0, 0, 1};
  return g;
}

ImageGeometry lpiGeometry() {
  ImageGeometry g;
  g.size = {9, 10, 6};
  g.spacing = {0.75, 0.75, 2.0};
  g.origin = {-80.5, -60.25, 12.0};
  g.direction = {1, 0, 0, 0, 1, 0, 0, 0, -1};
  return g;
}

Volume randomVolume(PixelType type, const ImageGeometry& g, uint64_t seed) {
  Volume v(type, g);
  std::mt19937_64 rng(seed);
  dispatchPixelType(type, [&](auto tag) {
    using T = decltype(tag);
    T* d = v.dataAs<T>();
    for (int64_t i = 0; i < v.numVoxels(); ++i) {
      const double r = static_cast<double>(rng() % 20000) - 1000.0;
      if constexpr (std::is_floating_point_v<T>)
        d[i] = static_cast<T>(r / 7.0);
      else if constexpr (sizeof(T) == 1)
        d[i] = static_cast<T>(static_cast<int64_t>(rng() % 100));
      else
        d[i] = static_cast<T>(static_cast<int64_t>(r) % 3000 - (std::is_signed_v<T> ? 1024 : 0) +
                              (std::is_signed_v<T> ? 0 : 2000));
    }
  });
  return v;
}

void expectSameVolume(const Volume& a, const Volume& b, double geometryTolerance, const std::string& what) {
  EXPECT_EQ(pixelTypeName(a.pixelType()), std::string(pixelTypeName(b.pixelType()))) << what;
  EXPECT_TRUE(a.geometry().approxEqual(b.geometry(), geometryTolerance))
      << what << "\n  wrote " << a.geometry().describe() << "\n  read  " << b.geometry().describe();
  ASSERT_EQ(a.byteSize(), b.byteSize()) << what;
  EXPECT_EQ(std::memcmp(a.data(), b.data(), a.byteSize()), 0) << what << ": voxels differ";
}

auto anyErrorOf = [](auto&& f) { return fmcib::test::errorOf<fmcib::Error>(f); };

}  // namespace

TEST(ImageIO, FactoriesForEveryFormatAreRegistered) {
  ensureImageIOFactories();
  const auto dir = fmcib::test::tempDir("factories");
  for (const char* ext : {".nii", ".nii.gz", ".nrrd", ".mha", ".mhd", ".dcm", ".gipl"}) {
    const std::string path = (dir / (std::string("x") + ext)).string();
    EXPECT_TRUE(itk::ImageIOFactory::CreateImageIO(path.c_str(), itk::IOFileModeEnum::WriteMode))
        << "no ITK writer for " << ext;
  }
}

TEST(ImageIO, EveryFormatAndPixelTypeRoundTrips) {
  const auto dir = fmcib::test::tempDir("roundtrip");
  const PixelType types[] = {PixelType::kInt16,   PixelType::kUInt8,   PixelType::kInt32,
                             PixelType::kFloat32, PixelType::kFloat64, PixelType::kUInt16};
  int n = 0;
  for (const auto& g : {obliqueGeometry(), lpiGeometry()}) {
    for (PixelType type : types) {
      const Volume v = randomVolume(type, g, static_cast<uint64_t>(n));
      for (const char* ext : {".nii", ".nii.gz", ".nrrd", ".mha", ".mhd"}) {
        const std::string path = (dir / ("v" + std::to_string(n++) + ext)).string();
        writeImage(v, path);
        // NIfTI stores geometry in float32.
        const double tol = std::string(ext).find(".nii") == 0 ? 1e-4 : 1e-9;
        expectSameVolume(v, readImage(path), tol, path);
        const ImageInfo info = readImageInfo(path);
        EXPECT_EQ(info.pixelType, type) << path;
        EXPECT_TRUE(info.geometry.approxEqual(v.geometry(), tol)) << path;
      }
    }
  }
}

TEST(ImageIO, DicomSeriesWrittenByGdcmReadsBackAsTheSameVolume) {
  const auto dir = fmcib::test::tempDir("dicom");
  int n = 0;
  ImageGeometry identity = lpiGeometry();
  identity.direction = {1, 0, 0, 0, 1, 0, 0, 0, 1};
  for (const auto& g : {identity, obliqueGeometry()}) {
    for (PixelType type : {PixelType::kInt16, PixelType::kUInt16, PixelType::kUInt8}) {
      const Volume v = randomVolume(type, g, 100 + static_cast<uint64_t>(n));
      const std::string folder = (dir / ("series" + std::to_string(n++))).string();
      writeDicomSeries(v, folder);
      EXPECT_EQ(std::distance(fs::directory_iterator(folder), fs::directory_iterator{}), g.size[2]);
      const Volume back = readImage(folder);
      // DICOM decimal strings keep 10 significant digits.
      expectSameVolume(v, back, 1e-5, folder);
      EXPECT_EQ(dicomSeriesIds(folder).size(), 1u);
    }
  }
}

TEST(ImageIO, ATwoDimensionalImageReadsAsOneSlice) {
  const auto dir = fmcib::test::tempDir("image2d");
  using Image2 = itk::Image<int16_t, 2>;
  auto image = Image2::New();
  Image2::RegionType region;
  region.SetSize(0, 5);
  region.SetSize(1, 4);
  image->SetRegions(region);
  image->Allocate();
  for (int i = 0; i < 20; ++i) image->GetBufferPointer()[i] = static_cast<int16_t>(i * 3 - 10);
  Image2::SpacingType spacing;
  spacing[0] = 0.5;
  spacing[1] = 0.25;
  image->SetSpacing(spacing);
  const std::string path = (dir / "slice.nrrd").string();
  auto writer = itk::ImageFileWriter<Image2>::New();
  writer->SetInput(image);
  writer->SetFileName(path);
  writer->Update();
  const Volume v = readImage(path);
  EXPECT_EQ(v.geometry().size, (Index3{5, 4, 1}));
  EXPECT_DOUBLE_EQ(v.geometry().spacing[1], 0.25);
  EXPECT_EQ(v.dataAs<int16_t>()[7], 11);
}

TEST(ImageIO, BadFilesNameThePath) {
  const auto dir = fmcib::test::tempDir("image_errors");
  const std::string missing = (dir / "missing.nii.gz").string();
  EXPECT_EQ(anyErrorOf([&] { readImage(missing); }), "image '" + missing + "' does not exist");

  const std::string text = (dir / "notes.txt").string();
  std::ofstream(text) << "not an image\n";
  EXPECT_EQ(
      anyErrorOf([&] { readImage(text); }),
      "image '" + text +
          "' is not in a format ITK reads (expected .nii, .nii.gz, .nrrd, .mha, .mhd, .gipl, DICOM, or a "
          "folder holding a DICOM series)");

  const std::string corrupt = (dir / "corrupt.nii.gz").string();
  {
    // A valid gzip stream that ends long before the header promises.
    const Volume v = randomVolume(PixelType::kInt16, lpiGeometry(), 7);
    const std::string good = (dir / "good.nii.gz").string();
    writeImage(v, good);
    std::ifstream in(good, std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::ofstream(corrupt, std::ios::binary) << bytes.substr(0, bytes.size() / 3);
  }
  const std::string corruptError = anyErrorOf([&] { readImage(corrupt); });
  EXPECT_EQ(corruptError.rfind("image '" + corrupt + "' is truncated: it holds ", 0), 0u) << corruptError;
  EXPECT_NE(corruptError.find("its header announces 1432"), std::string::npos)
      << corruptError;  // 352 + 9·10·6·2
  // An uncompressed .nii cut short is caught from its size.
  {
    const std::string nii = (dir / "short.nii").string();
    writeImage(randomVolume(PixelType::kInt16, lpiGeometry(), 8), nii);
    std::filesystem::resize_file(nii, 1000);
    EXPECT_EQ(anyErrorOf([&] { readImage(nii); }),
              "image '" + nii +
                  "' is truncated: it holds 1000 bytes of header and voxels, its header announces 1432");
  }

  const std::string emptyFolder = (dir / "empty_series").string();
  fs::create_directories(emptyFolder);
  EXPECT_EQ(anyErrorOf([&] { readImage(emptyFolder); }),
            "folder '" + emptyFolder + "' holds no DICOM series");

  using Rgb = itk::Image<itk::RGBPixel<unsigned char>, 3>;
  auto rgb = Rgb::New();
  Rgb::RegionType region;
  region.SetSize({{3, 3, 2}});
  rgb->SetRegions(region);
  rgb->Allocate(true);
  const std::string rgbPath = (dir / "color.mha").string();
  auto writer = itk::ImageFileWriter<Rgb>::New();
  writer->SetInput(rgb);
  writer->SetFileName(rgbPath);
  writer->Update();
  EXPECT_EQ(anyErrorOf([&] { readImage(rgbPath); }),
            "image '" + rgbPath + "' has 3 components per voxel (vector); fmcib reads scalar scans only");

  const Volume v = randomVolume(PixelType::kFloat32, lpiGeometry(), 3);
  const std::string bad = (dir / "out.png").string();
  EXPECT_EQ(anyErrorOf([&] { writeImage(v, bad); }),
            "cannot write image '" + bad +
                "': unknown extension (use .nii, .nii.gz, .nrrd, .nhdr, .mha, .mhd or .gipl)");
  EXPECT_EQ(anyErrorOf([&] { writeDicomSeries(v, (dir / "float_series").string()); }),
            "cannot write the DICOM series '" + (dir / "float_series").string() +
                "': float32 voxels; DICOM series need an integer pixel type");
}

TEST(Volume, GeometryMatchesItkIndexing) {
  const ImageGeometry g = obliqueGeometry();
  const Vec3 index{3.25, -1.5, 4.75};
  const Vec3 p = g.indexToPhysical(index);
  const Vec3 back = g.physicalToContinuousIndex(p);
  for (int a = 0; a < 3; ++a) EXPECT_NEAR(back[a], index[a], 1e-9);
  const Volume v = randomVolume(PixelType::kInt16, g, 11);
  const at::Tensor t = v.toFloatTensor();
  EXPECT_EQ(t.sizes(), (std::vector<int64_t>{7, 11, 13}));
  // [z][y][x]: element (k, j, i) is voxel i + 13 (j + 11 k).
  EXPECT_EQ(t[2][3][4].item<float>(), static_cast<float>(v.dataAs<int16_t>()[4 + 13 * (3 + 11 * 2)]));
  const Volume round = Volume::fromTensor(t.to(at::kShort), g);
  EXPECT_EQ(std::memcmp(round.data(), v.data(), v.byteSize()), 0);
  EXPECT_THROW(v.dataAs<float>(), fmcib::RuntimeError);
}
