#pragma once
/// scikit-learn's StandardScaler (with_mean, with_std): per-column mean and population standard
/// deviation of the training rows (the corrected two-pass variance of sklearn's
/// _incremental_mean_and_var), and a scale of 1 for columns sklearn's _is_constant_feature calls
/// constant (var <= n eps var + (n mean eps)^2), so such a column becomes 0 instead of dividing by ~0.
#include <ATen/core/Tensor.h>

namespace fmcib::probe {

struct StandardScaler {
  at::Tensor mean;   ///< [d] double
  at::Tensor scale;  ///< [d] double

  /// X [n >= 1, d].
  static StandardScaler fit(const at::Tensor& X);
  /// (X - mean) / scale as double.
  at::Tensor transform(const at::Tensor& X) const;
};

}  // namespace fmcib::probe
