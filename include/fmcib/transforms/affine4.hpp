#pragma once
/// 4×4 homogeneous matrices in float64, the form MONAI keeps image affines in (voxel index → RAS
/// mm). Products, solves and inverses run in a fixed order here, so results do not depend on a
/// BLAS build.
#include <array>
#include <string>

namespace fmcib::transforms {

/// Row-major 4×4.
using Affine = std::array<double, 16>;
using Point3 = std::array<double, 3>;

Affine identityAffine();
/// a · b (each entry summed over k = 0..3 in order).
Affine matmul(const Affine& a, const Affine& b);
/// a⁻¹ · b by LU with partial pivoting (what torch.linalg.solve does); RuntimeError when `a` is
/// singular.
Affine solve(const Affine& a, const Affine& b);
/// a⁻¹ (solve(a, I)).
Affine inverse(const Affine& a);
/// The affine map applied to a point (homogeneous coordinate 1).
Point3 applyAffine(const Affine& a, const Point3& p);
/// torch.allclose(a, b, rtol, atol): |a − b| ≤ atol + rtol·|b| for every entry.
bool allClose(const Affine& a, const Affine& b, double atol, double rtol = 1e-5);
/// "[[a, b, c, d], ...]" for messages.
std::string describeAffine(const Affine& a);

}  // namespace fmcib::transforms
