// scipy's L-BFGS-B without bounds (see lbfgsb.hpp). The line search is MINPACK-2's dcsrch/dcstep,
// transcribed operation by operation, because the step it picks decides where a run with scipy's
// loose default tolerances stops.
#include "fmcib/probe/lbfgsb.hpp"

#include <algorithm>
#include <cmath>
#include <deque>
#include <limits>

namespace fmcib::probe {

namespace {

constexpr double kEps = std::numeric_limits<double>::epsilon();
constexpr double kStepMax = 1e10;  // lnsrlb's `big`

double dot(const std::vector<double>& a, const std::vector<double>& b) {
  double s = 0;
  for (size_t i = 0; i < a.size(); ++i) s += a[i] * b[i];
  return s;
}

double maxAbs(const std::vector<double>& v) {
  double m = 0;
  for (double x : v) m = std::max(m, std::abs(x));
  return m;
}

/// MINPACK-2 dcstep: a safeguarded cubic/quadratic step, updating the interval [stx, sty].
void dcstep(double& stx, double& fx, double& dx, double& sty, double& fy, double& dy, double& stp, double fp,
            double dp, bool& brackt, double stpmin, double stpmax) {
  const double sgnd = dp * (dx / std::abs(dx));
  double stpf;
  if (fp > fx) {
    const double theta = 3 * (fx - fp) / (stp - stx) + dx + dp;
    const double s = std::max({std::abs(theta), std::abs(dx), std::abs(dp)});
    double gamma = s * std::sqrt((theta / s) * (theta / s) - (dx / s) * (dp / s));
    if (stp < stx) gamma = -gamma;
    const double p = (gamma - dx) + theta, q = ((gamma - dx) + gamma) + dp, r = p / q;
    const double stpc = stx + r * (stp - stx);
    const double stpq = stx + ((dx / ((fx - fp) / (stp - stx) + dx)) / 2) * (stp - stx);
    stpf = std::abs(stpc - stx) < std::abs(stpq - stx) ? stpc : stpc + (stpq - stpc) / 2;
    brackt = true;
  } else if (sgnd < 0) {
    const double theta = 3 * (fx - fp) / (stp - stx) + dx + dp;
    const double s = std::max({std::abs(theta), std::abs(dx), std::abs(dp)});
    double gamma = s * std::sqrt((theta / s) * (theta / s) - (dx / s) * (dp / s));
    if (stp > stx) gamma = -gamma;
    const double p = (gamma - dp) + theta, q = ((gamma - dp) + gamma) + dx, r = p / q;
    const double stpc = stp + r * (stx - stp);
    const double stpq = stp + (dp / (dp - dx)) * (stx - stp);
    stpf = std::abs(stpc - stp) > std::abs(stpq - stp) ? stpc : stpq;
    brackt = true;
  } else if (std::abs(dp) < std::abs(dx)) {
    const double theta = 3 * (fx - fp) / (stp - stx) + dx + dp;
    const double s = std::max({std::abs(theta), std::abs(dx), std::abs(dp)});
    double gamma = s * std::sqrt(std::max(0.0, (theta / s) * (theta / s) - (dx / s) * (dp / s)));
    if (stp > stx) gamma = -gamma;
    const double p = (gamma - dp) + theta, q = (gamma + (dx - dp)) + gamma, r = p / q;
    double stpc;
    if (r < 0 && gamma != 0)
      stpc = stp + r * (stx - stp);
    else if (stp > stx)
      stpc = stpmax;
    else
      stpc = stpmin;
    const double stpq = stp + (dp / (dp - dx)) * (stx - stp);
    if (brackt) {
      stpf = std::abs(stpc - stp) < std::abs(stpq - stp) ? stpc : stpq;
      if (stp > stx)
        stpf = std::min(stp + 0.66 * (sty - stp), stpf);
      else
        stpf = std::max(stp + 0.66 * (sty - stp), stpf);
    } else {
      stpf = std::abs(stpc - stp) > std::abs(stpq - stp) ? stpc : stpq;
      stpf = std::min(stpmax, stpf);
      stpf = std::max(stpmin, stpf);
    }
  } else {
    if (brackt) {
      const double theta = 3 * (fp - fy) / (sty - stp) + dy + dp;
      const double s = std::max({std::abs(theta), std::abs(dy), std::abs(dp)});
      double gamma = s * std::sqrt((theta / s) * (theta / s) - (dy / s) * (dp / s));
      if (stp > sty) gamma = -gamma;
      const double p = (gamma - dp) + theta, q = ((gamma - dp) + gamma) + dy, r = p / q;
      stpf = stp + r * (sty - stp);
    } else if (stp > stx) {
      stpf = stpmax;
    } else {
      stpf = stpmin;
    }
  }
  if (fp > fx) {
    sty = stp;
    fy = fp;
    dy = dp;
  } else {
    if (sgnd < 0) {
      sty = stx;
      fy = fx;
      dy = dx;
    }
    stx = stp;
    fx = fp;
    dx = dp;
  }
  stp = stpf;
}

/// MINPACK-2 dcsrch as a state machine: start(), then step() after each evaluation until it stops
/// asking for one.
class LineSearch {
 public:
  LineSearch(double ftol, double gtol, double xtol, double stpmin, double stpmax)
      : ftol_(ftol), gtol_(gtol), xtol_(xtol), stpmin_(stpmin), stpmax_(stpmax) {}

