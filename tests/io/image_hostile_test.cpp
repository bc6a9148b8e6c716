// Damaged and hostile scans: each is an InputError naming the file, never a crash, a hang, or a
// volume with voxels the file does not hold. Files are written by fmcib (ITK) and then damaged.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <limits>

#include "fmcib/config/error.hpp"
#include "fmcib/io/image_io.hpp"
#include "image_test_util.hpp"
#include "support/errors.hpp"
#include "support/paths.hpp"

namespace fs = std::filesystem;
using namespace fmcib::io;
using namespace fmcib::io::image_test;

namespace {

std::string readError(const std::string& path) {
  return fmcib::test::errorOf<fmcib::InputError>([&] { readImage(path); });
}

bool sameVoxels(const Volume& a, const Volume& b) {
  return a.byteSize() == b.byteSize() && std::memcmp(a.data(), b.data(), a.byteSize()) == 0;
}

TEST(ImageHostile, OnlyRegularFilesAndFoldersAreOpened) {
  const auto dir = fmcib::test::tempDir("image_fifo");
  const std::string fifo = (dir / "scan.nii.gz").string();
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  // Opening the FIFO blocked check-data and fit for ever (no writer ever comes).
  EXPECT_EQ(readError(fifo),
            "image '" + fifo + "' is not a regular file or a folder (a FIFO, device or socket?)");
  EXPECT_NE(fmcib::test::errorOf<fmcib::InputError>([&] { readImageInfo(fifo); }).find("not a regular file"),
            std::string::npos);
  EXPECT_NE(readError("/dev/zero").find("not a regular file"), std::string::npos);
}

/// A .nii written by ITK (NIfTI-1, 348-byte header) for patching.
std::string niftiFile(const fs::path& dir, const std::string& name) {
  const std::string path = (dir / name).string();
  writeImage(smallVolume(), path);
  EXPECT_EQ(get<int32_t>(readAll(path), 0), 348);
  return path;
}

TEST(ImageHostile, NiftiHeadersWithNonFiniteOrImpossibleFieldsAreRefused) {
  const auto dir = fmcib::test::tempDir("image_nifti_header");
  const std::string good = niftiFile(dir, "good.nii");
  const std::string bytes = readAll(good);
  const float nan = std::numeric_limits<float>::quiet_NaN();
  struct Case {
    const char* name;
    std::function<void(std::string&)> patch;
    const char* message;
  };
  const std::vector<Case> cases{
      // sform_code 1 with NaN rows reached vnl, which called abort()
      {"sform_nan",
       [&](std::string& b) { put<int16_t>(b, 254, 1), put<float>(b, 280, nan), put<float>(b, 300, nan); },
       "sform_code is 1 but srow_x/y/z hold values that are not finite or beyond 1e9"},
      {"qform_nan", [&](std::string& b) { put<int16_t>(b, 252, 1), put<float>(b, 256, nan); },
       "qform_code is 1 but the quaternion holds values that are not finite or beyond 1e9"},
      {"pixdim_inf", [&](std::string& b) { put<float>(b, 80, std::numeric_limits<float>::infinity()); },
       "pixdim[1] (voxel spacing) = inf"},
      {"pixdim_zero", [&](std::string& b) { put<float>(b, 84, 0.0f); }, "pixdim[2] (voxel spacing) = 0"},
      {"dim0", [&](std::string& b) { put<int16_t>(b, 40, 9); }, "dim[0] = 9 (1 to 7 dimensions)"},
      {"dim1", [&](std::string& b) { put<int16_t>(b, 42, -5); }, "dim[1] = -5"},
      {"datatype", [&](std::string& b) { put<int16_t>(b, 70, 3); }, "unknown datatype 3"},
      {"vox_offset", [&](std::string& b) { put<float>(b, 108, nan); }, "vox_offset = nan"},
      {"sizeof_hdr", [&](std::string& b) { put<int32_t>(b, 0, 349); }, "sizeof_hdr is neither 348 nor 540"},
  };
  for (const auto& c : cases) {
    std::string b = bytes;
    c.patch(b);
    const std::string path = (dir / (std::string(c.name) + ".nii")).string();
    writeAll(path, b);
    EXPECT_EQ(readError(path), "image '" + path + "' has an invalid NIfTI header: " + c.message) << c.name;
  }
  // 7 dimensions of 32767: the product does not fit
  std::string big = bytes;
  put<int16_t>(big, 40, 7);
  for (int i = 1; i <= 7; ++i) put<int16_t>(big, 40 + 2 * i, 32767);
  const std::string bigPath = (dir / "big.nii").string();
  writeAll(bigPath, big);
  EXPECT_NE(readError(bigPath).find("multiply to more than 2^48 bytes"), std::string::npos);
}

TEST(ImageHostile, NiftiGzipCutShortWithAForgedLengthIsTruncated) {
  const auto dir = fmcib::test::tempDir("image_nifti_forged");
  const Volume v = smallVolume({40, 30, 20});
  const std::string good = (dir / "good.nii.gz").string();
  writeImage(v, good);
  EXPECT_TRUE(sameVoxels(readImage(good), v));
  const std::string bytes = readAll(good);
  const uint32_t need = 352 + static_cast<uint32_t>(v.byteSize());
  ASSERT_EQ(get<uint32_t>(bytes, bytes.size() - 4), need);
  // cut in half, then the gzip length trailer put back: the trailer matched, niftilib zero-filled
  std::string cut = bytes.substr(0, bytes.size() / 2) + u32le(need);
  const std::string path = (dir / "forged.nii.gz").string();
  writeAll(path, cut);
  const std::string msg = readError(path);
  EXPECT_EQ(msg.rfind("image '" + path + "' is truncated: it holds ", 0), 0u) << msg;
  // a changed byte inside the compressed voxels: the CRC (or the stream) tells
  std::string flipped = bytes;
  flipped[bytes.size() / 2] = static_cast<char>(flipped[bytes.size() / 2] ^ 0x10);
  const std::string flippedPath = (dir / "flipped.nii.gz").string();
  writeAll(flippedPath, flipped);
  EXPECT_NE(readError(flippedPath).find("image '" + flippedPath + "' is "), std::string::npos);
}

TEST(ImageHostile, NiftiGzipOfSeveralMembersStillReads) {
  // gzip files may hold several members (pigz, cat a.gz b.gz): the trailer then covers only the
  // last one, and the voxels are confirmed by counting instead.
  const auto dir = fmcib::test::tempDir("image_nifti_members");
  const Volume v = smallVolume({20, 10, 6});
  const std::string nii = (dir / "plain.nii").string();
  writeImage(v, nii);
  const std::string raw = readAll(nii);
  std::string members;
  for (const std::string& part : {raw.substr(0, 500), raw.substr(500)}) {
    const std::string partPath = (dir / "part").string();
    writeAll(partPath, part);
    ASSERT_EQ(std::system(("gzip -n -f " + partPath).c_str()), 0);
    members += readAll(partPath + ".gz");
  }
  const std::string path = (dir / "members.nii.gz").string();
  writeAll(path, members);
  EXPECT_TRUE(sameVoxels(readImage(path), v));
}

/// The MetaImage header of `path` with `from` replaced by `to` (the first occurrence).
void patchHeader(const std::string& path, const std::string& from, const std::string& to) {
  std::string b = readAll(path);
  const size_t at = b.find(from);
  ASSERT_NE(at, std::string::npos) << from;
  b.replace(at, from.size(), to);
  writeAll(path, b);
}

TEST(ImageHostile, MetaImageHeadersAreBounded) {
  const auto dir = fmcib::test::tempDir("image_meta_header");
  const Volume v = smallVolume();
  const std::string good = (dir / "good.mha").string();
  writeImage(v, good, false);
  const struct {
    const char* from;
    const char* to;
    const char* message;
  } cases[] = {
      // NDims = -1 sent MetaIO into an endless loop
      {"NDims = 3", "NDims = -1", "ndims = '-1' is not an integer in 1..10"},
      {"NDims = 3", "NDims = 30", "ndims = '30' is not an integer in 1..10"},
      {"DimSize = 7 6 4", "DimSize = 7 6", "DimSize holds 2 values, NDims is 3"},
      {"DimSize = 7 6 4", "DimSize = 2147483647 2147483647 2147483647",
       "DimSize multiplies to more than 2^48 bytes"},
      {"DimSize = 7 6 4", "DimSize = 7 -6 4", "DimSize holds '-6'"},
      {"ElementSpacing = 0.75 ", "ElementSpacing = 0.75 nan ", "elementspacing holds 'nan'"},
      {"Offset = ", "Offset = 1e999 ", "offset holds '1e999"},
      {"ElementType = MET_SHORT", "ElementType = MET_STRING", "unsupported ElementType 'MET_STRING'"},
  };
  for (const auto& c : cases) {
    const std::string path = (dir / "patched.mha").string();
    fs::copy_file(good, path, fs::copy_options::overwrite_existing);
    patchHeader(path, c.from, c.to);
    const std::string msg = readError(path);
    EXPECT_EQ(msg.rfind("image '" + path + "' has an invalid MetaImage header: " + c.message, 0), 0u)
        << c.to << ": " << msg;
  }
}

TEST(ImageHostile, MetaImageDataMustBeWhollyThere) {
  const auto dir = fmcib::test::tempDir("image_meta_data");
  const Volume v = smallVolume({30, 20, 10});
  // a compressed .mha cut short: MetaIO left the voxels it could not inflate uninitialised
  const std::string zipped = (dir / "zipped.mha").string();
  writeImage(v, zipped, true);
  EXPECT_TRUE(sameVoxels(readImage(zipped), v));
  const std::string bytes = readAll(zipped);
  const std::string cut = (dir / "cut.mha").string();
  writeAll(cut, bytes.substr(0, bytes.size() - bytes.size() / 3));
  EXPECT_NE(readError(cut).find("is truncated: CompressedDataSize is"), std::string::npos);
  // ... also when the header no longer says how long the stream is
  std::string noSize = bytes.substr(0, bytes.size() - bytes.size() / 3);
  const size_t at = noSize.find("CompressedDataSize = ");
  ASSERT_NE(at, std::string::npos);
  noSize.replace(at, 21, "Comment_______Size = ");
  writeAll(cut, noSize);
  EXPECT_NE(readError(cut).find("its compressed voxels inflate to "), std::string::npos);

  // .mhd + .raw: HeaderSize = -100 read another part of the file as voxels
  const std::string mhd = (dir / "scan.mhd").string();
  writeImage(v, mhd, false);
  EXPECT_TRUE(sameVoxels(readImage(mhd), v));
  const std::string header = readAll(mhd);
  patchHeader(mhd, "ElementDataFile", "HeaderSize = -100\nElementDataFile");
  EXPECT_NE(readError(mhd).find("headersize = '-100' is not an integer in -1.."), std::string::npos);
  writeAll(mhd, header);
  fs::resize_file(dir / "scan.raw", v.byteSize() - 2);
  EXPECT_NE(readError(mhd).find("is truncated: its data file '"), std::string::npos);
  // a data file that is a FIFO, a missing one, a numbered pattern
  const std::string fifo = (dir / "pipe.raw").string();
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  writeAll(mhd, header.substr(0, header.find("ElementDataFile")) + "ElementDataFile = pipe.raw\n");
  EXPECT_NE(readError(mhd).find("names a data file '" + fifo + "' that is not a regular file"),
            std::string::npos);
  writeAll(mhd, header.substr(0, header.find("ElementDataFile")) + "ElementDataFile = gone.raw\n");
  EXPECT_NE(readError(mhd).find("that does not exist"), std::string::npos);
  writeAll(mhd,
           header.substr(0, header.find("ElementDataFile")) + "ElementDataFile = slice%s%s%n.raw 1 10 1\n");
  EXPECT_NE(readError(mhd).find("numbered ElementDataFile patterns"), std::string::npos);
}

TEST(ImageHostile, NrrdHeadersAndDataFiles) {
  const auto dir = fmcib::test::tempDir("image_nrrd");
  const Volume v = smallVolume();
  const std::string good = (dir / "good.nrrd").string();
  writeImage(v, good, false);
  EXPECT_TRUE(sameVoxels(readImage(good), v));
  const struct {
    const char* from;
    const char* to;
    const char* message;
  } cases[] = {
      {"dimension: 3", "dimension: -1", "dimension: '-1' is not an integer in 1..16"},
      {"sizes: 7 6 4", "sizes: 7 6 4 5", "sizes holds 4 values, dimension is 3"},
      {"sizes: 7 6 4", "sizes: 2000000000 2000000000 2000000000",
       "the sizes multiply to more than 2^48 bytes"},
      {"space directions: (", "space directions: (nan,", "space directions holds 'nan'"},
      {"type: short", "type: complex", "unsupported or missing type 'complex'"},
  };
  for (const auto& c : cases) {
    const std::string path = (dir / "patched.nrrd").string();
    fs::copy_file(good, path, fs::copy_options::overwrite_existing);
    patchHeader(path, c.from, c.to);
    const std::string msg = readError(path);
    EXPECT_EQ(msg.rfind("image '" + path + "' has an invalid NRRD header: " + c.message, 0), 0u)
        << c.to << ": " << msg;
  }
  // raw data cut short, and a gzip stream cut short
  const std::string cut = (dir / "cut.nrrd").string();
  fs::copy_file(good, cut);
  fs::resize_file(cut, fs::file_size(cut) - 10);
  EXPECT_NE(readError(cut).find("is truncated"), std::string::npos);
  const std::string zipped = (dir / "zipped.nrrd").string();
  writeImage(smallVolume({30, 20, 10}), zipped, true);
  fs::resize_file(zipped, fs::file_size(zipped) * 2 / 3);
  EXPECT_NE(readError(zipped).find(zipped), std::string::npos);
  // a detached header naming a FIFO
  const std::string nhdr = (dir / "scan.nhdr").string();
  writeImage(v, nhdr, false);
  EXPECT_TRUE(sameVoxels(readImage(nhdr), v));
  std::string h = readAll(nhdr);
  const size_t at = h.find("data file: ");
  ASSERT_NE(at, std::string::npos);
  const std::string fifo = (dir / "pipe.raw").string();
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  writeAll(nhdr, h.substr(0, at) + "data file: pipe.raw\n");
  EXPECT_NE(readError(nhdr).find("that is not a regular file"), std::string::npos);
}

TEST(ImageHostile, GiplHeadersAndVoxels) {
  const auto dir = fmcib::test::tempDir("image_gipl");
  const Volume v = smallVolume({30, 20, 10});
  const std::string good = (dir / "good.gipl").string();
  writeImage(v, good);
  EXPECT_TRUE(sameVoxels(readImage(good), v));
  const std::string bytes = readAll(good);
  // cut short: GiplImageIO read what was there and left the rest of the buffer as it was
  const std::string cut = (dir / "cut.gipl").string();
  writeAll(cut, bytes.substr(0, bytes.size() - 100));
  EXPECT_EQ(readError(cut),
            "image '" + cut + "' is truncated: it holds " + std::to_string(bytes.size() - 100) +
                " bytes of header and voxels, its header announces " + std::to_string(bytes.size()));
  const std::string gz = (dir / "cut.gipl.gz").string();
  ASSERT_EQ(std::system(("gzip -n -k -f " + good).c_str()), 0);
  const std::string zipped = readAll(good + ".gz");
  fs::rename(good + ".gz", (dir / "whole.gipl.gz"));
  EXPECT_TRUE(sameVoxels(readImage((dir / "whole.gipl.gz").string()), v));
  writeAll(gz, zipped.substr(0, zipped.size() / 2));
  EXPECT_NE(readError(gz).find("image '" + gz + "' is truncated: it holds "), std::string::npos)
      << readError(gz);
  // header fields GiplImageIO takes as they are
  const struct {
    size_t at;
    std::string value;
    const char* message;
  } cases[] = {
      {0, std::string(2, '\0'), "size 0 is 0"},
      {6, std::string("\0\x05", 2), "4D images are not supported"},
      {8, std::string("\0\xc0", 2), "unsupported image type 192"},
      {14, std::string("\x7f\xc0\0\0", 4), "spacing 1 is nan"},
      {212, std::string("\x7f\xf0\0\0\0\0\0\0", 8), "origin 1 is not finite or beyond 1e9"},
      {252, std::string(4, '\0'), "no GIPL magic number"},
  };
  for (const auto& c : cases) {
    std::string b = bytes;
    b.replace(c.at, c.value.size(), c.value);
    const std::string path = (dir / "patched.gipl").string();
    writeAll(path, b);
    EXPECT_EQ(readError(path), "image '" + path + "' has an invalid GIPL header: " + c.message) << c.message;
  }
}

/// A DICOM series of `v` in a new folder; returns the folder.
std::string dicomSeries(const std::string& tagName, const Volume& v) {
  const std::string folder = (fmcib::test::tempDir(tagName) / "series").string();
  writeDicomSeries(v, folder);
  return folder;
}

/// A DICOM file (meta header, then `dataSet`) added to `folder`.
std::string addDicom(const std::string& folder, const std::string& name, const std::string& dataSet) {
  const std::string path = (fs::path(folder) / name).string();
  writeAll(path, dicomPrefix() + dataSet);
  return path;
}

TEST(ImageHostile, DicomStructureIsWalkedBeforeGdcm) {
  const Volume v = smallVolume();
  const std::string folder = dicomSeries("image_dicom_structure", v);
  ASSERT_TRUE(sameVoxels(readImage(folder), v));
  const std::string patient = element(0x0010, 0x0010, "PN", "X^Y ");
  // 100,000 nested sequences overflowed GDCM's stack while it listed the folder
  std::string deep = patient;
  for (int i = 0; i < 100000; ++i) deep += sequenceStart(0x0040, 0x0275) + itemStart();
  for (int i = 0; i < 100000; ++i) deep += itemEnd() + sequenceEnd();
  const std::string deepPath = addDicom(folder, "deep.dcm", deep);
  EXPECT_NE(readError(folder).find("DICOM file '" + deepPath + "' is malformed at byte "), std::string::npos);
  EXPECT_NE(readError(folder).find("sequences nest deeper than 64 levels"), std::string::npos);
  fs::remove(deepPath);
  // a sequence never closed, an element far longer than the file, an unknown VR: GDCM asserted
  const std::string open =
      addDicom(folder, "open.dcm", patient + sequenceStart(0x0040, 0x0275) + itemStart() + patient);
  EXPECT_NE(readError(folder).find("is never closed"), std::string::npos);
  fs::remove(open);
  const std::string huge =
      addDicom(folder, "huge.dcm",
               patient + tag(0x0009, 0x1001) + "OB" + std::string(2, '\0') + u32le(0x7ffffff0) + "tail");
  EXPECT_NE(readError(folder).find("element (0009,1001) claims 2147483632 bytes, 4 remain"),
            std::string::npos);
  fs::remove(huge);
  const std::string vr = addDicom(folder, "vr.dcm", patient + tag(0x0010, 0x0020) + "Q?" + u16le(2) + "ab");
  EXPECT_NE(readError(folder).find("element (0010,0020) has an invalid VR"), std::string::npos);
  fs::remove(vr);
  // files that are not DICOM (a README, an empty file) are left out, as GDCM leaves them out
  writeAll((fs::path(folder) / "README.txt").string(), "scans of patient 7\n");
  writeAll((fs::path(folder) / "empty").string(), "");
  EXPECT_TRUE(sameVoxels(readImage(folder), v));
}

TEST(ImageHostile, DicomSlicesCutShortAreTruncated) {
  const Volume v = smallVolume({30, 20, 5});
  const std::string folder = dicomSeries("image_dicom_cut", v);
  const std::string slice = (fs::path(folder) / "IMG0003.dcm").string();
  const auto size = fs::file_size(slice);
  // cut within the pixel data: read as zeros before
  fs::resize_file(slice, size - 300);
  std::string msg = readError(folder);
  EXPECT_NE(msg.find("DICOM file '" + slice + "' is malformed at byte "), std::string::npos) << msg;
  EXPECT_NE(msg.find("claims 1200 bytes, 900 remain"), std::string::npos) << msg;
  // a pixel data element shortened to match the cut: the image attributes still tell
  std::string b = readAll(slice);
  const size_t pixel = b.rfind(tag(0x7fe0, 0x0010));
  ASSERT_NE(pixel, std::string::npos);
  const bool explicitVr = b.compare(pixel + 4, 2, "OW") == 0 || b.compare(pixel + 4, 2, "OB") == 0;
  put<uint32_t>(b, pixel + (explicitVr ? 8 : 4), 900);
  writeAll(slice, b);
  msg = readError(folder);
  EXPECT_NE(msg.find("is truncated or damaged: its pixel data holds 900 bytes, 20x30 pixels need 1200"),
            std::string::npos)
      << msg;
  EXPECT_NE(fmcib::test::errorOf<fmcib::InputError>([&] { readImage(slice); }).find("900 bytes"),
            std::string::npos);
}

TEST(ImageHostile, DicomFolderEntriesThatStopGdcmsListing) {
  const Volume v = smallVolume();
  const std::string folder = dicomSeries("image_dicom_entries", v);
  const std::string fifo = (fs::path(folder) / "IMG0000.dcm").string();
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  EXPECT_NE(readError(folder).find("'IMG0000.dcm' is not a regular file"), std::string::npos);
  fs::remove(fifo);
  const std::string link = (fs::path(folder) / "IMG0009.dcm").string();
  fs::create_symlink("/nonexistent/slice.dcm", link);
  EXPECT_NE(readError(folder).find("'IMG0009.dcm' cannot be read (a broken link?)"), std::string::npos);
  fs::remove(link);
  EXPECT_TRUE(sameVoxels(readImage(folder), v));
}

}  // namespace
