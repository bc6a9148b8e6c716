#pragma once
// Shared between image_io.cpp and dicom_io.cpp: converting between itk::Image<T, 3> and Volume.
#include <itkImage.h>
#include <itkImageIOBase.h>
#include <itkImportImageContainer.h>

#include <cstdint>
#include <string>

#include "fmcib/config/error.hpp"
#include "fmcib/io/image_io.hpp"

namespace fmcib::io::detail {

PixelType pixelTypeFromIO(const itk::ImageIOBase& io, const std::string& path);
void checkDimensions(const itk::ImageIOBase& io, const std::string& path);
std::string itkMessage(const itk::ExceptionObject& e);

/// InputError when a .nii/.nii.gz file holds fewer voxel bytes than its header announces
/// (niftilib would silently zero-fill them).
void checkNiftiComplete(const std::string& path, uint64_t imageBytes);

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
