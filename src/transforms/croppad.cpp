#include "fmcib/transforms/croppad.hpp"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>

#include "common.hpp"
#include "fmcib/transforms/random.hpp"
#include "fmcib/transforms/spatial.hpp"

namespace fmcib::transforms {

namespace F = torch::nn::functional;

// ---------------------------------------------------------------- SpatialPad

SpatialPad::SpatialPad(std::vector<int64_t> spatialSize, std::string method, std::string mode, double value)
    : size_(std::move(spatialSize)), method_(std::move(method)), mode_(std::move(mode)), value_(value) {
  if (size_.empty()) throw detail::ArgumentError("spatial_size", "is required");
  if (method_ != "symmetric" && method_ != "end")
    throw detail::ArgumentError("method", "must be 'symmetric' or 'end', got '" + method_ + "'");
  static const std::vector<std::string> kModes = {"constant", "edge", "replicate",
                                                  "reflect",  "wrap", "circular"};
  if (std::find(kModes.begin(), kModes.end(), mode_) == kModes.end())
    throw detail::ArgumentError("mode",
                                "unknown padding mode '" + mode_ + "'; accepted: " + detail::joined(kModes));
}

at::Tensor SpatialPad::operator()(const at::Tensor& x, Generator&) const {
  detail::spatialDims(x, name());
  const auto shape = x.sizes().slice(1);
  const auto target = detail::fallBack(size_, shape, name());
  // torch's pad list runs from the last axis backwards: (before_last, after_last, before_prev, ...).
  std::vector<int64_t> pad;
  bool any = false;
  for (int64_t i = static_cast<int64_t>(shape.size()) - 1; i >= 0; --i) {
    const int64_t width = std::max<int64_t>(target[i] - shape[i], 0);
    const int64_t before = method_ == "symmetric" ? width / 2 : 0;
    pad.push_back(before);
    pad.push_back(width - before);
    any = any || width > 0;
  }
  if (!any) return x;
  if (mode_ == "constant") return torch::constant_pad_nd(x, pad, value_);
  auto opts = F::PadFuncOptions(pad);
  if (mode_ == "reflect")
    opts = opts.mode(torch::kReflect);
  else if (mode_ == "edge" || mode_ == "replicate")
    opts = opts.mode(torch::kReplicate);
  else
    opts = opts.mode(torch::kCircular);
  return F::pad(x.unsqueeze(0), opts).squeeze(0);
}

// ---------------------------------------------------------------- crops

std::vector<std::pair<int64_t, int64_t>> centerCropBox(const std::vector<int64_t>& roiSize,
                                                       at::IntArrayRef shape) {
  const auto size = detail::fallBack(roiSize, shape, "CenterSpatialCrop");
  std::vector<std::pair<int64_t, int64_t>> box;
  for (size_t i = 0; i < shape.size(); ++i) {
    const int64_t start = std::max<int64_t>(shape[i] / 2 - size[i] / 2, 0);
    box.emplace_back(start, std::min(start + size[i], shape[i]));
  }
  return box;
}

at::Tensor cropBox(const at::Tensor& x, const std::vector<std::pair<int64_t, int64_t>>& box) {
  at::Tensor y = x;
  for (size_t i = 0; i < box.size(); ++i)
    y = y.slice(static_cast<int64_t>(i) + 1, box[i].first, box[i].second);
  return y;
}

CenterSpatialCrop::CenterSpatialCrop(std::vector<int64_t> roiSize) : roi_(std::move(roiSize)) {
  if (roi_.empty()) throw detail::ArgumentError("roi_size", "is required");
}

at::Tensor CenterSpatialCrop::operator()(const at::Tensor& x, Generator&) const {
  detail::spatialDims(x, name());
  return cropBox(x, centerCropBox(roi_, x.sizes().slice(1)));
}

std::vector<std::pair<int64_t, int64_t>> randomCropBox(Generator& gen, at::IntArrayRef shape,
                                                       const std::vector<int64_t>& roi,
                                                       const std::optional<std::vector<int64_t>>& maxRoi,
                                                       bool randomCenter, bool randomSize) {
  std::vector<int64_t> size = detail::fallBack(roi, shape, "RandSpatialCrop");
  if (randomSize) {
    const std::vector<int64_t> maxSize =
        maxRoi ? detail::fallBack(*maxRoi, shape, "RandSpatialCrop") : shape.vec();
    for (size_t i = 0; i < size.size(); ++i) {
      if (size[i] > maxSize[i])
        throw RuntimeError("RandSpatialCrop: min ROI size " + c10::str(at::IntArrayRef(size)) +
                           " is larger than max ROI size " + c10::str(at::IntArrayRef(maxSize)));
      size[i] = randint(gen, size[i], maxSize[i] + 1);
    }
  }
  if (!randomCenter) return centerCropBox(size, shape);
  std::vector<std::pair<int64_t, int64_t>> box;
  for (size_t i = 0; i < shape.size(); ++i) {
    const int64_t valid = std::min(shape[i], size[i]);
    const int64_t start = shape[i] > valid ? randint(gen, 0, shape[i] - valid + 1) : 0;
    box.emplace_back(start, start + valid);
  }
  return box;
}

RandSpatialCrop::RandSpatialCrop(std::vector<int64_t> roiSize, std::optional<std::vector<int64_t>> maxRoiSize,
                                 bool randomCenter, bool randomSize)
    : roi_(std::move(roiSize)),
      maxRoi_(std::move(maxRoiSize)),
      randomCenter_(randomCenter),
      randomSize_(randomSize) {
  if (roi_.empty()) throw detail::ArgumentError("roi_size", "is required");
  if (maxRoi_ && maxRoi_->empty()) throw detail::ArgumentError("max_roi_size", "is an empty list");
}

at::Tensor RandSpatialCrop::operator()(const at::Tensor& x, Generator& gen) const {
  detail::spatialDims(x, name());
  return cropBox(x, randomCropBox(gen, x.sizes().slice(1), roi_, maxRoi_, randomCenter_, randomSize_));
}

namespace {
std::vector<int64_t> scaledSize(const std::vector<double>& scale, at::IntArrayRef shape,
                                const std::string& who) {
  if (scale.size() != 1 && scale.size() != shape.size())
    throw RuntimeError(who + ": " + std::to_string(scale.size()) + " scales for an image of spatial shape " +
                       c10::str(shape));
  std::vector<int64_t> out;
  for (size_t i = 0; i < shape.size(); ++i)
    out.push_back(static_cast<int64_t>(std::ceil((scale.size() == 1 ? scale[0] : scale[i]) * shape[i])));
  return out;
}
}  // namespace

RandScaleCrop::RandScaleCrop(std::vector<double> roiScale, std::optional<std::vector<double>> maxRoiScale,
                             bool randomCenter, bool randomSize)
    : scale_(std::move(roiScale)),
      maxScale_(std::move(maxRoiScale)),
      randomCenter_(randomCenter),
      randomSize_(randomSize) {
  if (scale_.empty()) throw detail::ArgumentError("roi_scale", "is required");
  if (maxScale_ && maxScale_->empty()) throw detail::ArgumentError("max_roi_scale", "is an empty list");
}

at::Tensor RandScaleCrop::operator()(const at::Tensor& x, Generator& gen) const {
  detail::spatialDims(x, name());
  const auto shape = x.sizes().slice(1);
  std::optional<std::vector<int64_t>> maxRoi;
  if (maxScale_) maxRoi = scaledSize(*maxScale_, shape, name());
  return cropBox(
      x, randomCropBox(gen, shape, scaledSize(scale_, shape, name()), maxRoi, randomCenter_, randomSize_));
}

// ---------------------------------------------------------------- RandomResizedCrop3D

RandomResizedCrop3D::RandomResizedCrop3D(double prob, int64_t size, std::vector<double> scale)
    : prob_(prob), size_(size), scale_(std::move(scale)) {
  detail::checkProb(prob_);
  if (size_ <= 0) throw detail::ArgumentError("size", "must be positive, got " + std::to_string(size_));
  if (scale_.size() != 2 || !(scale_[0] > 0.0) || !(scale_[0] <= scale_[1]) || !(scale_[1] <= 1.0))
    throw detail::ArgumentError("scale", "must be [min, max] with 0 < min <= max <= 1");
}

at::Tensor RandomResizedCrop3D::operator()(const at::Tensor& x, Generator& gen) const {
  if (!fires(gen, prob_)) return x;
  const int64_t nsp = detail::spatialDims(x, name());
  // torch.empty(1).uniform_(lo, hi).item(): a float32 draw.
  const double s = static_cast<float>(uniform(gen, scale_[0], scale_[1]));
  const auto shape = x.sizes().slice(1);
  at::Tensor cropped =
      cropBox(x, randomCropBox(gen, shape, scaledSize({s}, shape, name()), std::nullopt, true, false));
  ResizeOptions ro;
  ro.spatialSize.assign(nsp, size_);
  ro.mode = "trilinear";
  return resize(cropped, ro);
}

}  // namespace fmcib::transforms
