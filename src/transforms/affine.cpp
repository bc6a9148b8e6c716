// RandAffine as MONAI 1.2 does it on the torch backend: RandAffineGrid draws rotate, shear,
// translate and scale parameters, AffineGrid builds A = R·Sh·T·Sc and applies it to the centred
// identity grid of the output, and Resample normalizes the sampled coordinates by 2/size and calls
// grid_sample(align_corners=False) in float64. Output voxel p therefore takes the input at A·p
// (centred voxel coordinates): a translation of +t moves image content by -t voxels.
#include <torch/torch.h>

#include <cmath>

#include "common.hpp"
#include "fmcib/transforms/random.hpp"
#include "fmcib/transforms/spatial.hpp"

namespace fmcib::transforms {
namespace {

using Matrix = std::vector<std::vector<double>>;

Matrix identity(int64_t n) {
  Matrix m(n, std::vector<double>(n, 0.0));
  for (int64_t i = 0; i < n; ++i) m[i][i] = 1.0;
  return m;
}

Matrix matmul(const Matrix& a, const Matrix& b) {
  const size_t n = a.size();
  Matrix c(n, std::vector<double>(n, 0.0));
  for (size_t i = 0; i < n; ++i)
    for (size_t k = 0; k < n; ++k)
      for (size_t j = 0; j < n; ++j) c[i][j] += a[i][k] * b[k][j];
  return c;
}

Matrix rotation(int64_t nsp, const std::vector<double>& radians) {
  Matrix m = identity(nsp + 1);
  if (radians.empty()) return m;
  if (nsp == 2) {
    const double s = std::sin(radians[0]), c = std::cos(radians[0]);
    m[0][0] = c, m[0][1] = -s, m[1][0] = s, m[1][1] = c;
    return m;
  }
  // 3D: about the first axis, then the second, then the third (right-multiplied).
  const double s0 = std::sin(radians[0]), c0 = std::cos(radians[0]);
  m[1][1] = c0, m[1][2] = -s0, m[2][1] = s0, m[2][2] = c0;
  if (radians.size() >= 2) {
    Matrix r = identity(4);
    const double s = std::sin(radians[1]), c = std::cos(radians[1]);
    r[0][0] = c, r[0][2] = s, r[2][0] = -s, r[2][2] = c;
    m = matmul(m, r);
  }
  if (radians.size() >= 3) {
    Matrix r = identity(4);
    const double s = std::sin(radians[2]), c = std::cos(radians[2]);
    r[0][0] = c, r[0][1] = -s, r[1][0] = s, r[1][1] = c;
    m = matmul(m, r);
  }
  return m;
}

Matrix shearing(int64_t nsp, std::vector<double> coefs) {
  Matrix m = identity(nsp + 1);
  if (nsp == 2) {
    coefs.resize(2, 0.0);
    m[0][1] = coefs[0], m[1][0] = coefs[1];
  } else {
    coefs.resize(6, 0.0);
    m[0][1] = coefs[0], m[0][2] = coefs[1], m[1][0] = coefs[2], m[1][2] = coefs[3], m[2][0] = coefs[4],
    m[2][1] = coefs[5];
  }
  return m;
}

// A number f stands for [-f, f]; one draw per listed entry (MONAI's _get_rand_param).
std::vector<double> draw(Generator& gen, const RandAffine::Ranges& ranges, double add) {
  std::vector<double> out;
  for (const auto& r : ranges) out.push_back(uniform(gen, r.first, r.second) + add);
  return out;
}

void checkModes(const std::string& mode, const std::string& padding) {
  if (mode != "bilinear" && mode != "nearest")
    throw detail::ArgumentError("mode", "unknown mode '" + mode +
                                            "' for 3D resampling; accepted: bilinear, nearest (spline orders "
                                            "need scipy and are not supported)");
  if (padding != "zeros" && padding != "border" && padding != "reflection")
    throw detail::ArgumentError(
        "padding_mode", "unknown padding mode '" + padding + "'; accepted: zeros, border, reflection");
}

}  // namespace

Matrix affineMatrix(int64_t spatialDims, const std::vector<double>& rotate, const std::vector<double>& shear,
                    const std::vector<double>& translate, const std::vector<double>& scale) {
  if (spatialDims != 2 && spatialDims != 3)
    throw RuntimeError("affineMatrix: 2 or 3 spatial axes, got " + std::to_string(spatialDims));
  Matrix a = identity(spatialDims + 1);
  if (!rotate.empty()) a = matmul(a, rotation(spatialDims, rotate));
  if (!shear.empty()) a = matmul(a, shearing(spatialDims, shear));
  if (!translate.empty()) {
    Matrix t = identity(spatialDims + 1);
    for (int64_t i = 0; i < spatialDims && i < static_cast<int64_t>(translate.size()); ++i)
      t[i][spatialDims] = translate[i];
    a = matmul(a, t);
  }
  if (!scale.empty()) {
    Matrix s = identity(spatialDims + 1);
    for (int64_t i = 0; i < spatialDims && i < static_cast<int64_t>(scale.size()); ++i) s[i][i] = scale[i];
    a = matmul(a, s);
  }
  return a;
}

at::Tensor affineResample(const at::Tensor& x, const Matrix& affine, const std::vector<int64_t>& outSize,
                          const std::string& mode, const std::string& paddingMode) {
  checkModes(mode, paddingMode);
  const int64_t nsp = detail::spatialDims(x, "affineResample");
  if (nsp != 2 && nsp != 3)
    throw RuntimeError("affineResample: 2 or 3 spatial axes, got shape " + c10::str(x.sizes()));
  if (static_cast<int64_t>(outSize.size()) != nsp || static_cast<int64_t>(affine.size()) != nsp + 1)
    throw RuntimeError("affineResample: output size / affine do not match the image rank");
  const auto dopt = torch::TensorOptions().dtype(torch::kDouble).device(x.device());
  // Centred output coordinates, [nsp, prod(outSize)].
  std::vector<at::Tensor> axes;
  for (int64_t i = 0; i < nsp; ++i) {
    const double half = (outSize[i] - 1.0) / 2.0;
    axes.push_back(torch::linspace(-half, half, outSize[i], dopt));
  }
  auto mesh = torch::meshgrid(axes, "ij");
  at::Tensor coords = torch::stack(mesh).reshape({nsp, -1});
  std::vector<double> flat;
  for (const auto& row : affine) flat.insert(flat.end(), row.begin(), row.end());
  const at::Tensor a = torch::tensor(flat, torch::kDouble).reshape({nsp + 1, nsp + 1}).to(x.device());
  at::Tensor src = torch::matmul(a.slice(0, 0, nsp).slice(1, 0, nsp), coords) +
                   a.slice(0, 0, nsp).slice(1, nsp).reshape({nsp, 1});
  // Normalize for grid_sample(align_corners=False) and put the last spatial axis first (x, y, z).
  for (int64_t i = 0; i < nsp; ++i) src[i] *= 2.0 / std::max<int64_t>(2, x.size(i + 1));
  std::vector<int64_t> gridShape{1};
  gridShape.insert(gridShape.end(), outSize.begin(), outSize.end());
  gridShape.push_back(nsp);
  at::Tensor grid = src.flip(0).t().reshape(gridShape);
  const int64_t interp = mode == "nearest" ? 1 : 0;
  const int64_t padding = paddingMode == "zeros" ? 0 : paddingMode == "border" ? 1 : 2;
  at::Tensor out =
      at::grid_sampler(x.to(torch::kDouble).unsqueeze(0), grid, interp, padding, /*align_corners=*/false);
  return out.squeeze(0).to(torch::kFloat);
}

RandAffine::RandAffine(Options options) : o_(std::move(options)) {
  detail::checkProb(o_.prob);
  checkModes(o_.mode, o_.paddingMode);
  const std::pair<const Ranges*, const char*> all[] = {{&o_.rotateRange, "rotate_range"},
                                                       {&o_.shearRange, "shear_range"},
                                                       {&o_.translateRange, "translate_range"},
                                                       {&o_.scaleRange, "scale_range"}};
  for (const auto& [ranges, argName] : all)
    for (const auto& r : *ranges)
      if (!(r.first <= r.second) || !std::isfinite(r.first) || !std::isfinite(r.second))
        throw detail::ArgumentError(argName, "each range must be finite with min <= max");
  if (o_.shearRange.size() > 6) throw detail::ArgumentError("shear_range", "has at most 6 entries (3D)");
  if (o_.rotateRange.size() > 3) throw detail::ArgumentError("rotate_range", "has at most 3 entries");
  if (o_.translateRange.size() > 3) throw detail::ArgumentError("translate_range", "has at most 3 entries");
  if (o_.scaleRange.size() > 3) throw detail::ArgumentError("scale_range", "has at most 3 entries");
}

at::Tensor RandAffine::operator()(const at::Tensor& x, Generator& gen) const {
  const int64_t nsp = detail::spatialDims(x, name());
  const auto inShape = x.sizes().slice(1);
  const std::vector<int64_t> outSize =
      o_.spatialSize.empty() ? inShape.vec() : detail::fallBack(o_.spatialSize, inShape, name());
  const bool apply = fires(gen, o_.prob);
  if (!apply && at::IntArrayRef(outSize) == inShape) return x.to(torch::kFloat);
  Matrix a = affineMatrix(nsp, {}, {}, {}, {});
  if (apply) {
    const auto rotate = draw(gen, o_.rotateRange, 0.0);
    const auto shear = draw(gen, o_.shearRange, 0.0);
    const auto translate = draw(gen, o_.translateRange, 0.0);
    const auto scale = draw(gen, o_.scaleRange, 1.0);
    a = affineMatrix(nsp, rotate, shear, translate, scale);
  }
  return affineResample(x, a, outSize, o_.mode, o_.paddingMode);
}

}  // namespace fmcib::transforms
