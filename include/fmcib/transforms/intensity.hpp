#pragma once
/// Intensity transforms (monai.transforms.*, MONAI 1.2 semantics): NormalizeIntensity,
/// ThresholdIntensity, ScaleIntensityRange, GaussianSmooth, RandGaussianSmooth, RandHistogramShift.
/// The deterministic cores are free functions so tests and other areas can call them directly.
#include <c10/core/ScalarType.h>

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "fmcib/transforms/transform.hpp"

namespace fmcib::transforms {

/// MONAI's discrete Gaussian kernels (monai.networks.layers.convutils.gaussian_1d).
enum class GaussianApprox { Erf, Sampled, ScaleSpace };
/// "erf" | "sampled" | "scalespace" (case-insensitive); throws ConfigError naming `approx`.
GaussianApprox parseGaussianApprox(const std::string& name);

/// The 1-D kernel of half-width int(max(sigma*truncated, 0.5) + 0.5). Erf: the Gaussian integrated
/// over each unit cell, not normalized (as MONAI's GaussianFilter uses it). float32, CPU.
at::Tensor gaussianKernel1d(double sigma, double truncated = 4.0,
                            GaussianApprox approx = GaussianApprox::Erf);

/// MONAI GaussianSmooth: separable filtering of every channel of a channel-first tensor with one
/// kernel per spatial axis (`sigma` has one entry, or one per spatial axis), zero padding, same
/// size out. Returns float32.
at::Tensor gaussianSmooth(const at::Tensor& x, const std::vector<double>& sigma,
                          GaussianApprox approx = GaussianApprox::Erf);

/// The deterministic core of RandHistogramShift: intensities are scaled to [0, 1] by the volume's
/// min/max, mapped piecewise-linearly from `reference` to `floating` control points (increasing,
/// same length >= 2), and scaled back. A constant volume is returned unchanged.
at::Tensor histogramShift(const at::Tensor& x, const std::vector<double>& reference,
                          const std::vector<double>& floating);

/// RandHistogramShift's control points: reference = linspace(0, 1, n); floating[i] (0 < i < n-1)
/// drawn uniformly between floating[i-1] (already drawn) and reference[i+1].
std::pair<std::vector<double>, std::vector<double>> randomControlPoints(Generator& gen, int64_t n);

class NormalizeIntensity final : public Transform {
 public:
  struct Options {
    /// null: the mean (of the non-zero voxels with `nonzero`); one value per channel with channelWise.
    std::optional<std::vector<double>> subtrahend;
    /// null: the (population) standard deviation; zeros are replaced by 1.
    std::optional<std::vector<double>> divisor;
    bool nonzero = false;
    bool channelWise = false;
    std::optional<c10::ScalarType> dtype = c10::ScalarType::Float;
  };
  explicit NormalizeIntensity(Options options);
  at::Tensor operator()(const at::Tensor& x, Generator& gen) const override;
  std::string name() const override { return "monai.transforms.NormalizeIntensity"; }

 private:
  at::Tensor normalize(const at::Tensor& img, const std::optional<double>& sub,
                       const std::optional<double>& div) const;
  Options o_;
};

/// Keeps voxels above (or, with above=false, below) `threshold`; the rest become `cval`.
class ThresholdIntensity final : public Transform {
 public:
  ThresholdIntensity(double threshold, bool above = true, double cval = 0.0)
      : threshold_(threshold), above_(above), cval_(cval) {}
  at::Tensor operator()(const at::Tensor& x, Generator& gen) const override;
  std::string name() const override { return "monai.transforms.ThresholdIntensity"; }

 private:
  double threshold_;
  bool above_;
  double cval_;
};

/// (x - a_min) / (a_max - a_min), then * (b_max - b_min) + b_min when both b are given, then
/// clipped to [b_min, b_max] with clip (a missing bound is not clipped).
class ScaleIntensityRange final : public Transform {
 public:
  ScaleIntensityRange(double aMin, double aMax, std::optional<double> bMin = std::nullopt,
                      std::optional<double> bMax = std::nullopt, bool clip = false,
                      std::optional<c10::ScalarType> dtype = c10::ScalarType::Float)
      : aMin_(aMin), aMax_(aMax), bMin_(bMin), bMax_(bMax), clip_(clip), dtype_(dtype) {}
  at::Tensor operator()(const at::Tensor& x, Generator& gen) const override;
  std::string name() const override { return "monai.transforms.ScaleIntensityRange"; }

 private:
  double aMin_, aMax_;
  std::optional<double> bMin_, bMax_;
  bool clip_;
  std::optional<c10::ScalarType> dtype_;
};

class GaussianSmooth final : public Transform {
 public:
  /// `sigma`: one value for every spatial axis, or one per axis. Must be positive.
  explicit GaussianSmooth(std::vector<double> sigma = {1.0}, GaussianApprox approx = GaussianApprox::Erf);
  at::Tensor operator()(const at::Tensor& x, Generator& gen) const override;
  std::string name() const override { return "monai.transforms.GaussianSmooth"; }

 private:
  std::vector<double> sigma_;
  GaussianApprox approx_;
};

/// With probability `prob`: sigma per axis uniform in sigma_x, sigma_y, sigma_z (first, second,
/// third spatial axis), then GaussianSmooth.
class RandGaussianSmooth final : public Transform {
 public:
  using Range = std::pair<double, double>;
  RandGaussianSmooth(Range sigmaX = {0.25, 1.5}, Range sigmaY = {0.25, 1.5}, Range sigmaZ = {0.25, 1.5},
                     double prob = 0.1, GaussianApprox approx = GaussianApprox::Erf);
  at::Tensor operator()(const at::Tensor& x, Generator& gen) const override;
  std::string name() const override { return "monai.transforms.RandGaussianSmooth"; }

 private:
  Range sigma_[3];
  double prob_;
  GaussianApprox approx_;
};

/// With probability `prob`: n control points (n = num_control_points, or uniform in
/// [min, max] when a range is given), randomControlPoints, histogramShift.
class RandHistogramShift final : public Transform {
 public:
  RandHistogramShift(int64_t minControlPoints = 10, int64_t maxControlPoints = 10, double prob = 0.1);
  at::Tensor operator()(const at::Tensor& x, Generator& gen) const override;
  std::string name() const override { return "monai.transforms.RandHistogramShift"; }

 private:
  int64_t min_, max_;
  double prob_;
};

}  // namespace fmcib::transforms
