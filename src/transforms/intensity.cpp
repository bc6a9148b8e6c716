#include "fmcib/transforms/intensity.hpp"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>

#include "common.hpp"
#include "fmcib/transforms/random.hpp"

namespace fmcib::transforms {

// ---------------------------------------------------------------- NormalizeIntensity

NormalizeIntensity::NormalizeIntensity(Options options) : o_(std::move(options)) {
  for (const auto* arg : {&o_.subtrahend, &o_.divisor}) {
    const char* name = arg == &o_.subtrahend ? "subtrahend" : "divisor";
    if (*arg && (*arg)->empty()) throw detail::ArgumentError(name, "is an empty list");
    if (*arg && (*arg)->size() > 1 && !o_.channelWise)
      throw detail::ArgumentError(name, "a list (one value per channel) needs channel_wise: true");
  }
}

at::Tensor NormalizeIntensity::normalize(const at::Tensor& img, const std::optional<double>& sub,
                                         const std::optional<double>& div) const {
  at::Tensor x = img.to(torch::kFloat);
  if (o_.nonzero) {
    at::Tensor mask = x != 0;
    if (!mask.any().item<bool>()) return x;
    at::Tensor masked = x.masked_select(mask);
    const double s = sub ? *sub : masked.mean().item<double>();
    double d = div ? *div : masked.std(/*unbiased=*/false).item<double>();
    if (d == 0.0) d = 1.0;
    return torch::where(mask, (x - s) / d, x);
  }
  const double s = sub ? *sub : x.mean().item<double>();
  double d = div ? *div : x.std(/*unbiased=*/false).item<double>();
  if (d == 0.0) d = 1.0;
  return (x - s).div_(d);  // (x - s) / d without a second temporary
}

at::Tensor NormalizeIntensity::operator()(const at::Tensor& x, Generator&) const {
  detail::spatialDims(x, name());
  const auto dtype = o_.dtype ? o_.dtype : std::optional<c10::ScalarType>(x.scalar_type());
  auto pick = [](const std::optional<std::vector<double>>& v, int64_t c) -> std::optional<double> {
    if (!v) return std::nullopt;
    return v->size() == 1 ? (*v)[0] : (*v)[c];
  };
  if (!o_.channelWise)
    return detail::castTo(normalize(x, pick(o_.subtrahend, 0), pick(o_.divisor, 0)), dtype);
  const int64_t channels = x.size(0);
  for (const auto* v : {&o_.subtrahend, &o_.divisor})
    if (*v && (*v)->size() > 1 && static_cast<int64_t>((*v)->size()) != channels)
      throw RuntimeError(name() + ": image has " + std::to_string(channels) + " channels, but " +
                         (v == &o_.subtrahend ? "subtrahend" : "divisor") + " has " +
                         std::to_string((*v)->size()) + " values");
  std::vector<at::Tensor> out;
  for (int64_t c = 0; c < channels; ++c)
    out.push_back(normalize(x[c], pick(o_.subtrahend, c), pick(o_.divisor, c)));
  return detail::castTo(torch::stack(out), dtype);
}

// ---------------------------------------------------------------- ThresholdIntensity

at::Tensor ThresholdIntensity::operator()(const at::Tensor& x, Generator&) const {
  if (x.device().is_cpu() && x.scalar_type() == torch::kFloat && x.is_contiguous()) {
    // One pass for the common case; a NaN fails the comparison and becomes cval, as with where().
    at::Tensor out = torch::empty_like(x);
    const float* in = x.data_ptr<float>();
    float* o = out.data_ptr<float>();
    const float thr = static_cast<float>(threshold_), cval = static_cast<float>(cval_);
    const int64_t n = x.numel();
    if (above_) {
      for (int64_t i = 0; i < n; ++i) o[i] = in[i] > thr ? in[i] : cval;
    } else {
      for (int64_t i = 0; i < n; ++i) o[i] = in[i] < thr ? in[i] : cval;
    }
    return out;
  }
  at::Tensor mask = above_ ? x > threshold_ : x < threshold_;
  return torch::where(mask, x, torch::full({}, cval_, x.options()));
}

// ---------------------------------------------------------------- ScaleIntensityRange

at::Tensor ScaleIntensityRange::operator()(const at::Tensor& x, Generator&) const {
  const auto dtype = dtype_ ? dtype_ : std::optional<c10::ScalarType>(x.scalar_type());
  at::Tensor img = x.is_floating_point() ? x : x.to(torch::kFloat);
  if (aMax_ - aMin_ == 0.0) {
    // MONAI warns and only shifts (a_min == a_max would divide by zero).
    return detail::castTo(bMin_ ? img - aMin_ + *bMin_ : img - aMin_, dtype);
  }
  img = (img - aMin_) / (aMax_ - aMin_);
  if (bMin_ && bMax_) img = img * (*bMax_ - *bMin_) + *bMin_;
  if (clip_) {
    if (bMin_) img = torch::clamp_min(img, *bMin_);
    if (bMax_) img = torch::clamp_max(img, *bMax_);
  }
  return detail::castTo(img, dtype);
}

// ---------------------------------------------------------------- histogram shift

at::Tensor histogramShift(const at::Tensor& x, const std::vector<double>& reference,
                          const std::vector<double>& floating) {
  const size_t n = reference.size();
  if (n < 2 || floating.size() != n)
    throw RuntimeError("histogramShift: needs two equally long control point lists (>= 2), got " +
                       std::to_string(n) + " and " + std::to_string(floating.size()));
  for (size_t i = 1; i < n; ++i)
    if (!(reference[i] > reference[i - 1]))
      throw RuntimeError("histogramShift: reference control points must increase strictly");
  at::Tensor src = detail::cpuFloat(x);
  const float mn = src.min().item<float>(), mx = src.max().item<float>();
  if (mx - mn == 0.0f) return x;  // MONAI warns and returns a constant image unchanged
  // float32 throughout, as MONAI does it (control points converted to the image dtype, then scaled).
  const float range = mx - mn;
  std::vector<float> xp(n), fp(n), m(n - 1), b(n - 1);
  for (size_t i = 0; i < n; ++i) {
    xp[i] = static_cast<float>(reference[i]) * range + mn;
    fp[i] = static_cast<float>(floating[i]) * range + mn;
  }
  for (size_t i = 0; i + 1 < n; ++i) {
    m[i] = (fp[i + 1] - fp[i]) / (xp[i + 1] - xp[i]);
    b[i] = fp[i] - m[i] * xp[i];
  }
  at::Tensor out = torch::empty_like(src);
  const float* in = src.data_ptr<float>();
  float* o = out.data_ptr<float>();
  const int64_t count = src.numel();
  const int64_t last = static_cast<int64_t>(n) - 2;
  for (int64_t i = 0; i < count; ++i) {
    const float v = in[i];
    if (v < xp[0]) {
      o[i] = fp[0];
    } else if (v > xp[n - 1]) {
      o[i] = fp[n - 1];
    } else {
      // searchsorted(xp, v) - 1 (the number of control points below v, minus one), clipped to a
      // valid segment; counted without branches, which beats a binary search on ~10 points.
      int64_t below = 0;
      for (size_t j = 0; j < n; ++j) below += xp[j] < v;
      const int64_t idx = std::min(std::max<int64_t>(below - 1, 0), last);
      o[i] = m[idx] * v + b[idx];
    }
  }
  out = out.to(x.scalar_type());
  return out.device() == x.device() ? out : out.to(x.device());
}

std::pair<std::vector<double>, std::vector<double>> randomControlPoints(Generator& gen, int64_t n) {
  if (n < 3) throw detail::ArgumentError("num_control_points", "should be >= 3, got " + std::to_string(n));
  std::vector<double> reference(n);
  for (int64_t i = 0; i < n; ++i) reference[i] = static_cast<double>(i) / static_cast<double>(n - 1);
  std::vector<double> floating = reference;
  for (int64_t i = 1; i < n - 1; ++i) floating[i] = uniform(gen, floating[i - 1], floating[i + 1]);
  return {reference, floating};
}

RandHistogramShift::RandHistogramShift(int64_t minControlPoints, int64_t maxControlPoints, double prob)
    : min_(std::min(minControlPoints, maxControlPoints)),
      max_(std::max(minControlPoints, maxControlPoints)),
      prob_(prob) {
  detail::checkProb(prob_);
  if (min_ < 3)
    throw detail::ArgumentError("num_control_points", "should be >= 3, got " + std::to_string(min_));
}

at::Tensor RandHistogramShift::operator()(const at::Tensor& x, Generator& gen) const {
  if (!fires(gen, prob_)) return x;
  const int64_t n = min_ == max_ ? min_ : randint(gen, min_, max_ + 1);
  auto [reference, floating] = randomControlPoints(gen, n);
  return histogramShift(x, reference, floating);
}

}  // namespace fmcib::transforms