  void start(double f, double g, double stp) {
    brackt_ = false;
    stage_ = 1;
    finit_ = f;
    ginit_ = g;
    gtest_ = ftol_ * ginit_;
    width_ = stpmax_ - stpmin_;
    width1_ = width_ / 0.5;
    stx_ = 0;
    fx_ = finit_;
    gx_ = ginit_;
    sty_ = 0;
    fy_ = finit_;
    gy_ = ginit_;
    stmin_ = 0;
    stmax_ = stp + 4.0 * stp;
  }

  /// f and g (directional derivative) at stp. Returns true when another evaluation is wanted
  /// (stp then holds the next trial step); false when the search converged or gave a warning.
  bool step(double f, double g, double& stp) {
    const double ftest = finit_ + stp * gtest_;
    if (stage_ == 1 && f <= ftest && g >= 0) stage_ = 2;
    bool done = false;
    if (brackt_ && (stp <= stmin_ || stp >= stmax_)) done = true;     // rounding errors
    if (brackt_ && stmax_ - stmin_ <= xtol_ * stmax_) done = true;    // xtol test
    if (stp == stpmax_ && f <= ftest && g <= gtest_) done = true;     // stp = stpmax
    if (stp == stpmin_ && (f > ftest || g >= gtest_)) done = true;    // stp = stpmin
    if (f <= ftest && std::abs(g) <= gtol_ * (-ginit_)) done = true;  // convergence
    if (done) return false;
    if (stage_ == 1 && f <= fx_ && f > ftest) {
      const double fm = f - stp * gtest_;
      double fxm = fx_ - stx_ * gtest_, fym = fy_ - sty_ * gtest_;
      const double gm = g - gtest_;
      double gxm = gx_ - gtest_, gym = gy_ - gtest_;
      dcstep(stx_, fxm, gxm, sty_, fym, gym, stp, fm, gm, brackt_, stmin_, stmax_);
      fx_ = fxm + stx_ * gtest_;
      fy_ = fym + sty_ * gtest_;
      gx_ = gxm + gtest_;
      gy_ = gym + gtest_;
    } else {
      dcstep(stx_, fx_, gx_, sty_, fy_, gy_, stp, f, g, brackt_, stmin_, stmax_);
    }
    if (brackt_) {
      if (std::abs(sty_ - stx_) >= 0.66 * width1_) stp = stx_ + 0.5 * (sty_ - stx_);
      width1_ = width_;
      width_ = std::abs(sty_ - stx_);
    }
    if (brackt_) {
      stmin_ = std::min(stx_, sty_);
      stmax_ = std::max(stx_, sty_);
    } else {
      stmin_ = stp + 1.1 * (stp - stx_);
      stmax_ = stp + 4.0 * (stp - stx_);
    }
    stp = std::max(stp, stpmin_);
    stp = std::min(stp, stpmax_);
    if ((brackt_ && (stp <= stmin_ || stp >= stmax_)) || (brackt_ && stmax_ - stmin_ <= xtol_ * stmax_))
      stp = stx_;
    return true;
  }

