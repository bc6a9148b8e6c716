// Line-search Newton-CG (Nocedal & Wright, Algorithm 7.1) with a Jacobi preconditioner, for the
// strictly convex logistic objective. The CG forcing term min(0.5, sqrt(|g| / |g0|)) gives
// superlinear convergence; the Armijo backtracking accepts a step whose change of f is at rounding
// level when it still lowers the gradient, so the last iterations are not refused for noise.
#include "newton_cg.hpp"

#include <torch/torch.h>

#include <cmath>
#include <limits>

namespace fmcib::probe::detail {

namespace {

constexpr double kEps = std::numeric_limits<double>::epsilon();

double dot2(const at::Tensor& a1, const at::Tensor& b1, const at::Tensor& a2, const at::Tensor& b2) {
  return (a1 * a2).sum().item<double>() + (b1 * b2).sum().item<double>();
}

double norm2(const at::Tensor& a, const at::Tensor& b) {
  return std::sqrt(dot2(a, b, a, b));
}

/// Hessian of the objective at probabilities P applied to the direction (V, c).
struct Hessian {
  const LossProblem& p;
  at::Tensor P;

  void apply(const at::Tensor& V, const at::Tensor& c, at::Tensor& hV, at::Tensor& hc) const {
    const at::Tensor dZ = torch::addmm(c, p.X, V.t());
    at::Tensor dR;
    if (p.outputs == 1)
      dR = P * (1 - P) * dZ;
    else
      dR = P * dZ - P * (P * dZ).sum(1, true);
    hV = torch::mm(dR.t(), p.X) + V / p.C;
    hc = dR.sum(0);
  }

  /// The diagonal, floored so that classes the model is certain of do not divide by zero.
  void diagonal(at::Tensor& dV, at::Tensor& dc) const {
    const at::Tensor D = P * (1 - P);
    dV = torch::mm(D.t(), p.X.pow(2)) + 1.0 / p.C;
    dc = D.sum(0);
    const double floor = std::max(1e-12 * dc.max().item<double>(), 1e-300);
    dc = dc.clamp_min(floor);
  }
};

}  // namespace

OrthonormalBasis orthonormalBasis(const at::Tensor& X) {
  OrthonormalBasis basis;
  const int64_t n = X.size(0), d = X.size(1);
  if (d <= n) {
    auto [lambda, V] = at::linalg_eigh(torch::mm(X.t(), X));
    basis.Q = V;
    basis.rows = torch::mm(X, V);
    return basis;
  }
  auto [lambda, U] = at::linalg_eigh(torch::mm(X, X.t()));
  // Eigenvalues below the rounding level of X X' are directions the rows do not span.
  const double cutoff = lambda.max().item<double>() * static_cast<double>(n) * kEps;
  const at::Tensor keep = lambda.gt(cutoff).nonzero().squeeze(1);
  basis.rows = U.index_select(1, keep) * lambda.index_select(0, keep).sqrt();
  if (basis.rows.size(1) == 0) basis.rows = torch::zeros({n, 1}, torch::kDouble);
  return basis;
}

NewtonResult newtonCg(const LossProblem& p, double tol, int maxIter) {
  NewtonResult r;
  const int64_t dim = p.X.size(1);
  at::Tensor W = torch::zeros({p.outputs, dim}, torch::kDouble),
             b = torch::zeros({p.outputs}, torch::kDouble);
  at::Tensor gW, gb, P;
  double f = lossAndGradient(p, W, b, &gW, &gb, &P);
  const double g0 = norm2(gW, gb);
  const int maxCg =
      static_cast<int>(std::min<int64_t>(std::max<int64_t>(50, 2 * (dim + 1) * p.outputs), 2000));
  r.stop = "converged (|gradient| <= tol)";
  while (true) {
    const double gn = norm2(gW, gb);
    if (gn <= tol) {
      r.converged = true;
      break;
    }
    if (r.iterations >= maxIter) {
      r.stop = "stopped at the iteration limit";
      break;
    }
    ++r.iterations;
    // Preconditioned CG on H s = -g.
    const Hessian H{p, P};
    at::Tensor mV, mc;
    H.diagonal(mV, mc);
    const double eta = std::min(0.5, std::sqrt(gn / std::max(g0, 1e-300)));
    at::Tensor sV = torch::zeros_like(W), sc = torch::zeros_like(b);
    at::Tensor rV = -gW, rc = -gb;
    at::Tensor zV = rV / mV, zc = rc / mc;
    at::Tensor dV = zV.clone(), dc = zc.clone();
    double rz = dot2(rV, rc, zV, zc);
    for (int k = 0; k < maxCg; ++k) {
      at::Tensor hV, hc;
      H.apply(dV, dc, hV, hc);
      ++r.hessianProducts;
      const double curvature = dot2(dV, dc, hV, hc);
      if (!(curvature > 0)) break;  // only rounding can make a convex Hessian look flat
      const double alpha = rz / curvature;
      sV += alpha * dV;
      sc += alpha * dc;
      rV -= alpha * hV;
      rc -= alpha * hc;
      if (norm2(rV, rc) <= eta * gn) break;
      zV = rV / mV;
      zc = rc / mc;
      const double rzNext = dot2(rV, rc, zV, zc);
      const double beta = rzNext / rz;
      rz = rzNext;
      dV = zV + beta * dV;
      dc = zc + beta * dc;
    }
    if (r.hessianProducts > 0 && norm2(sV, sc) == 0) {  // CG made no progress
      sV = -gW / mV;
      sc = -gb / mc;
    }
    const double slope = dot2(gW, gb, sV, sc);
    double t = 1.0;
    bool accepted = false;
    at::Tensor nW, nb, ngW, ngb, nP;
    for (int halving = 0; halving < 60 && slope < 0; ++halving, t *= 0.5) {
      nW = W + t * sV;
      nb = b + t * sc;
      const double nf = lossAndGradient(p, nW, nb, &ngW, &ngb, &nP);
      const bool armijo = nf <= f + 1e-4 * t * slope;
      const bool roundingLevel = std::abs(nf - f) <= 64 * kEps * std::abs(f) && norm2(ngW, ngb) < gn;
      if (armijo || roundingLevel) {
        f = nf;
        accepted = true;
        break;
      }
    }
    if (!accepted) {
      r.stop = "stopped: no step along the Newton direction lowers the objective";
      r.converged = gn <= 1e3 * tol;
      break;
    }
    W = nW;
    b = nb;
    gW = ngW;
    gb = ngb;
    P = nP;
    // Softmax intercepts are defined up to a common shift; keep them summing to zero like L-BFGS
    // from zero does (the shift changes neither f nor the probabilities).
    if (p.outputs > 1) b = b - b.mean();
  }
  r.W = W;
  r.b = b;
  r.proba = P;
  return r;
}

}  // namespace fmcib::probe::detail
