#pragma once
/// Linear resampling to a new spacing, with the semantics of fmcib's `resample_image_to_spacing`
/// (SimpleITK `Resample`, identity transform): same origin and direction, size
/// `round(size · spacing / new_spacing)` (Python's round: half to even), voxels outside the source
/// take `defaultValue`, the output keeps the input pixel type (clamped to its range, then truncated
/// toward zero, as itk::ResampleImageFilter casts).
///
/// Output voxel m is mapped to a source continuous index the way itk::ResampleImageFilter does
/// (physical points of the ends of m's whole scanline, converted with ITK's matrix inverse, then
/// interpolated along the scanline), so the voxels equal SimpleITK's bit for bit, including at
/// grid-coincident points where the last bit decides the int16 truncation. Interpolation follows
/// itk::LinearInterpolateImageFunction: inside means index ∈ [-0.5, size - 0.5); the lower
/// neighbour is clamped to 0 and there is no upper one past the end; weights apply x, then y, then
/// z. A voxel depends only on its own index, so resampling a box of the output grid gives exactly
/// the voxels that resampling the whole image puts there.
#include "fmcib/io/volume.hpp"

namespace fmcib::data {

/// The geometry `resample_image_to_spacing` produces.
io::ImageGeometry resampledGeometry(const io::ImageGeometry& source, const io::Vec3& newSpacing);

/// Resamples `source` onto the box [start, start + size) of the grid `target` (which must come from
/// resampledGeometry(source.geometry(), ...)). The result's geometry is the box's.
io::Volume resampleBox(const io::Volume& source, const io::ImageGeometry& target, const io::Index3& start,
                       const io::Index3& size, double defaultValue = -1024.0);

/// The whole resampled image.
io::Volume resampleToSpacing(const io::Volume& source, const io::Vec3& newSpacing,
                             double defaultValue = -1024.0);

/// resampleBox reading from a window of the scan: `window` holds the voxels [windowStart,
/// windowStart + window size) of a scan whose geometry is `source`. Gives the voxels resampleBox gives
/// on the whole scan when the window covers resampleSourceBox (RuntimeError if a voxel it needs is
/// outside the window).
io::Volume resampleBoxFromWindow(const io::Volume& window, const io::Index3& windowStart,
                                 const io::ImageGeometry& source, const io::ImageGeometry& target,
                                 const io::Index3& start, const io::Index3& size,
                                 double defaultValue = -1024.0);

/// The box of source voxels that resampling the box [start, start + size) of `target` reads
/// (clamped to the source, never empty), so a scan cache reads only that.
void resampleSourceBox(const io::ImageGeometry& source, const io::ImageGeometry& target,
                       const io::Index3& start, const io::Index3& size, io::Index3& sourceStart,
                       io::Index3& sourceSize);

}  // namespace fmcib::data
