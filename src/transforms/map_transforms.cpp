#include "fmcib/transforms/map_transforms.hpp"

#include <torch/torch.h>

#include <cerrno>
#include <cmath>
#include <cstdlib>

#include "common.hpp"
#include "fmcib/transforms/croppad.hpp"

namespace fmcib::transforms {

ArrayMapTransform::ArrayMapTransform(KeySelection keys, std::string name, TransformPtr array, bool pointwise)
    : ImageMapTransform(std::move(keys), std::move(name)), array_(std::move(array)), pointwise_(pointwise) {
  if (!array_) throw ConfigError(this->name() + ": no array transform");
}

MetaImage ArrayMapTransform::apply(const MetaImage& image, const DataDict&, Generator& gen) const {
  if (pointwise_) return image.pointwise(array_);
  return image.withTensor((*array_)(image.tensor(), gen), image.affine());
}

MetaImage EnsureChannelFirstd::apply(const MetaImage& image, const DataDict&, Generator&) const {
  return image.withChannel();
}

MetaImage Spacingd::apply(const MetaImage& image, const DataDict&, Generator&) const {
  return spacing(image, options_);
}

Orientationd::Orientationd(KeySelection keys, std::string axcodes)
    : ImageMapTransform(std::move(keys), "monai.transforms.Orientationd"), axcodes_(std::move(axcodes)) {
  if (!axcodes_.empty()) axcodesToOrientation(axcodes_);  // checks the code now
}

MetaImage Orientationd::apply(const MetaImage& image, const DataDict&, Generator&) const {
  return orientation(image, axcodes_);
}

SeedBasedPatchCropd::SeedBasedPatchCropd(KeySelection keys, std::array<int64_t, 3> roiSize,
                                         CoordOrientation coords, bool globalCoordinates)
    : ImageMapTransform(std::move(keys), "fmcib.preprocessing.SeedBasedPatchCropd"),
      roi_(roiSize),
      coords_(coords),
      global_(globalCoordinates) {
  for (int64_t r : roi_)
    if (r < 1) throw detail::ArgumentError("roi_size", "sizes must be positive, got " + std::to_string(r));
}

namespace {

double numberOf(const DataDict& d, const std::string& key) {
  const std::string& text = d.text(key);
  const size_t b = text.find_first_not_of(" \t"), e = text.find_last_not_of(" \t");
  const std::string trimmed = b == std::string::npos ? "" : text.substr(b, e - b + 1);
  char* end = nullptr;
  errno = 0;
  const double v = trimmed.empty() ? 0.0 : std::strtod(trimmed.c_str(), &end);
  if (trimmed.empty() || end != trimmed.c_str() + trimmed.size() || !std::isfinite(v))
    throw InputError("column '" + key + "': '" + text + "' is not a number");
  return v;
}

}  // namespace

Point3 SeedBasedPatchCropd::center(const DataDict& d) const {
  const double x = numberOf(d, "coordX"), y = numberOf(d, "coordY"), z = numberOf(d, "coordZ");
  if (coords_ == CoordOrientation::kLPS) return {-x, -y, z};
  return {x, y, z};
}

MetaImage SeedBasedPatchCropd::apply(const MetaImage& image, const DataDict& d, Generator&) const {
  Point3 c = center(d);
  if (!global_)  // voxel indices: Python slices with them as they are (whole numbers)
    for (double& v : c) v = std::trunc(v);
  return seedBasedPatchCrop(image, c, roi_, global_);
}

SpatialPadd::SpatialPadd(KeySelection keys, std::vector<int64_t> spatialSize, std::string method,
                         std::string mode, double value)
    : ImageMapTransform(std::move(keys), "monai.transforms.SpatialPadd"),
      size_(spatialSize),
      method_(method),
      pad_(std::make_shared<SpatialPad>(std::move(spatialSize), std::move(method), std::move(mode), value)) {}

MetaImage SpatialPadd::apply(const MetaImage& image, const DataDict&, Generator& gen) const {
  if (!image.hasChannel())
    throw InputError("SpatialPadd needs a channel-first image (EnsureChannelFirstd first)");
  at::Tensor x = image.tensor();
  at::Tensor padded = (*pad_)(x, gen);
  // The affine follows the voxels padded before each spatial axis (the last three).
  const auto shape = x.sizes().slice(1);
  const auto target = detail::fallBack(size_, shape, name());
  Affine shiftBack = identityAffine();
  const int64_t n = static_cast<int64_t>(shape.size());
  for (int64_t i = std::max<int64_t>(0, n - 3); i < n; ++i) {
    const int64_t before = method_ == "symmetric" ? std::max<int64_t>(target[i] - shape[i], 0) / 2 : 0;
    shiftBack[4 * (i - (n - 3)) + 3] = -static_cast<double>(before);
  }
  return image.withTensor(padded, matmul(image.affine(), shiftBack));
}

}  // namespace fmcib::transforms
