// The L-BFGS-B transcription on problems with known answers. (Its agreement with scipy step for
// step is what logistic_fixture_test checks against scikit-learn's numbers.)
#include <gtest/gtest.h>

#include <cmath>

#include "fmcib/probe/lbfgsb.hpp"

namespace fmcib::probe {
namespace {

double rosenbrock(const std::vector<double>& x, std::vector<double>& g) {
  double f = 0;
  std::fill(g.begin(), g.end(), 0.0);
  for (size_t i = 0; i + 1 < x.size(); ++i) {
    const double a = x[i + 1] - x[i] * x[i], b = 1 - x[i];
    f += 100 * a * a + b * b;
    g[i] += -400 * a * x[i] - 2 * b;
    g[i + 1] += 200 * a;
  }
  return f;
}

TEST(Lbfgsb, MinimizesRosenbrock) {
  LbfgsOptions o;
  o.pgtol = 1e-8;
  o.ftol = 0;
  const LbfgsResult r = minimizeLbfgsb(rosenbrock, std::vector<double>(6, -1.2), o);
  EXPECT_EQ(r.stop, LbfgsStop::kGradient) << describe(r.stop);
  for (double v : r.x) EXPECT_NEAR(v, 1.0, 1e-6);
  EXPECT_GT(r.iterations, 10);
  EXPECT_GE(r.evaluations, r.iterations);
}

TEST(Lbfgsb, QuadraticConvergesAndStopsAtTheGradientTest) {
  // f = sum_i (i+1)/2 (x_i - 1)^2: minimum at 1, curvature 1..8.
  auto quadratic = [](const std::vector<double>& x, std::vector<double>& g) {
    double f = 0;
    for (size_t i = 0; i < x.size(); ++i) {
      const double c = static_cast<double>(i + 1);
      f += 0.5 * c * (x[i] - 1) * (x[i] - 1);
      g[i] = c * (x[i] - 1);
    }
    return f;
  };
  LbfgsOptions o;
  o.pgtol = 1e-10;
  o.ftol = 0;
  const LbfgsResult r = minimizeLbfgsb(quadratic, std::vector<double>(8, 0.0), o);
  EXPECT_EQ(r.stop, LbfgsStop::kGradient);
  for (double v : r.x) EXPECT_NEAR(v, 1.0, 1e-9);
  for (double v : r.grad) EXPECT_LE(std::abs(v), 1e-10);
  EXPECT_LT(r.iterations, 40);
}

TEST(Lbfgsb, StopsAtTheIterationLimitAndAtAZeroGradient) {
  LbfgsOptions o;
  o.maxIter = 3;
  const LbfgsResult limited = minimizeLbfgsb(rosenbrock, std::vector<double>(4, -1.2), o);
  EXPECT_EQ(limited.stop, LbfgsStop::kMaxIter);
  EXPECT_EQ(limited.iterations, 3);
  const LbfgsResult atMinimum = minimizeLbfgsb(rosenbrock, std::vector<double>(4, 1.0), o);
  EXPECT_EQ(atMinimum.stop, LbfgsStop::kGradient);
  EXPECT_EQ(atMinimum.iterations, 0);
  EXPECT_EQ(atMinimum.evaluations, 1);
}

TEST(Lbfgsb, RelativeReductionStopsAFlatObjective) {
  // Loose scipy defaults on a badly scaled quadratic end by ftol long before the gradient test.
  auto flat = [](const std::vector<double>& x, std::vector<double>& g) {
    g[0] = 1e-6 * x[0];
    g[1] = x[1] - 3;
    return 0.5e-6 * x[0] * x[0] + 0.5 * (x[1] - 3) * (x[1] - 3) + 1e6;
  };
  LbfgsOptions o;
  o.pgtol = 1e-12;
  const LbfgsResult r = minimizeLbfgsb(flat, {5.0, 0.0}, o);
  EXPECT_EQ(r.stop, LbfgsStop::kRelativeReduction) << describe(r.stop);
}

}  // namespace
}  // namespace fmcib::probe
