#include "fmcib/transforms/affine4.hpp"

#include <cmath>
#include <sstream>
#include <utility>

#include "fmcib/config/error.hpp"

namespace fmcib::transforms {

Affine identityAffine() {
  return {1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1};
}

Affine matmul(const Affine& a, const Affine& b) {
  Affine c{};
  for (int i = 0; i < 4; ++i)
    for (int j = 0; j < 4; ++j) {
      double s = 0;
      for (int k = 0; k < 4; ++k) s += a[4 * i + k] * b[4 * k + j];
      c[4 * i + j] = s;
    }
  return c;
}

Affine solve(const Affine& a, const Affine& b) {
  Affine lu = a, x = b;
  for (int col = 0; col < 4; ++col) {
    int pivot = col;
    for (int r = col + 1; r < 4; ++r)
      if (std::abs(lu[4 * r + col]) > std::abs(lu[4 * pivot + col])) pivot = r;
    if (lu[4 * pivot + col] == 0.0) throw RuntimeError("affine is not invertible: " + describeAffine(a));
    if (pivot != col)
      for (int j = 0; j < 4; ++j) {
        std::swap(lu[4 * col + j], lu[4 * pivot + j]);
        std::swap(x[4 * col + j], x[4 * pivot + j]);
      }
    for (int r = col + 1; r < 4; ++r) {
      const double f = lu[4 * r + col] / lu[4 * col + col];
      if (f == 0.0) continue;
      for (int j = col; j < 4; ++j) lu[4 * r + j] -= f * lu[4 * col + j];
      for (int j = 0; j < 4; ++j) x[4 * r + j] -= f * x[4 * col + j];
    }
  }
  for (int col = 3; col >= 0; --col)
    for (int j = 0; j < 4; ++j) {
      double s = x[4 * col + j];
      for (int k = col + 1; k < 4; ++k) s -= lu[4 * col + k] * x[4 * k + j];
      x[4 * col + j] = s / lu[4 * col + col];
    }
  return x;
}

Affine inverse(const Affine& a) {
  return solve(a, identityAffine());
}

Point3 applyAffine(const Affine& a, const Point3& p) {
  Point3 out{};
  for (int i = 0; i < 3; ++i)
    out[i] = a[4 * i] * p[0] + a[4 * i + 1] * p[1] + a[4 * i + 2] * p[2] + a[4 * i + 3];
  return out;
}

bool allClose(const Affine& a, const Affine& b, double atol, double rtol) {
  for (int i = 0; i < 16; ++i)
    if (!(std::abs(a[i] - b[i]) <= atol + rtol * std::abs(b[i]))) return false;
  return true;
}

std::string describeAffine(const Affine& a) {
  std::ostringstream s;
  s.precision(10);
  s << "[";
  for (int i = 0; i < 4; ++i) {
    s << (i ? ", [" : "[");
    for (int j = 0; j < 4; ++j) s << (j ? ", " : "") << a[4 * i + j];
    s << "]";
  }
  s << "]";
  return s.str();
}

}  // namespace fmcib::transforms
