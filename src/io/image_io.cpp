// Scan files through ITK: the pixel type is read from the header first, then the matching
// itk::Image<T, 3> reader fills a buffer that the Volume adopts without a copy.
#include "fmcib/io/image_io.hpp"

#include <itkGDCMImageIO.h>
#include <itkGDCMImageIOFactory.h>
#include <itkGiplImageIO.h>
#include <itkGiplImageIOFactory.h>
#include <itkImage.h>
#include <itkImageFileReader.h>
#include <itkImageFileWriter.h>
#include <itkImageIOFactory.h>
#include <itkMetaImageIO.h>
#include <itkMetaImageIOFactory.h>
#include <itkNiftiImageIO.h>
#include <itkNiftiImageIOFactory.h>
#include <itkNrrdImageIO.h>
#include <itkNrrdImageIOFactory.h>
#include <itkObjectFactoryBase.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
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

enum class Format { kNifti, kMeta, kNrrd, kGipl, kDicom };

bool endsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && std::equal(suffix.rbegin(), suffix.rend(), s.rbegin(),
                                                 [](char a, char b) { return std::tolower(a) == b; });
}

/// Whether `path` is a folder (a DICOM series); InputError unless it is that or a regular file.
/// Checked before anything opens the path: opening a FIFO blocks until a writer comes.
bool isFolder(const std::string& path) {
  std::error_code ec;
  const auto st = fs::status(path, ec);
  if (ec && ec != std::errc::no_such_file_or_directory)
    throw InputError("image '" + path + "' cannot be accessed: " + ec.message());
  if (!fs::exists(st)) throw InputError("image '" + path + "' does not exist");
  if (fs::is_directory(st)) return true;
  if (!fs::is_regular_file(st))
    throw InputError("image '" + path + "' is not a regular file or a folder (a FIFO, device or socket?)");
  return false;
}

[[noreturn]] void unknownFormat(const std::string& path) {
  throw InputError("image '" + path +
                   "' is not in a format ITK reads (expected .nii, .nii.gz, .nrrd, .mha, .mhd, "
                   ".gipl, DICOM, or a folder holding a DICOM series)");
}

/// The format, from the extension, else from the content (NRRD magic, DICOM). The reader is chosen
/// here rather than by ITK's factory, which would offer a file every reader in turn, GDCM included.
Format formatOf(const std::string& path) {
  for (const char* ext : {".nii", ".nii.gz", ".hdr", ".hdr.gz", ".img", ".img.gz"})
    if (endsWith(path, ext)) return Format::kNifti;
  if (endsWith(path, ".mha") || endsWith(path, ".mhd")) return Format::kMeta;
  if (endsWith(path, ".nrrd") || endsWith(path, ".nhdr")) return Format::kNrrd;
  if (endsWith(path, ".gipl") || endsWith(path, ".gipl.gz")) return Format::kGipl;
  char magic[7] = {};
  std::ifstream(path, std::ios::binary).read(magic, sizeof magic);
  if (std::string(magic, sizeof magic) == "NRRD000") return Format::kNrrd;
  if (detail::checkDicomFile(path)) return Format::kDicom;
  unknownFormat(path);
}

/// The format's reader with the header read, after the format's own checks. `layout` receives
/// where NIfTI voxels are; `voxels`: the caller reads them (compressed voxels are counted).
itk::ImageIOBase::Pointer openImageIO(const std::string& path, Format format, bool voxels,
                                      detail::NiftiLayout* layout) {
  itk::ImageIOBase::Pointer io;
  switch (format) {
    case Format::kNifti: {
      const detail::NiftiLayout l = detail::checkNifti(path, voxels);
      if (layout) *layout = l;
      io = itk::NiftiImageIO::New();
      break;
    }
    case Format::kMeta:
      detail::checkMetaImage(path, voxels);
      io = itk::MetaImageIO::New();
      break;
    case Format::kNrrd:
      detail::checkNrrd(path);
      io = itk::NrrdImageIO::New();
      break;
    case Format::kGipl:
      detail::checkGipl(path, voxels);
      io = itk::GiplImageIO::New();
      break;
    case Format::kDicom:
      io = itk::GDCMImageIO::New();  // formatOf walked the file
      break;
  }
  try {
    if (!io->CanReadFile(path.c_str())) unknownFormat(path);
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

}  // namespace

Volume readImage(const std::string& path) {
  ensureImageIOFactories();
  if (isFolder(path)) return detail::readDicomSeries(path);
  const Format format = formatOf(path);
  detail::NiftiLayout layout;
  auto io = openImageIO(path, format, true, &layout);
  const PixelType type = detail::pixelTypeFromIO(*io, path);
  Volume v =
      dispatchPixelType(type, [&](auto tag) { return readTyped<decltype(tag)>(path, io.GetPointer()); });
  if (format == Format::kNifti) detail::checkNiftiRead(layout, v);
  return v;
}

ImageInfo readImageInfo(const std::string& path) {
  ensureImageIOFactories();
  if (isFolder(path)) return detail::readDicomSeriesInfo(path);
  auto io = openImageIO(path, formatOf(path), false, nullptr);
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
