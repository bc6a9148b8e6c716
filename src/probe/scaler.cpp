#include "fmcib/probe/scaler.hpp"

#include <torch/torch.h>

#include <limits>

namespace fmcib::probe {

StandardScaler StandardScaler::fit(const at::Tensor& Xin) {
  const at::Tensor X = Xin.to(torch::kDouble);
  const auto n = static_cast<double>(X.size(0));
  StandardScaler s;
  s.mean = X.sum(0) / n;
  const at::Tensor centered = X - s.mean;
  // The correction term of the corrected two-pass algorithm (Chan, Golub & LeVeque).
  const at::Tensor correction = centered.sum(0);
  const at::Tensor var = (centered.pow(2).sum(0) - correction.pow(2) / n) / n;
  constexpr double eps = std::numeric_limits<double>::epsilon();
  const at::Tensor upperBound = n * eps * var + (n * s.mean * eps).pow(2);
  const at::Tensor constant = var.le(upperBound);
  s.scale = torch::where(constant, torch::ones_like(var), var.sqrt());
  return s;
}

at::Tensor StandardScaler::transform(const at::Tensor& X) const {
  return (X.to(torch::kDouble) - mean) / scale;
}

}  // namespace fmcib::probe
