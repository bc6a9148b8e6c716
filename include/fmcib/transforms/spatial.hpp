#pragma once
/// Spatial transforms (monai.transforms.*, MONAI 1.2 semantics): Flip, RandAxisFlip, Rotate90,
/// RandRotate90, Resize, RandAffine. Axes are spatial axes (0 = the first axis after the channel).
#include <c10/core/ScalarType.h>

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "fmcib/transforms/transform.hpp"

namespace fmcib::transforms {

/// MONAI's map_spatial_axes: spatial axis a >= 0 → tensor axis a + 1; a < 0 counts from the end.
std::vector<int64_t> mapSpatialAxes(int64_t tensorDims, const std::vector<int64_t>& spatialAxes);

/// Flips the given spatial axes (all of them when `spatialAxes` is empty, MONAI's None).
class Flip final : public Transform {
 public:
  explicit Flip(std::vector<int64_t> spatialAxes = {}) : axes_(std::move(spatialAxes)) {}
  at::Tensor operator()(const at::Tensor& x, Generator& gen) const override;
  std::string name() const override { return "monai.transforms.Flip"; }

 private:
  std::vector<int64_t> axes_;
};

/// With probability `prob`, flips one spatial axis chosen uniformly.
class RandAxisFlip final : public Transform {
 public:
  explicit RandAxisFlip(double prob = 0.1);
  at::Tensor operator()(const at::Tensor& x, Generator& gen) const override;
  std::string name() const override { return "monai.transforms.RandAxisFlip"; }

 private:
  double prob_;
};

/// torch.rot90 by k quarter turns in the plane of two spatial axes (from the first towards the second).
class Rotate90 final : public Transform {
 public:
  explicit Rotate90(int64_t k = 1, std::pair<int64_t, int64_t> spatialAxes = {0, 1});
  at::Tensor operator()(const at::Tensor& x, Generator& gen) const override;
  std::string name() const override { return "monai.transforms.Rotate90"; }

 private:
  int64_t k_;
  std::pair<int64_t, int64_t> axes_;
};

/// With probability `prob`, Rotate90 with k uniform in 1..max_k.
class RandRotate90 final : public Transform {
 public:
  explicit RandRotate90(double prob = 0.1, int64_t maxK = 3,
                        std::pair<int64_t, int64_t> spatialAxes = {0, 1});
  at::Tensor operator()(const at::Tensor& x, Generator& gen) const override;
  std::string name() const override { return "monai.transforms.RandRotate90"; }

 private:
  double prob_;
  int64_t maxK_;
  std::pair<int64_t, int64_t> axes_;
};

/// MONAI Resize = torch.nn.functional.interpolate on [1, C, ...]. Modes: nearest, nearest-exact,
/// linear, bilinear, bicubic, trilinear, area (torch decides which fit the input rank: a 3D volume
/// takes nearest, nearest-exact, trilinear or area). align_corners only for the linear modes.
/// Optional anti-aliasing (Gaussian, sigma = max((in/out - 1)/2, 0)) before downsampling.
/// An input that already has the output size is returned unchanged; otherwise the result is float32.
struct ResizeOptions {
  /// size_mode "all": one size per spatial axis (non-positive keeps that axis). "longest": one size,
  /// for the longest axis; the others keep the aspect ratio.
  std::vector<int64_t> spatialSize;
  std::string sizeMode = "all";
  std::string mode = "area";
  std::optional<bool> alignCorners;
  bool antiAliasing = false;
  std::optional<std::vector<double>> antiAliasingSigma;
  c10::ScalarType dtype = c10::ScalarType::Float;
};
/// Checks mode / size_mode / sizes; throws ConfigError naming the argument.
void validate(const ResizeOptions& o);
/// The output size of Resize for an image of spatial shape `shape`.
std::vector<int64_t> resizeOutputSize(const ResizeOptions& o, at::IntArrayRef shape);
/// The Resize core (also used by RandomResizedCrop3D).
at::Tensor resize(const at::Tensor& x, const ResizeOptions& o);

class Resize final : public Transform {
 public:
  explicit Resize(ResizeOptions options);
  at::Tensor operator()(const at::Tensor& x, Generator& gen) const override;
  std::string name() const override { return "monai.transforms.Resize"; }

 private:
  ResizeOptions o_;
};

/// The affine resampling of MONAI's Affine / RandAffine (torch backend): output voxel p (centred
/// coordinates c = p - (out-1)/2) takes the input at centred coordinates A·c, normalized as
/// 2·c/in for grid_sample(align_corners=False); computed in float64, returned as float32.
/// `affine` is (nsp+1)×(nsp+1); `mode` bilinear|nearest, `paddingMode` zeros|border|reflection.
at::Tensor affineResample(const at::Tensor& x, const std::vector<std::vector<double>>& affine,
                          const std::vector<int64_t>& outSize, const std::string& mode,
                          const std::string& paddingMode);

/// MONAI create_rotate · create_shear · create_translate · create_scale (in that order) for
/// 2 or 3 spatial axes; missing parameters are no rotation/shear/translation and scale 1.
std::vector<std::vector<double>> affineMatrix(int64_t spatialDims, const std::vector<double>& rotate,
                                              const std::vector<double>& shear,
                                              const std::vector<double>& translate,
                                              const std::vector<double>& scale);

class RandAffine final : public Transform {
 public:
  /// One entry per parameter drawn: [min, max] (MONAI: a number f means [-f, f]). rotate in
  /// radians; scale ranges are added to 1 (MONAI: "0 means no scaling").
  using Ranges = std::vector<std::pair<double, double>>;
  struct Options {
    double prob = 0.1;
    Ranges rotateRange, shearRange, translateRange, scaleRange;
    std::vector<int64_t> spatialSize;  ///< empty: the input size; non-positive entries keep that axis
    std::string mode = "bilinear";
    std::string paddingMode = "reflection";
  };
  explicit RandAffine(Options options);
  at::Tensor operator()(const at::Tensor& x, Generator& gen) const override;
  std::string name() const override { return "monai.transforms.RandAffine"; }

 private:
  Options o_;
};

}  // namespace fmcib::transforms
