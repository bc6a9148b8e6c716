// DICOM series through GDCM: a folder is read as its largest series (slices sorted along the slice
// normal, as GDCMSeriesFileNames sorts them), and a volume is written as a CT series with per-slice
// position.
#include <gdcmSerieHelper.h>
#include <itkGDCMImageIO.h>
#include <itkImageSeriesReader.h>
#include <itkImageSeriesWriter.h>
#include <itkMetaDataObject.h>
#include <itkNumericSeriesFileNames.h>

#include <filesystem>
#include <iomanip>
#include <random>
#include <sstream>

#include "image_io_detail.hpp"

namespace fmcib::io {

namespace fs = std::filesystem;

namespace {

/// GDCM's own series grouping and slice ordering (what itk::GDCMSeriesFileNames runs, with series
/// details on), fed only the files checkDicomFolder walked: GDCM's directory scan would parse every
/// file in the folder, and it parses anything (a file of zeros made it allocate a gigabyte).
class CheckedSeries : public gdcm::SerieHelper {
 public:
  explicit CheckedSeries(const std::string& folder) {
    SetUseSeriesDetails(true);
    CreateDefaultUniqueSeriesIdentifier();
    for (const std::string& file : detail::checkDicomFolder(folder)) AddFileName(file);
  }

  /// (id, files in slice order) of every series, in GDCM's order of ids.
  std::vector<std::pair<std::string, std::vector<std::string>>> series() {
    std::vector<std::pair<std::string, std::vector<std::string>>> out;
    for (gdcm::FileList* list = GetFirstSingleSerieUIDFileSet(); list;
         list = GetNextSingleSerieUIDFileSet()) {
      if (list->empty()) continue;
      const std::string id = CreateUniqueSeriesIdentifier((*list)[0]);
      OrderFileList(list);
      std::vector<std::string> files;
      for (const auto& f : *list) files.push_back(f->filename);
      out.emplace_back(id, std::move(files));
    }
    return out;
  }
};

std::vector<std::pair<std::string, std::vector<std::string>>> folderSeries(const std::string& folder) {
  try {
    return CheckedSeries(folder).series();
  } catch (const Error&) {
    throw;
  } catch (const std::exception& e) {
    throw InputError("cannot read the DICOM folder '" + folder + "': " + e.what());
  }
}

std::vector<std::string> seriesFiles(const std::string& folder) {
  std::vector<std::string> best;
  for (auto& [id, files] : folderSeries(folder))
    if (files.size() > best.size()) best = std::move(files);
  if (best.empty()) throw InputError("folder '" + folder + "' holds no DICOM series");
  return best;
}

template <class T>
Volume readSeriesTyped(const std::string& folder, const std::vector<std::string>& files) {
  using Image = itk::Image<T, 3>;
  auto reader = itk::ImageSeriesReader<Image>::New();
  auto io = itk::GDCMImageIO::New();
  reader->SetImageIO(io);
  reader->SetFileNames(files);
  return detail::readAndAdopt<T>(*reader, "cannot read the DICOM series in '" + folder + "'");
}

PixelType seriesPixelType(const std::string& folder, const std::string& firstFile) {
  auto io = itk::GDCMImageIO::New();
  try {
    io->SetFileName(firstFile);
    io->ReadImageInformation();
  } catch (const itk::ExceptionObject& e) {
    throw InputError("cannot read DICOM file '" + firstFile + "' of '" + folder +
                     "': " + detail::itkMessage(e));
  }
  return detail::pixelTypeFromIO(*io, firstFile);
}

std::string makeUid(std::mt19937_64& rng) {
  // "2.25." + a decimal number is the DICOM form of a UUID-derived UID (PS3.5 B.2).
  std::ostringstream os;
  os << "2.25." << (rng() % 9000000000000000000ull + 1000000000000000000ull)
     << (rng() % 900000000ull + 100000000ull);
  return os.str();
}

std::string decimalString(double v) {
  // DICOM decimal strings hold at most 16 characters.
  std::ostringstream os;
  os << std::setprecision(10) << v;
  return os.str();
}

template <class T>
void writeSeriesTyped(const Volume& volume, const std::string& folder) {
  using Image3 = itk::Image<T, 3>;
  using Image2 = itk::Image<T, 2>;
  const ImageGeometry& g = volume.geometry();
  auto image = detail::wrapVolume<T>(volume);

  std::mt19937_64 rng(std::random_device{}());
  const std::string study = makeUid(rng), series = makeUid(rng), frame = makeUid(rng);
  std::ostringstream orientation;
  for (int c = 0; c < 2; ++c)
    for (int r = 0; r < 3; ++r) orientation << (c || r ? "\\" : "") << decimalString(g.dir(r, c));

  typename itk::ImageSeriesWriter<Image3, Image2>::DictionaryArrayType dictionaries;
  std::vector<itk::MetaDataDictionary> storage(static_cast<size_t>(g.size[2]));
  for (int64_t k = 0; k < g.size[2]; ++k) {
    auto& dict = storage[static_cast<size_t>(k)];
    const Vec3 position = g.indexToPhysical({0, 0, static_cast<double>(k)});
    const std::string ipp =
        decimalString(position[0]) + "\\" + decimalString(position[1]) + "\\" + decimalString(position[2]);
    itk::EncapsulateMetaData<std::string>(dict, "0008|0016", "1.2.840.10008.5.1.4.1.1.2");
    itk::EncapsulateMetaData<std::string>(dict, "0008|0018", makeUid(rng));
    itk::EncapsulateMetaData<std::string>(dict, "0008|0060", "CT");
    itk::EncapsulateMetaData<std::string>(dict, "0010|0010", "fmcib^synthetic");
    itk::EncapsulateMetaData<std::string>(dict, "0010|0020", "FMCIB");
    itk::EncapsulateMetaData<std::string>(dict, "0020|000d", study);
    itk::EncapsulateMetaData<std::string>(dict, "0020|000e", series);
    itk::EncapsulateMetaData<std::string>(dict, "0020|0052", frame);
    itk::EncapsulateMetaData<std::string>(dict, "0020|0013", std::to_string(k + 1));
    itk::EncapsulateMetaData<std::string>(dict, "0020|0032", ipp);
    itk::EncapsulateMetaData<std::string>(dict, "0020|0037", orientation.str());
    itk::EncapsulateMetaData<std::string>(dict, "0018|0050", decimalString(g.spacing[2]));
    itk::EncapsulateMetaData<std::string>(dict, "0018|0088", decimalString(g.spacing[2]));
    dictionaries.push_back(&dict);
  }

  auto names = itk::NumericSeriesFileNames::New();
  names->SetSeriesFormat((fs::path(folder) / "IMG%04d.dcm").string());
  names->SetStartIndex(1);
  names->SetEndIndex(static_cast<itk::SizeValueType>(g.size[2]));

  auto io = itk::GDCMImageIO::New();
  io->KeepOriginalUIDOn();
  auto writer = itk::ImageSeriesWriter<Image3, Image2>::New();
  writer->SetInput(image);
  writer->SetImageIO(io);
  writer->SetFileNames(names->GetFileNames());
  writer->SetMetaDataDictionaryArray(&dictionaries);
  try {
    writer->Update();
  } catch (const itk::ExceptionObject& e) {
    throw RuntimeError("cannot write the DICOM series '" + folder + "': " + detail::itkMessage(e));
  }
}

}  // namespace

namespace detail {

Volume readDicomSeries(const std::string& folder) {
  const auto files = seriesFiles(folder);
  const PixelType type = seriesPixelType(folder, files.front());
  return dispatchPixelType(type, [&](auto tag) { return readSeriesTyped<decltype(tag)>(folder, files); });
}

ImageInfo readDicomSeriesInfo(const std::string& folder) {
  // The series geometry needs every slice position; reading the series is the reliable way.
  const Volume v = readDicomSeries(folder);
  return {v.pixelType(), v.geometry()};
}

}  // namespace detail

std::vector<std::string> dicomSeriesIds(const std::string& folder) {
  ensureImageIOFactories();
  std::vector<std::pair<size_t, std::string>> ids;
  for (const auto& [id, files] : folderSeries(folder)) ids.emplace_back(files.size(), id);
  std::stable_sort(ids.begin(), ids.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  std::vector<std::string> out;
  for (auto& p : ids) out.push_back(p.second);
  return out;
}

void writeDicomSeries(const Volume& volume, const std::string& folder) {
  ensureImageIOFactories();
  if (volume.empty())
    throw RuntimeError("cannot write the DICOM series '" + folder + "': the volume is empty");
  fs::create_directories(folder);
  switch (volume.pixelType()) {
    case PixelType::kUInt8:
      return writeSeriesTyped<uint8_t>(volume, folder);
    case PixelType::kInt8:
      return writeSeriesTyped<int8_t>(volume, folder);
    case PixelType::kUInt16:
      return writeSeriesTyped<uint16_t>(volume, folder);
    case PixelType::kInt16:
      return writeSeriesTyped<int16_t>(volume, folder);
    case PixelType::kUInt32:
      return writeSeriesTyped<uint32_t>(volume, folder);
    case PixelType::kInt32:
      return writeSeriesTyped<int32_t>(volume, folder);
    default:
      throw RuntimeError("cannot write the DICOM series '" + folder +
                         "': " + pixelTypeName(volume.pixelType()) +
                         " voxels; DICOM series need an integer pixel type");
  }
}

}  // namespace fmcib::io
