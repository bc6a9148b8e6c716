// LogisticTrainer: scikit-learn's lbfgs path on the features, or, with many more features than
// rows, on the rows in an orthonormal basis of their span (QrBasis); the Newton path in the
// eigenvector basis of newton_cg.hpp.
#include "fmcib/probe/logistic_regression.hpp"

#include <torch/torch.h>

#include <cmath>
#include <functional>
#include <tuple>

#include "fmcib/probe/lbfgsb.hpp"
#include "logistic_loss.hpp"
#include "newton_cg.hpp"

namespace fmcib::probe {

namespace {

/// L-BFGS runs in the QR basis when features >= this many times the rows.
constexpr int64_t kReduceAtFeaturesPerRow = 2;

struct Fit {
  at::Tensor W, b, proba;
};

at::Tensor indexTensor(const std::vector<int64_t>& rows) {
  return torch::tensor(rows, torch::kLong);
}

std::vector<int64_t> pick(const std::vector<int64_t>& y, const std::vector<int64_t>& rows) {
  std::vector<int64_t> out;
  out.reserve(rows.size());
  for (int64_t r : rows) out.push_back(y[static_cast<size_t>(r)]);
  return out;
}

Fit fitLbfgs(const detail::LossProblem& p, const LogisticOptions& o, FitReport* report,
             const std::function<bool(const std::vector<double>&)>& gradientConverged = nullptr) {
  const int64_t dim = p.X.size(1), k = p.outputs;
  LbfgsOptions lo;
  lo.pgtol = o.tol;
  lo.maxIter = o.maxIter;
  lo.gradientConverged = gradientConverged;
  const auto opts = torch::TensorOptions().dtype(torch::kDouble);
  Objective objective = [&](const std::vector<double>& x, std::vector<double>& grad) {
    // Views of x; the gradient is written straight into grad.
    auto* data = const_cast<double*>(x.data());
    const at::Tensor W = torch::from_blob(data, {k, dim}, opts);
    const at::Tensor b = torch::from_blob(data + k * dim, {k}, opts);
    at::Tensor gW, gb;
    const double f = detail::lossAndGradient(p, W, b, &gW, &gb, nullptr);
    torch::from_blob(grad.data(), {k, dim}, opts).copy_(gW);
    torch::from_blob(grad.data() + k * dim, {k}, opts).copy_(gb);
    return f;
  };
  LbfgsResult r = minimizeLbfgsb(objective, std::vector<double>(static_cast<size_t>(k * (dim + 1)), 0.0), lo);
  if (report) {
    report->iterations = r.iterations;
    report->evaluations = r.evaluations;
    report->converged = r.stop == LbfgsStop::kGradient || r.stop == LbfgsStop::kRelativeReduction;
    report->stop = describe(r.stop);
  }
  const at::Tensor x = torch::tensor(r.x, torch::kDouble);
  Fit fit;
  fit.W = x.narrow(0, 0, k * dim).reshape({k, dim});
  fit.b = x.narrow(0, k * dim, k).clone();
  return fit;
}

Fit fitNewton(const detail::LossProblem& p, const LogisticOptions& o, FitReport* report) {
  detail::NewtonResult r = detail::newtonCg(p, o.tol, o.maxIter);
  if (report) {
    report->iterations = r.iterations;
    report->evaluations = r.hessianProducts;
    report->converged = r.converged;
    report->stop = r.stop;
  }
  return {r.W, r.b, r.proba};
}

}  // namespace

at::Tensor LogisticModel::decision(const at::Tensor& X) const {
  return torch::addmm(intercept, X.to(torch::kDouble), coef.t());
}

at::Tensor LogisticModel::predictProba(const at::Tensor& X) const {
  return detail::probaFromDecision(decision(X), numClasses);
}

struct LogisticTrainer::Basis : detail::OrthonormalBasis {};

/// X' = Q R (Householder, LAPACK geqrf): the rows in the basis Q are X Q = R' [n, n]. L-BFGS from
/// zero only ever moves within the span of the gradients, which is the row span, and depends on
/// the coordinates only through inner products, so its iterates there are those on X; only the
/// max-|g| stopping test and the weights need Q, applied from the reflectors (ormqr).
struct LogisticTrainer::QrBasis {
  at::Tensor reflectors, tau, rows;
  int64_t features = 0;

  explicit QrBasis(const at::Tensor& X) : features(X.size(1)) {
    std::tie(reflectors, tau) = at::geqrf(X.t().contiguous());
    rows = reflectors.narrow(0, 0, X.size(0)).triu().t().contiguous();
  }

  /// Q v' for v [K', n]: the same vectors in feature coordinates, [K', d].
  at::Tensor toFeatures(const at::Tensor& v) const {
    at::Tensor padded = torch::zeros({features, v.size(0)}, torch::kDouble);
    padded.narrow(0, 0, v.size(1)).copy_(v.t());
    return at::ormqr(reflectors, tau, padded, true, false).t().contiguous();
  }

