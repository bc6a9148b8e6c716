#pragma once
// Shared between image_io.cpp and dicom_io.cpp: converting between itk::Image<T, 3> and Volume.
#include <itkImage.h>
#include <itkImageIOBase.h>
#include <itkImportImageContainer.h>

#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "fmcib/config/error.hpp"
#include "fmcib/io/image_io.hpp"

namespace fmcib::io::detail {

PixelType pixelTypeFromIO(const itk::ImageIOBase& io, const std::string& path);
void checkDimensions(const itk::ImageIOBase& io, const std::string& path);
std::string itkMessage(const itk::ExceptionObject& e);

// Checks before ITK (niftilib, MetaIO, teem, GDCM) parses a file: those libraries abort, loop or
// read garbage on malformed headers, so each format's header is validated here first and the file
// must hold every voxel it announces. InputError names the file and the field.

/// Where a NIfTI file's voxels are and how checkNiftiRead confirms them after the read.
struct NiftiLayout {
  std::string dataPath;  // the .img of a .hdr/.img pair, else the file itself
  bool gzipped = false;
  uint64_t voxOffset = 0, voxelBytes = 0;
  std::optional<PixelType> storedType;  // the type ITK returns when it reads the stored bytes as they are
  bool verifyAfterRead = false;         // a .gz file whose gzip trailer confirms the voxels after the read
};
/// NIfTI-1/2 and Analyze headers: dimensions, datatype, spacing, finite q/sform when in use,
/// vox_offset; an uncompressed file must hold every voxel. With `voxels` (they will be read) a
/// compressed one is inflated once to count them, unless checkNiftiRead can confirm them from the
/// gzip trailer.
NiftiLayout checkNifti(const std::string& path, bool voxels);
/// After ITK read `v` from a file checkNifti allowed to verify late: its CRC-32 (with the header
/// bytes) must match the gzip trailer, else the stream is inflated and counted.
void checkNiftiRead(const NiftiLayout& layout, const Volume& v);
/// GIPL headers (sizes, type, spacing, origin) and the voxels behind them (GiplImageIO reads
/// whatever is there and leaves the rest of its buffer as it was).
void checkGipl(const std::string& path, bool voxels);
/// The first `n` bytes of a file, through gzip when `gz`; fewer when it is shorter.
std::vector<unsigned char> fileHead(const std::string& path, bool gz, size_t n);
/// InputError unless the gzip file `path` inflates, without a stream error, to at least `need` bytes.
void checkGzipInflates(const std::string& path, uint64_t need);
/// MetaImage headers (NDims, DimSize, geometry, ElementType, HeaderSize, compression) and their
/// data files (regular, long enough; with `voxels`, compressed streams inflate to every voxel).
void checkMetaImage(const std::string& path, bool voxels);
// Shared by the text-header checks (MetaImage, NRRD).
std::string trimText(const std::string& s);  // without surrounding spaces, tabs and CRs
std::vector<std::string> splitWords(const std::string& s);
/// A data file named in `header`: absolute, else relative to the header's folder.
std::string besideHeader(const std::string& header, const std::string& name);
/// The size of `data`, the data file of `image`; InputError unless it is a regular file.
uint64_t dataFileSize(const std::string& image, const std::string& data);
/// InputError when `file` (the image itself or its data file) holds fewer than `need` bytes.
void checkHolds(const std::string& image, const std::string& file, uint64_t have, uint64_t need);
/// NRRD headers (dimension, sizes, type, encoding, orientation) and their data files.
void checkNrrd(const std::string& path);
/// DICOM element structure (nesting up to kMaxDicomNesting, lengths within their containers,
/// closed sequences and items, known VRs) and pixel data holding every pixel. False when the file
/// is not DICOM (GDCM would turn it down without parsing it).
bool checkDicomFile(const std::string& path);
/// The DICOM files of a series folder (hidden files and subfolders left out, as GDCM's own listing
/// does), each walked by checkDicomFile; every other entry must be a regular file or a folder.
std::vector<std::string> checkDicomFolder(const std::string& folder);
inline constexpr int kMaxDicomNesting = 64;
/// Bound on every spacing, origin and direction number a header may hold (1e9 mm = 1000 km): the
/// libraries multiply and invert these, and overflowing values (finite ones too) reach vnl, which
/// aborts or iterates for ever.
inline constexpr double kMaxGeometryValue = 1e9;
inline bool plausibleGeometryValue(double v) {
  return std::isfinite(v) && std::abs(v) <= kMaxGeometryValue;
}

Volume readDicomSeries(const std::string& folder);
ImageInfo readDicomSeriesInfo(const std::string& folder);

template <class T>
ImageGeometry geometryOf(const itk::Image<T, 3>& image) {
  ImageGeometry g;
  const auto size = image.GetLargestPossibleRegion().GetSize();
  for (int i = 0; i < 3; ++i) {
    g.size[i] = static_cast<int64_t>(size[i]);
    g.spacing[i] = image.GetSpacing()[i];
    g.origin[i] = image.GetOrigin()[i];
    for (int j = 0; j < 3; ++j) g.direction[3 * i + j] = image.GetDirection()[i][j];
  }
  return g;
}

/// The Volume takes shared ownership of the ITK image's buffer (no copy).
template <class T>
Volume adoptImage(const typename itk::Image<T, 3>::Pointer& image) {
  T* data = image->GetBufferPointer();
  std::shared_ptr<void> owner(data, [keep = image](void*) mutable { keep = nullptr; });
  return Volume(pixelTypeOf<T>(), geometryOf(*image), std::move(owner), data);
}

/// Runs an ITK reader (one file or a series) and adopts its output; an ITK failure becomes an
/// InputError "<what>: <ITK's message>".
template <class T, class Reader>
Volume readAndAdopt(Reader& reader, const std::string& what) {
  typename itk::Image<T, 3>::Pointer image;
  try {
    reader.Update();
    image = reader.GetOutput();
    image->DisconnectPipeline();
  } catch (const itk::ExceptionObject& e) {
    throw InputError(what + ": " + itkMessage(e));
  }
  return adoptImage<T>(image);
}

/// An ITK image viewing the Volume's buffer (no copy; the volume must outlive it).
template <class T>
typename itk::Image<T, 3>::Pointer wrapVolume(const Volume& volume) {
  using Image = itk::Image<T, 3>;
  const ImageGeometry& g = volume.geometry();
  auto image = Image::New();
  typename Image::RegionType region;
  typename Image::SpacingType spacing;
  typename Image::PointType origin;
  typename Image::DirectionType direction;
  for (int i = 0; i < 3; ++i) {
    region.SetSize(i, static_cast<itk::SizeValueType>(g.size[i]));
    region.SetIndex(i, 0);
    spacing[i] = g.spacing[i];
    origin[i] = g.origin[i];
    for (int j = 0; j < 3; ++j) direction[i][j] = g.dir(i, j);
  }
  image->SetRegions(region);
  image->SetSpacing(spacing);
  image->SetOrigin(origin);
  image->SetDirection(direction);
  auto container = itk::ImportImageContainer<itk::SizeValueType, T>::New();
  container->SetImportPointer(const_cast<T*>(volume.dataAs<T>()),
                              static_cast<itk::SizeValueType>(volume.numVoxels()), false);
  image->SetPixelContainer(container);
  return image;
}

}  // namespace fmcib::io::detail
