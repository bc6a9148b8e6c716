#pragma once
/// L2-regularized logistic regression with scikit-learn 1.2's `LogisticRegression(C=C, penalty="l2",
/// fit_intercept=True)` semantics: the objective is sum_i log-loss_i + ||W||^2 / (2C) (the intercept
/// is not penalized); two classes fit one weight row for the second class (sigmoid), more classes a
/// multinomial softmax with one row per class. Two solvers:
/// - kLbfgs: scikit-learn's own (scipy L-BFGS-B, `tol` = gtol on max |gradient|, `max_iter`), step
///   for step, so results match scikit-learn's even where it stops short of the optimum (its default
///   tol 1e-4 and ftol 2.2e-9 often end a 4096-feature fit ~1e-4 away in probability). With at
///   least twice as many features as rows it runs on the rows' coordinates in an orthonormal basis
///   of their span (a QR factorization of X'): the same iterates up to rounding, at n instead of d
///   numbers per row;
/// - kNewton: Newton-CG to the optimum (||gradient||_2 <= tol), in an orthonormal basis of the
///   training rows' span (eigenvectors of X'X or XX'), where a diagonal preconditioner works well.
/// Inputs are double tensors; rows of X are samples.
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace fmcib::probe {

enum class Solver { kLbfgs, kNewton };

struct LogisticOptions {
  double C = 1.0;
  Solver solver = Solver::kLbfgs;
  /// kLbfgs: scikit-learn's tol (scipy gtol); kNewton: the gradient's 2-norm at the end.
  double tol = 1e-4;
  /// kLbfgs: scikit-learn's max_iter; kNewton: Newton iterations.
  int maxIter = 1000;
  /// kLbfgs with at least twice as many features as rows: run in the rows' span (QR of X'), the
  /// same iterates up to rounding at a fraction of the cost; false runs on the features themselves.
  bool rowSpanBasis = true;
};

/// A fitted model in the space of the features it was trained on.
struct LogisticModel {
  int64_t numClasses = 0;
  at::Tensor coef;       ///< [K', d] double; K' = 1 for two classes (weights of the second class)
  at::Tensor intercept;  ///< [K']

  /// X @ coef' + intercept, [n, K'].
  at::Tensor decision(const at::Tensor& X) const;
  /// [n, numClasses] probabilities: [1 - sigmoid, sigmoid] for two classes, softmax otherwise.
  at::Tensor predictProba(const at::Tensor& X) const;
};

struct FitReport {
  int iterations = 0;
  int evaluations = 0;  ///< objective evaluations (L-BFGS) or Hessian-vector products (Newton)
  bool converged = false;
  std::string stop;  ///< why the solver stopped, in words
};

/// A training set prepared for repeated fits on subsets of its rows (cross-validation, several C):
/// what a solver needs once (the Newton basis) is computed on first use and kept.
class LogisticTrainer {
 public:
  /// X [n, d] double, y [n] class indices in [0, numClasses), numClasses >= 2.
  LogisticTrainer(at::Tensor X, std::vector<int64_t> y, int64_t numClasses);
  ~LogisticTrainer();
  LogisticTrainer(const LogisticTrainer&) = delete;
  LogisticTrainer& operator=(const LogisticTrainer&) = delete;

  /// Fits on `fitRows` (indices into X) and returns the probabilities [evalRows, numClasses] of
  /// `evalRows` of the same X.
  at::Tensor fitAndPredict(const std::vector<int64_t>& fitRows, const std::vector<int64_t>& evalRows,
                           const LogisticOptions& options, FitReport* report = nullptr) const;
  /// Fits on every row; the model in feature space.
  LogisticModel fit(const LogisticOptions& options, FitReport* report = nullptr) const;

  int64_t numClasses() const { return numClasses_; }

 private:
  struct Basis;
  struct QrBasis;
  const Basis& basis() const;
  /// nullptr when the features are not many more than the rows or `options` asks for the features.
  const QrBasis* qrBasis(const LogisticOptions& options) const;

  at::Tensor X_;
  std::vector<int64_t> y_;
  int64_t numClasses_;
  mutable std::unique_ptr<Basis> basis_;
  mutable std::unique_ptr<QrBasis> qr_;
};

/// max |gradient| of scikit-learn's objective (sum of log-losses + ||coef||^2 / (2C)) at `model`,
/// over coef and intercept: how far a fit is from the optimum.
double gradientMaxAbs(const LogisticModel& model, const at::Tensor& X, const std::vector<int64_t>& y,
                      double C);

}  // namespace fmcib::probe