  /// scipy's test max |g_i| <= tol in feature coordinates. The 2-norm is the same in both bases
  /// and bounds the max norm from both sides, so Q is applied only when the bounds disagree.
  std::function<bool(const std::vector<double>&)> gradientTest(int64_t outputs, double tol) const {
    return [this, outputs, tol](const std::vector<double>& g) {
      double sq = 0;
      for (double v : g) sq += v * v;
      const double norm = std::sqrt(sq);
      if (norm <= tol) return true;
      if (norm / std::sqrt(static_cast<double>(outputs * (features + 1))) > tol) return false;
      const int64_t n = rows.size(1);
      const at::Tensor flat = torch::tensor(g, torch::kDouble);
      const at::Tensor gW = toFeatures(flat.narrow(0, 0, outputs * n).reshape({outputs, n}));
      const double maxAbs = std::max(gW.abs().max().item<double>(),
                                     flat.narrow(0, outputs * n, outputs).abs().max().item<double>());
      return maxAbs <= tol;
    };
  }
};

LogisticTrainer::LogisticTrainer(at::Tensor X, std::vector<int64_t> y, int64_t numClasses)
    : X_(X.to(torch::kDouble).contiguous()), y_(std::move(y)), numClasses_(numClasses) {}

LogisticTrainer::~LogisticTrainer() = default;

const LogisticTrainer::Basis& LogisticTrainer::basis() const {
  if (!basis_) basis_ = std::make_unique<Basis>(Basis{detail::orthonormalBasis(X_)});
  return *basis_;
}

const LogisticTrainer::QrBasis* LogisticTrainer::qrBasis(const LogisticOptions& o) const {
  if (o.solver != Solver::kLbfgs || !o.rowSpanBasis || X_.size(1) < kReduceAtFeaturesPerRow * X_.size(0))
    return nullptr;
  if (!qr_) qr_ = std::make_unique<QrBasis>(X_);
  return qr_.get();
}

at::Tensor LogisticTrainer::fitAndPredict(const std::vector<int64_t>& fitRows,
                                          const std::vector<int64_t>& evalRows, const LogisticOptions& o,
                                          FitReport* report) const {
  const at::Tensor fitIndex = indexTensor(fitRows), evalIndex = indexTensor(evalRows);
  const QrBasis* qr = qrBasis(o);
  const at::Tensor design = o.solver == Solver::kNewton ? basis().rows : qr ? qr->rows : X_;
  const detail::LossProblem problem(design.index_select(0, fitIndex), pick(y_, fitRows), numClasses_, o.C);
  const Fit fit = o.solver == Solver::kNewton ? fitNewton(problem, o, report)
                  : qr ? fitLbfgs(problem, o, report, qr->gradientTest(problem.outputs, o.tol))
                       : fitLbfgs(problem, o, report);
  const at::Tensor decision = torch::addmm(fit.b, design.index_select(0, evalIndex), fit.W.t());
  return detail::probaFromDecision(decision, numClasses_);
}

LogisticModel LogisticTrainer::fit(const LogisticOptions& o, FitReport* report) const {
  LogisticModel model;
  model.numClasses = numClasses_;
  if (o.solver == Solver::kLbfgs) {
    const QrBasis* qr = qrBasis(o);
    const detail::LossProblem problem(qr ? qr->rows : X_, y_, numClasses_, o.C);
    const Fit fit = qr ? fitLbfgs(problem, o, report, qr->gradientTest(problem.outputs, o.tol))
                       : fitLbfgs(problem, o, report);
    model.coef = qr ? qr->toFeatures(fit.W) : fit.W;
    model.intercept = fit.b;
    return model;
  }
  const Basis& b = basis();
  const detail::LossProblem problem(b.rows, y_, numClasses_, o.C);
  const Fit fit = fitNewton(problem, o, report);
  if (b.Q.defined()) {
    model.coef = torch::mm(fit.W, b.Q.t());
  } else {
    // At the optimum the gradient R'X + W/C vanishes, so W = -C R'X, with R from the fitted rows.
    model.coef = -o.C * torch::mm((fit.proba - problem.targets).t(), X_);
  }
  model.intercept = fit.b;
  return model;
}

double gradientMaxAbs(const LogisticModel& model, const at::Tensor& X, const std::vector<int64_t>& y,
                      double C) {
  const detail::LossProblem problem(X, y, model.numClasses, C);
  at::Tensor gW, gb;
  detail::lossAndGradient(problem, model.coef, model.intercept, &gW, &gb, nullptr);
  return std::max(gW.abs().max().item<double>(), gb.abs().max().item<double>());
}

}  // namespace fmcib::probe
