#pragma once
/// Reading and writing scans with ITK. Reading accepts scalar 2D/3D images in `.nii`, `.nii.gz`,
/// `.hdr`/`.img`, `.nrrd`, `.nhdr`, `.mha`, `.mhd`, `.gipl`, a single DICOM file, and a folder holding
/// a DICOM series (GDCM); a 2D image becomes a volume one slice thick. The pixel type, spacing,
/// origin and direction are kept as stored. Only regular files and folders are opened, and each
/// format's header (and a DICOM file's element structure) is checked before ITK parses it; a volume
/// is returned only when every voxel its header announces was read (README "Limits"). Errors are
/// InputError naming the path.
#include <string>
#include <vector>

#include "fmcib/io/volume.hpp"

namespace fmcib::io {

/// Pixel type and geometry, from the header only.
struct ImageInfo {
  PixelType pixelType = PixelType::kInt16;
  ImageGeometry geometry;
};

/// Registers the ITK image IO factories fmcib relies on (NIfTI, NRRD, MetaImage, GDCM, GIPL), once,
/// whatever the link order did. Called by every function below; thread-safe.
void ensureImageIOFactories();

/// Reads a scan file or a DICOM series folder.
Volume readImage(const std::string& path);
/// Reads only the header (for a DICOM folder: the whole series' geometry).
ImageInfo readImageInfo(const std::string& path);

/// Writes a volume; the format follows the extension (.nii, .nii.gz, .nrrd, .nhdr, .mha, .mhd).
/// `compress` applies to formats that support it (.nrrd, .mha; .nii.gz is always compressed).
void writeImage(const Volume& volume, const std::string& path, bool compress = true);

/// Writes a DICOM CT series (one file per slice, `IMG0001.dcm`, ...) into `folder` (created).
/// Integer pixel types only. The series reads back with readImage(folder) as the same volume when
/// the direction is right-handed (DICOM stores the slice normal as row × column).
void writeDicomSeries(const Volume& volume, const std::string& folder);

/// The series UIDs found in a folder, largest series first.
std::vector<std::string> dicomSeriesIds(const std::string& folder);

}  // namespace fmcib::io
