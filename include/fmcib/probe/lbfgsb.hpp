#pragma once
/// scipy's L-BFGS-B (`scipy.optimize.minimize(method="L-BFGS-B")`, Fortran v3.0) for problems without
/// bounds: the solver scikit-learn's LogisticRegression(solver="lbfgs") runs. Reproduced step for
/// step so that a fit stops where scikit-learn's stops, not only at the same optimum:
/// - the first direction is -g with step 1/|g|; later directions are -H g with the limited-memory
///   inverse Hessian (H0 = I / theta, theta = y'y / y's of the newest pair), `memory` pairs kept;
///   a pair with y's <= eps * (-g'd * step) is skipped;
/// - the line search is MINPACK-2's dcsrch (Moré–Thuente; ftol 1e-3, gtol 0.9, xtol 0.1, step at
///   most 1e10), at most `maxLineSearch` evaluations; a failed search restarts from -g with an empty
///   memory, or ends the run when the memory was already empty;
/// - after each iteration, in this order: the iteration limit, max |g_i| <= pgtol, then
///   (f_old - f) <= ftol * max(|f_old|, |f|, 1); the evaluation limit is checked like scipy (> maxFun).
#include <functional>
#include <vector>

namespace fmcib::probe {

struct LbfgsOptions {
  int memory = 10;                       ///< scipy maxcor
  double pgtol = 1e-5;                   ///< scipy gtol: stop when max |g_i| <= pgtol
  double ftol = 2.2204460492503131e-09;  ///< scipy ftol (factr * machine epsilon)
  int maxIter = 15000;
  int maxFun = 15000;
  int maxLineSearch = 20;  ///< scipy maxls
  /// Replaces the test max |g_i| <= pgtol, for a caller that runs in rotated coordinates (the
  /// iterates of L-BFGS are invariant under orthogonal changes of variables, the max norm is not).
  std::function<bool(const std::vector<double>& grad)> gradientConverged;
};

enum class LbfgsStop {
  kGradient,           ///< max |g_i| <= pgtol
  kRelativeReduction,  ///< the objective stopped decreasing (ftol)
  kMaxIter,
  kMaxFun,
  kLineSearchFailed,  ///< no step decreased f along -g (abnormal termination in scipy)
};

struct LbfgsResult {
  std::vector<double> x;
  double f = 0;
  std::vector<double> grad;
  int iterations = 0;   ///< scipy's nit (scikit-learn's n_iter_)
  int evaluations = 0;  ///< scipy's nfev
  LbfgsStop stop = LbfgsStop::kGradient;
};

/// f(x), writing the gradient into `grad` (already sized like x).
using Objective = std::function<double(const std::vector<double>& x, std::vector<double>& grad)>;

/// Minimizes f from x0.
LbfgsResult minimizeLbfgsb(const Objective& f, std::vector<double> x0, const LbfgsOptions& options);

/// A short English description of why a run stopped ("converged: |g| <= tol", ...).
const char* describe(LbfgsStop stop);

}  // namespace fmcib::probe
