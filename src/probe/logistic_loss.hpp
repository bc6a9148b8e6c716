#pragma once
// The logistic-regression objective both solvers minimize, in scikit-learn's scaling:
// sum_i loss_i + ||W||^2 / (2C), with W [K', p] (K' = 1 for two classes) and intercept b [K'].
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <vector>

namespace fmcib::probe::detail {

struct LossProblem {
  /// X [n, p] double (contiguous), labels y in [0, numClasses).
  LossProblem(at::Tensor X, const std::vector<int64_t>& y, int64_t numClasses, double C);

  at::Tensor X;
  at::Tensor labels;   ///< [n] long
  at::Tensor targets;  ///< two classes: [n, 1] with 1 for the second class; else one-hot [n, K]
  int64_t numClasses;
  int64_t outputs;  ///< K'
  double C;
};

/// The objective at (W, b); fills the gradients and the probabilities (sigmoid [n, 1] or softmax
/// [n, K]) when asked.
double lossAndGradient(const LossProblem& p, const at::Tensor& W, const at::Tensor& b, at::Tensor* gradW,
                       at::Tensor* gradB, at::Tensor* proba);

/// Probabilities [n, numClasses] from decision values [n, K'].
at::Tensor probaFromDecision(const at::Tensor& decision, int64_t numClasses);

}  // namespace fmcib::probe::detail