 private:
  double ftol_, gtol_, xtol_, stpmin_, stpmax_;
  bool brackt_ = false;
  int stage_ = 1;
  double finit_ = 0, ginit_ = 0, gtest_ = 0, width_ = 0, width1_ = 0;
  double stx_ = 0, fx_ = 0, gx_ = 0, sty_ = 0, fy_ = 0, gy_ = 0, stmin_ = 0, stmax_ = 0;
};

struct Pair {
  std::vector<double> s, y;
  double rho;  // 1 / y's
};

/// -H g by the two-loop recursion with H0 = I / theta.
void direction(const std::deque<Pair>& pairs, double theta, const std::vector<double>& g,
               std::vector<double>& d) {
  d = g;
  std::vector<double> alpha(pairs.size());
  for (size_t k = pairs.size(); k-- > 0;) {
    alpha[k] = pairs[k].rho * dot(pairs[k].s, d);
    for (size_t i = 0; i < d.size(); ++i) d[i] -= alpha[k] * pairs[k].y[i];
  }
  for (double& v : d) v /= theta;
  for (size_t k = 0; k < pairs.size(); ++k) {
    const double beta = pairs[k].rho * dot(pairs[k].y, d);
    for (size_t i = 0; i < d.size(); ++i) d[i] += pairs[k].s[i] * (alpha[k] - beta);
  }
  for (double& v : d) v = -v;
}

}  // namespace

const char* describe(LbfgsStop stop) {
  switch (stop) {
    case LbfgsStop::kGradient:
      return "converged (max |gradient| <= tol)";
    case LbfgsStop::kRelativeReduction:
      return "converged (relative reduction of the objective <= ftol)";
    case LbfgsStop::kMaxIter:
      return "stopped at the iteration limit";
    case LbfgsStop::kMaxFun:
      return "stopped at the evaluation limit";
    case LbfgsStop::kLineSearchFailed:
      break;
  }
  return "stopped: the line search found no decrease";
}

LbfgsResult minimizeLbfgsb(const Objective& objective, std::vector<double> x0, const LbfgsOptions& o) {
  LbfgsResult r;
  const size_t n = x0.size();
  std::vector<double> x = std::move(x0), g(n), d(n), xOld, gOld, trial(n);
  double f = objective(x, g);
  r.evaluations = 1;
  auto finish = [&](LbfgsStop stop) {
    r.x = std::move(x);
    r.grad = std::move(g);
    r.f = f;
    r.stop = stop;
    return r;
  };
  auto gradientSmall = [&] { return o.gradientConverged ? o.gradientConverged(g) : maxAbs(g) <= o.pgtol; };
  if (gradientSmall()) return finish(LbfgsStop::kGradient);
  std::deque<Pair> pairs;
  double theta = 1.0;
  LineSearch search(1e-3, 0.9, 0.1, 0.0, kStepMax);
  while (true) {
    if (pairs.empty()) {
      for (size_t i = 0; i < n; ++i) d[i] = -g[i];
    } else {
      direction(pairs, theta, g, d);
    }
    const double dnorm = std::sqrt(dot(d, d));
    double stp = r.iterations == 0 ? std::min(1.0 / dnorm, kStepMax) : 1.0;
    xOld = x;
    gOld = g;
    const double fOld = f;
    const double gdOld = dot(g, d);
    bool failed = !(gdOld < 0);  // not a descent direction (lnsrlb's info = -4)
    double gd = gdOld;
    if (!failed) {
      search.start(f, gdOld, stp);
      int evaluations = 0;
      while (true) {
        for (size_t i = 0; i < n; ++i) x[i] = stp == 1.0 ? xOld[i] + d[i] : stp * d[i] + xOld[i];
        f = objective(x, g);
        ++r.evaluations;
        ++evaluations;
        gd = dot(g, d);
        if (!search.step(f, gd, stp)) break;
        if (evaluations >= o.maxLineSearch) {
          failed = true;
          break;
        }
      }
    }
    if (failed) {
      x = xOld;
      g = gOld;
      f = fOld;
      if (pairs.empty()) return finish(LbfgsStop::kLineSearchFailed);
      pairs.clear();
      theta = 1.0;
      continue;
    }
    ++r.iterations;
    if (r.iterations >= o.maxIter) return finish(LbfgsStop::kMaxIter);
    if (r.evaluations > o.maxFun) return finish(LbfgsStop::kMaxFun);
    if (gradientSmall()) return finish(LbfgsStop::kGradient);
    if (fOld - f <= o.ftol * std::max({std::abs(fOld), std::abs(f), 1.0}))
      return finish(LbfgsStop::kRelativeReduction);
    // The new pair, with y's taken from the directional derivatives as L-BFGS-B does.
    Pair p;
    p.y.resize(n);
    for (size_t i = 0; i < n; ++i) p.y[i] = g[i] - gOld[i];
    const double rr = dot(p.y, p.y);
    double dr, ddum;
    if (stp == 1.0) {
      dr = gd - gdOld;
      ddum = -gdOld;
      p.s = d;
    } else {
      dr = (gd - gdOld) * stp;
      ddum = -gdOld * stp;
      p.s.resize(n);
      for (size_t i = 0; i < n; ++i) p.s[i] = stp * d[i];
    }
    if (dr <= kEps * ddum) continue;  // curvature too small: skip the update
    p.rho = 1.0 / dr;
    pairs.push_back(std::move(p));
    if (static_cast<int>(pairs.size()) > o.memory) pairs.pop_front();
    theta = rr / dr;
  }
}

}  // namespace fmcib::probe
