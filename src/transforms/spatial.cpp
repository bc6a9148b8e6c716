#include "fmcib/transforms/spatial.hpp"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <set>

#include "common.hpp"
#include "fmcib/transforms/intensity.hpp"
#include "fmcib/transforms/random.hpp"

namespace fmcib::transforms {

namespace F = torch::nn::functional;

std::vector<int64_t> mapSpatialAxes(int64_t tensorDims, const std::vector<int64_t>& spatialAxes) {
  std::vector<int64_t> out;
  if (spatialAxes.empty()) {
    for (int64_t a = 1; a < tensorDims; ++a) out.push_back(a);
    return out;
  }
  for (int64_t a : spatialAxes) {
    const int64_t t = a < 0 ? ((a % tensorDims) + tensorDims) % tensorDims : a + 1;
    if (a < -(tensorDims - 1) || t < 1 || t >= tensorDims)
      throw RuntimeError("spatial axis " + std::to_string(a) + " is out of range for a tensor with " +
                         std::to_string(tensorDims - 1) + " spatial axes");
    out.push_back(t);
  }
  return out;
}

// ---------------------------------------------------------------- flips and quarter turns

at::Tensor Flip::operator()(const at::Tensor& x, Generator&) const {
  detail::spatialDims(x, name());
  return torch::flip(x, mapSpatialAxes(x.dim(), axes_));
}

RandAxisFlip::RandAxisFlip(double prob) : prob_(prob) {
  detail::checkProb(prob_);
}

at::Tensor RandAxisFlip::operator()(const at::Tensor& x, Generator& gen) const {
  if (!fires(gen, prob_)) return x;
  const int64_t nsp = detail::spatialDims(x, name());
  return torch::flip(x, {randint(gen, 0, nsp) + 1});
}

namespace {
void checkPlane(const std::pair<int64_t, int64_t>& axes) {
  if (axes.first == axes.second)
    throw detail::ArgumentError("spatial_axes", "needs two different axes, got (" +
                                                    std::to_string(axes.first) + ", " +
                                                    std::to_string(axes.second) + ")");
}

at::Tensor rot90(const at::Tensor& x, int64_t k, const std::pair<int64_t, int64_t>& axes,
                 const std::string& who) {
  detail::spatialDims(x, who);
  const auto dims = mapSpatialAxes(x.dim(), {axes.first, axes.second});
  if (dims[0] == dims[1]) throw RuntimeError(who + ": spatial_axes name the same axis twice");
  return torch::rot90(x, k, dims);
}
}  // namespace

Rotate90::Rotate90(int64_t k, std::pair<int64_t, int64_t> spatialAxes)
    : k_((4 + (k % 4)) % 4), axes_(spatialAxes) {
  checkPlane(axes_);
}

at::Tensor Rotate90::operator()(const at::Tensor& x, Generator&) const {
  return rot90(x, k_, axes_, name());
}

RandRotate90::RandRotate90(double prob, int64_t maxK, std::pair<int64_t, int64_t> spatialAxes)
    : prob_(prob), maxK_(maxK), axes_(spatialAxes) {
  detail::checkProb(prob_);
  if (maxK_ < 1) throw detail::ArgumentError("max_k", "must be >= 1, got " + std::to_string(maxK_));
  checkPlane(axes_);
}

at::Tensor RandRotate90::operator()(const at::Tensor& x, Generator& gen) const {
  if (!fires(gen, prob_)) return x;
  const int64_t k = randint(gen, 0, maxK_) + 1;
  return rot90(x, k, axes_, name());
}

// ---------------------------------------------------------------- Resize

namespace {
const std::vector<std::string>& interpolateModes() {
  static const std::vector<std::string> modes = {"nearest", "nearest-exact", "linear", "bilinear",
                                                 "bicubic", "trilinear",     "area"};
  return modes;
}
bool isLinearMode(const std::string& m) {
  return m == "linear" || m == "bilinear" || m == "bicubic" || m == "trilinear";
}
// The interpolate modes torch accepts for an input with `nsp` spatial axes.
bool modeFitsRank(const std::string& m, int64_t nsp) {
  if (m == "nearest" || m == "nearest-exact" || m == "area") return true;
  return (nsp == 1 && m == "linear") || (nsp == 2 && (m == "bilinear" || m == "bicubic")) ||
         (nsp == 3 && m == "trilinear");
}
F::InterpolateFuncOptions::mode_t interpolateMode(const std::string& m) {
  if (m == "nearest") return torch::kNearest;
  if (m == "nearest-exact") return torch::kNearestExact;
  if (m == "linear") return torch::kLinear;
  if (m == "bilinear") return torch::kBilinear;
  if (m == "bicubic") return torch::kBicubic;
  if (m == "trilinear") return torch::kTrilinear;
  return torch::kArea;
}
}  // namespace

void validate(const ResizeOptions& o) {
  const auto& modes = interpolateModes();
  if (std::find(modes.begin(), modes.end(), o.mode) == modes.end())
    throw detail::ArgumentError(
        "mode", "unknown interpolation mode '" + o.mode + "'; accepted: " + detail::joined(modes));
  if (o.sizeMode != "all" && o.sizeMode != "longest")
    throw detail::ArgumentError("size_mode", "must be 'all' or 'longest', got '" + o.sizeMode + "'");
  if (o.spatialSize.empty()) throw detail::ArgumentError("spatial_size", "is required");
  if (o.sizeMode == "longest" && (o.spatialSize.size() != 1 || o.spatialSize[0] <= 0))
    throw detail::ArgumentError("spatial_size", "size_mode 'longest' needs a single positive size");
  if (o.alignCorners && !isLinearMode(o.mode))
    throw detail::ArgumentError("align_corners", "only applies to the linear modes, not '" + o.mode + "'");
  if (o.antiAliasingSigma)
    for (double s : *o.antiAliasingSigma)
      if (!(s >= 0.0)) throw detail::ArgumentError("anti_aliasing_sigma", "must be >= 0");
}

std::vector<int64_t> resizeOutputSize(const ResizeOptions& o, at::IntArrayRef shape) {
  if (o.sizeMode == "longest") {
    const double scale = static_cast<double>(o.spatialSize[0]) /
                         static_cast<double>(*std::max_element(shape.begin(), shape.end()));
    std::vector<int64_t> out;
    for (int64_t s : shape) out.push_back(static_cast<int64_t>(std::nearbyint(s * scale)));  // Python round()
    return out;
  }
  if (o.spatialSize.size() != shape.size())
    throw RuntimeError("monai.transforms.Resize: spatial_size " + c10::str(at::IntArrayRef(o.spatialSize)) +
                       " does not have one size per spatial axis of an image of spatial shape " +
                       c10::str(shape));
  return detail::fallBack(o.spatialSize, shape, "monai.transforms.Resize");
}

at::Tensor resize(const at::Tensor& x, const ResizeOptions& o) {
  const int64_t nsp = detail::spatialDims(x, "monai.transforms.Resize");
  const auto inShape = x.sizes().slice(1);
  const std::vector<int64_t> outShape = resizeOutputSize(o, inShape);
  if (at::IntArrayRef(outShape) == inShape) return x;
  if (!modeFitsRank(o.mode, nsp))
    throw RuntimeError("monai.transforms.Resize: mode '" + o.mode + "' does not apply to " +
                       std::to_string(nsp) + " spatial axes (torch interpolate)");
  at::Tensor img = x.to(o.dtype);
  bool downsampling = false;
  for (int64_t i = 0; i < nsp; ++i) downsampling = downsampling || outShape[i] < inShape[i];
  if (o.antiAliasing && downsampling) {
    // skimage.transform.resize's default sigma, only along axes that shrink.
    std::vector<double> sigma(nsp);
    const auto given = o.antiAliasingSigma ? detail::perAxis(*o.antiAliasingSigma, nsp, "anti_aliasing_sigma")
                                           : std::vector<double>();
    for (int64_t i = 0; i < nsp; ++i) {
      const float factor = static_cast<float>(inShape[i]) / static_cast<float>(outShape[i]);
      sigma[i] = given.empty() ? std::max(0.0, (factor - 1.0) / 2.0) : given[i] * (factor > 1.0f ? 1.0 : 0.0);
    }
    img = gaussianSmooth(img, sigma);
  }
  auto opts = F::InterpolateFuncOptions().size(outShape).mode(interpolateMode(o.mode));
  if (isLinearMode(o.mode)) opts = opts.align_corners(o.alignCorners.value_or(false));
  return F::interpolate(img.unsqueeze(0), opts).squeeze(0).to(torch::kFloat);
}

Resize::Resize(ResizeOptions options) : o_(std::move(options)) {
  validate(o_);
}

at::Tensor Resize::operator()(const at::Tensor& x, Generator&) const {
  return resize(x, o_);
}

}  // namespace fmcib::transforms
