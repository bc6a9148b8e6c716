// Scan files through ITK: the pixel type is read from the header first, then the matching
// itk::Image<T, 3> reader fills a buffer that the Volume adopts without a copy.
#include "fmcib/io/image_io.hpp"

#include <itkGDCMImageIOFactory.h>
#include <itkGiplImageIOFactory.h>
#include <itkImage.h>
#include <itkImageFileReader.h>
#include <itkImageFileWriter.h>
#include <itkImageIOFactory.h>
#include <itkMetaImageIOFactory.h>
#include <itkNiftiImageIOFactory.h>
#include <itkNrrdImageIOFactory.h>
#include <itkObjectFactoryBase.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <mutex>

#include "fmcib/io/atomic_file.hpp"
#include "image_io_detail.hpp"

namespace fmcib::io {

namespace fs = std::filesystem;

void ensureImageIOFactories() {
  static std::once_flag once;
  std::call_once(once, [] {
    // ITK_USE_FILE normally registers these from a static initializer; a static library can lose
    // that initializer at link time, so register explicitly (skipping those already present).
    auto registered = [](const char* name) {
      for (auto* f : itk::ObjectFactoryBase::GetRegisteredFactories())
        if (std::string(f->GetNameOfClass()) == name) return true;
      return false;
    };
    if (!registered("NiftiImageIOFactory")) itk::NiftiImageIOFactory::RegisterOneFactory();
    if (!registered("NrrdImageIOFactory")) itk::NrrdImageIOFactory::RegisterOneFactory();
    if (!registered("MetaImageIOFactory")) itk::MetaImageIOFactory::RegisterOneFactory();
    if (!registered("GDCMImageIOFactory")) itk::GDCMImageIOFactory::RegisterOneFactory();
    if (!registered("GiplImageIOFactory")) itk::GiplImageIOFactory::RegisterOneFactory();
    // ITK's warnings (e.g. GDCM's "No Series were found") go straight to stderr; fmcib reports
    // problems itself as typed errors.
    itk::Object::GlobalWarningDisplayOff();
  });
}

namespace detail {

PixelType pixelTypeFromIO(const itk::ImageIOBase& io, const std::string& path) {
  if (io.GetNumberOfComponents() != 1)
    throw InputError("image '" + path + "' has " + std::to_string(io.GetNumberOfComponents()) +
                     " components per voxel (" + itk::ImageIOBase::GetPixelTypeAsString(io.GetPixelType()) +
                     "); fmcib reads scalar scans only");
  using C = itk::IOComponentEnum;
  const C c = io.GetComponentType();
  if (c == C::FLOAT) return PixelType::kFloat32;
  if (c == C::DOUBLE) return PixelType::kFloat64;
  const bool isSigned = c == C::CHAR || c == C::SHORT || c == C::INT || c == C::LONG || c == C::LONGLONG;
  switch (io.GetComponentSize()) {
    case 1:
      return isSigned ? PixelType::kInt8 : PixelType::kUInt8;
    case 2:
      return isSigned ? PixelType::kInt16 : PixelType::kUInt16;
    case 4:
      return isSigned ? PixelType::kInt32 : PixelType::kUInt32;
    case 8:
      return isSigned ? PixelType::kInt64 : PixelType::kUInt64;
    default:
      break;
  }
  throw InputError("image '" + path + "' has an unsupported voxel type " +
                   itk::ImageIOBase::GetComponentTypeAsString(c));
}

void checkDimensions(const itk::ImageIOBase& io, const std::string& path) {
  const unsigned dims = io.GetNumberOfDimensions();
  if (dims < 2)
    throw InputError("image '" + path + "' has " + std::to_string(dims) +
                     " dimension(s); a scan needs 2 or 3");
  for (unsigned d = 3; d < dims; ++d)
    if (io.GetDimensions(d) != 1)
      throw InputError("image '" + path + "' is " + std::to_string(dims) + "-dimensional with " +
                       std::to_string(io.GetDimensions(d)) + " entries along axis " + std::to_string(d) +
                       "; fmcib reads 3D scans only");
}

std::string itkMessage(const itk::ExceptionObject& e) {
  std::string s = e.GetDescription();
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

}  // namespace detail

namespace {

itk::ImageIOBase::Pointer openImageIO(const std::string& path) {
  if (!fs::exists(path)) throw InputError("image '" + path + "' does not exist");
  auto io = itk::ImageIOFactory::CreateImageIO(path.c_str(), itk::IOFileModeEnum::ReadMode);
  if (!io)
    throw InputError("image '" + path +
                     "' is not in a format ITK reads (expected .nii, .nii.gz, .nrrd, .mha, .mhd, "
                     ".gipl, DICOM, or a folder holding a DICOM series)");
  try {
    io->SetFileName(path);
    io->ReadImageInformation();
  } catch (const itk::ExceptionObject& e) {
    throw InputError("cannot read image '" + path + "': " + detail::itkMessage(e));
  }
  detail::checkDimensions(*io, path);
  return io;
}

template <class T>
Volume readTyped(const std::string& path, itk::ImageIOBase* io) {
  using Image = itk::Image<T, 3>;
  auto reader = itk::ImageFileReader<Image>::New();
  reader->SetFileName(path);
  reader->SetImageIO(io);
  return detail::readAndAdopt<T>(*reader, "cannot read image '" + path + "'");
}

/// Writes `file`; errors name `path` (the target, when `file` is its temporary).
template <class T>
void writeTyped(const Volume& volume, const std::string& file, bool compress, const std::string& path) {
  using Image = itk::Image<T, 3>;
  auto image = detail::wrapVolume<T>(volume);
  auto writer = itk::ImageFileWriter<Image>::New();
  writer->SetFileName(file);
  writer->SetInput(image);
  writer->SetUseCompression(compress);
  try {
    writer->Update();
  } catch (const itk::ExceptionObject& e) {
    throw RuntimeError("cannot write image '" + path + "': " + detail::itkMessage(e));
  }
}

bool endsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && std::equal(suffix.rbegin(), suffix.rend(), s.rbegin(),
                                                 [](char a, char b) { return std::tolower(a) == b; });
}

}  // namespace

Volume readImage(const std::string& path) {
  ensureImageIOFactories();
  if (fs::is_directory(path)) return detail::readDicomSeries(path);
  auto io = openImageIO(path);
  const PixelType type = detail::pixelTypeFromIO(*io, path);
  detail::checkNiftiComplete(path, static_cast<uint64_t>(io->GetImageSizeInBytes()));
  return dispatchPixelType(type, [&](auto tag) { return readTyped<decltype(tag)>(path, io.GetPointer()); });
}

ImageInfo readImageInfo(const std::string& path) {
  ensureImageIOFactories();
  if (fs::is_directory(path)) return detail::readDicomSeriesInfo(path);
  auto io = openImageIO(path);
  ImageInfo info;
  info.pixelType = detail::pixelTypeFromIO(*io, path);
  const unsigned dims = std::min(3u, io->GetNumberOfDimensions());
  for (unsigned i = 0; i < dims; ++i) {
    info.geometry.size[i] = static_cast<int64_t>(io->GetDimensions(i));
    info.geometry.spacing[i] = io->GetSpacing(i);
    info.geometry.origin[i] = io->GetOrigin(i);
    const auto column = io->GetDirection(i);
    for (unsigned r = 0; r < dims && r < column.size(); ++r) info.geometry.direction[3 * r + i] = column[r];
  }
  return info;
}

void writeImage(const Volume& volume, const std::string& path, bool compress) {
  ensureImageIOFactories();
  static const char* kExtensions[] = {".nii", ".nii.gz", ".nrrd", ".nhdr", ".mha", ".mhd", ".gipl"};
  bool known = false;
  for (const char* ext : kExtensions) known = known || endsWith(path, ext);
  if (!known)
    throw RuntimeError("cannot write image '" + path +
                       "': unknown extension (use .nii, .nii.gz, .nrrd, .nhdr, .mha, .mhd or .gipl)");
  if (volume.empty()) throw RuntimeError("cannot write image '" + path + "': the volume is empty");
  const fs::path parent = fs::path(path).parent_path();
  if (!parent.empty()) fs::create_directories(parent);
  auto write = [&](const std::string& file) {
    dispatchPixelType(volume.pixelType(),
                      [&](auto tag) { writeTyped<decltype(tag)>(volume, file, compress, path); });
  };
  // Header and voxels in one file: written atomically beside the target. The two-file formats
  // (.nhdr, .mhd) name their data file after the header, so they are written in place.
  if (endsWith(path, ".nhdr") || endsWith(path, ".mhd")) {
    write(path);
    return;
  }
  writeViaTemporary(path, write);
}

}  // namespace fmcib::io
