#pragma once
/// Crop and pad transforms (MONAI 1.2 semantics): SpatialPad, CenterSpatialCrop, RandSpatialCrop,
/// RandScaleCrop, and fmcib's RandomResizedCrop3D (RandScaleCrop + trilinear Resize).
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "fmcib/transforms/transform.hpp"

namespace fmcib::transforms {

/// Pads every spatial axis up to `spatialSize` (one size, or one per axis; an axis already as large,
/// or a non-positive size, is left alone). method "symmetric" (floor half before, the rest after) or
/// "end"; mode constant (with `value`), edge/replicate, reflect, wrap/circular.
class SpatialPad final : public Transform {
 public:
  explicit SpatialPad(std::vector<int64_t> spatialSize, std::string method = "symmetric",
                      std::string mode = "constant", double value = 0.0);
  at::Tensor operator()(const at::Tensor& x, Generator& gen) const override;
  std::string name() const override { return "monai.transforms.SpatialPad"; }

 private:
  std::vector<int64_t> size_;
  std::string method_, mode_;
  double value_;
};

/// [start, end) per spatial axis of MONAI's centre crop of `roiSize` (after fall-back) on `shape`.
std::vector<std::pair<int64_t, int64_t>> centerCropBox(const std::vector<int64_t>& roiSize,
                                                       at::IntArrayRef shape);
/// Crops a channel-first tensor to the boxes (a view of x).
at::Tensor cropBox(const at::Tensor& x, const std::vector<std::pair<int64_t, int64_t>>& box);

class CenterSpatialCrop final : public Transform {
 public:
  explicit CenterSpatialCrop(std::vector<int64_t> roiSize);
  at::Tensor operator()(const at::Tensor& x, Generator& gen) const override;
  std::string name() const override { return "monai.transforms.CenterSpatialCrop"; }

 private:
  std::vector<int64_t> roi_;
};

/// The random box of RandSpatialCrop: size `roi` (or, with randomSize, uniform in [roi, maxRoi]
/// per axis), clamped to the image, at a uniform start (randomCenter) or centred.
std::vector<std::pair<int64_t, int64_t>> randomCropBox(Generator& gen, at::IntArrayRef shape,
                                                       const std::vector<int64_t>& roi,
                                                       const std::optional<std::vector<int64_t>>& maxRoi,
                                                       bool randomCenter, bool randomSize);

class RandSpatialCrop final : public Transform {
 public:
  explicit RandSpatialCrop(std::vector<int64_t> roiSize,
                           std::optional<std::vector<int64_t>> maxRoiSize = std::nullopt,
                           bool randomCenter = true, bool randomSize = false);
  at::Tensor operator()(const at::Tensor& x, Generator& gen) const override;
  std::string name() const override { return "monai.transforms.RandSpatialCrop"; }

 private:
  std::vector<int64_t> roi_;
  std::optional<std::vector<int64_t>> maxRoi_;
  bool randomCenter_, randomSize_;
};

/// RandSpatialCrop with sizes ceil(scale * image size) per axis (MONAI rounds up).
class RandScaleCrop final : public Transform {
 public:
  explicit RandScaleCrop(std::vector<double> roiScale,
                         std::optional<std::vector<double>> maxRoiScale = std::nullopt,
                         bool randomCenter = true, bool randomSize = false);
  at::Tensor operator()(const at::Tensor& x, Generator& gen) const override;
  std::string name() const override { return "monai.transforms.RandScaleCrop"; }

 private:
  std::vector<double> scale_;
  std::optional<std::vector<double>> maxScale_;
  bool randomCenter_, randomSize_;
};

/// fmcib.transforms.RandomResizedCrop3D: with probability `prob`, one scale s uniform in
/// [scale[0], scale[1]] (drawn as float32, as torch does), RandScaleCrop(roi_scale=s,
/// random_size=False) — a random crop of ceil(s*dim) per axis — then a trilinear Resize to size³.
/// When it does not fire the input is returned as it is (a later SpatialPad gives the size).
class RandomResizedCrop3D final : public Transform {
 public:
  explicit RandomResizedCrop3D(double prob = 1.0, int64_t size = 50, std::vector<double> scale = {0.5, 1.0});
  at::Tensor operator()(const at::Tensor& x, Generator& gen) const override;
  std::string name() const override { return "fmcib.transforms.RandomResizedCrop3D"; }

 private:
  double prob_;
  int64_t size_;
  std::vector<double> scale_;
};

}  // namespace fmcib::transforms
