#pragma once
// Newton-CG for the logistic objective (logistic_loss.hpp), and the orthonormal basis it runs in.
#include <ATen/core/Tensor.h>

#include <string>

#include "logistic_loss.hpp"

namespace fmcib::probe::detail {

/// The training rows in an orthonormal basis of their span, X Q, with Q'Q = I: the L2 penalty and
/// every inner product are unchanged, and because the basis holds the eigenvectors of X'X a
/// diagonal preconditioner captures most of the Hessian. Q (when d <= n: the eigenvectors of X'X,
/// [d, d]) maps weights back; when d > n, Q is never formed (rows = U sqrt(lambda) from X X') and
/// weights come back through the optimality condition W = -C R'X.
struct OrthonormalBasis {
  at::Tensor rows;  ///< [n, r]
  at::Tensor Q;     ///< [d, r] when d <= n, else undefined
};
OrthonormalBasis orthonormalBasis(const at::Tensor& X);

struct NewtonResult {
  at::Tensor W, b, proba;  ///< proba: sigmoid [n, 1] or softmax [n, K] at the solution
  int iterations = 0;
  int hessianProducts = 0;
  bool converged = false;
  std::string stop;
};

/// Minimizes the objective of `p` from zero until ||gradient||_2 <= tol (at most maxIter Newton steps).
NewtonResult newtonCg(const LossProblem& p, double tol, int maxIter);

}  // namespace fmcib::probe::detail
