#include "demo_lesion.hpp"

#include <algorithm>
#include <cmath>

namespace fmcib::data::demo {

namespace {

constexpr double kPi = 3.14159265358979323846;
constexpr double kAir = -950, kCalcium = 450;

double uniform(std::mt19937_64& rng, double lo, double hi) {
  return lo + (hi - lo) * (static_cast<double>(rng() >> 11) * 0x1.0p-53);
}

bool chance(std::mt19937_64& rng, double p) {
  return uniform(rng, 0, 1) < p;
}

P3 unitVector(std::mt19937_64& rng) {
  const double z = uniform(rng, -1, 1), phi = uniform(rng, 0, 2 * kPi), s = std::sqrt(1 - z * z);
  return {s * std::cos(phi), s * std::sin(phi), z};
}

double dot(const P3& a, const P3& b) {
  return a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
}

double norm(const P3& a) {
  return std::sqrt(dot(a, a));
}

/// 1 well inside, 0 well outside, linear across a transition `width` wide around distance 0
/// (`signedMm` < 0 inside).
double ramp(double signedMm, double width) {
  return std::clamp(0.5 - signedMm / width, 0.0, 1.0);
}

/// The outline's radius factor along unit direction u: 1 for a round lesion, bumps toward lobes.
double lobeFactor(const LesionShape& s, const P3& u) {
  double f = 1;
  for (const P3& d : s.lobes) {
    const double c = std::max(0.0, dot(u, d));
    f += s.summary.lobulation * c * c * c * c;
  }
  return f;
}

}  // namespace

double LesionShape::bodyReach() const {
  const auto& r = summary.radii;
  return std::max({r[0], r[1], r[2]}) * (1 + summary.lobulation) + summary.marginMm;
}

LesionShape drawLesion(int cls, double scale, std::mt19937_64& rng) {
  LesionShape s;
  DemoLesion& l = s.summary;
  l.softTissue = (cls & 4) != 0;
  l.malignant = (cls & 2) != 0;
  l.large = (cls & 1) != 0;
  // Size and density are drawn the same way for both classes: they are not what tells them apart.
  const double r = scale * (l.large ? uniform(rng, 7.5, 11) : uniform(rng, 4, 7.5));
  s.meanRadius = r;
  const double elong = l.malignant ? 0.25 : 0.12;
  l.radii = {r, r * uniform(rng, 1 - elong, 1 + elong), r * uniform(rng, 1 - elong, 1 + elong)};
  l.density = l.softTissue ? 35 + (chance(rng, 0.5) ? -1 : 1) * uniform(rng, 40, 90) : uniform(rng, -20, 80);
  l.marginMm = uniform(rng, 0.4, 0.8);

  bool lobulated = false, spiculated = false, illDefined = false, heterogeneous = false;
  if (l.malignant) {
    // At least two of the five signs, each otherwise with its own frequency.
    while (lobulated + spiculated + illDefined + heterogeneous + l.cavitated < 2) {
      lobulated = lobulated || chance(rng, 0.6);
      spiculated = spiculated || chance(rng, 0.7);
      illDefined = illDefined || chance(rng, 0.5);
      heterogeneous = heterogeneous || chance(rng, 0.6);
      l.cavitated = l.cavitated || chance(rng, 0.4);
    }
  } else {
    lobulated = chance(rng, 0.12);
    l.calcified = chance(rng, 0.3);
  }
  if (lobulated) {
    l.lobulation = uniform(rng, 0.45, 0.7);
    const int n = 3 + static_cast<int>(rng() % 3);
    for (int i = 0; i < n; ++i) s.lobes.push_back(unitVector(rng));
  }
  if (spiculated) {
    const int n = 6 + static_cast<int>(rng() % 7);
    for (int i = 0; i < n; ++i)
      s.spicules.push_back({unitVector(rng), r * uniform(rng, 1.0, 1.8), uniform(rng, 1.6, 2.6)});
    l.spicules = n;
  }
  if (illDefined) l.marginMm = uniform(rng, 2.0, 4.0);
  // Heterogeneous: plane waves of 7–12 mm wavelength, coarser than the pre-training's smoothing
  // augmentation; their mean over four stays within ±texture.
  const double amplitude = heterogeneous ? uniform(rng, 50, 90) : (l.malignant ? 0 : uniform(rng, 0, 6));
  l.texture = amplitude;
  for (size_t k = 0; k < s.waves.size(); ++k) {
    const P3 d = unitVector(rng);
    const double w = 2 * kPi / uniform(rng, 7, 12);
    s.waves[k] = {d[0] * w, d[1] * w, d[2] * w};
    s.phases[k] = uniform(rng, 0, 2 * kPi);
  }
  // Cavity and calcifications stay off the centre (the annotated point never falls in them).
  if (l.cavitated) {
    const P3 d = unitVector(rng);
    const double at = 0.6 * r;
    s.cavity = {{d[0] * at, d[1] * at, d[2] * at}, 0.3 * r};
  }
  if (l.calcified) {
    const int n = 1 + static_cast<int>(rng() % 3);
    for (int i = 0; i < n; ++i) {
      const P3 d = unitVector(rng);
      const double at = uniform(rng, 0.5, 0.65) * r;
      s.calcifications.push_back({{d[0] * at, d[1] * at, d[2] * at}, uniform(rng, 0.12, 0.2) * r});
    }
  }
  return s;
}

void paintLesion(const LesionShape& s, const P3& centre, const GridCoords& grid, std::vector<float>& tissue) {
  const DemoLesion& l = s.summary;
  double reach = s.bodyReach() + 1;
  for (const auto& sp : s.spicules) reach = std::max(reach, s.meanRadius * 1.4 + sp.length + 1);
  int64_t lo[3], hi[3];
  for (int a = 0; a < 3; ++a) {
    const auto& c = grid.coord[a];
    lo[a] = grid.size[a];
    hi[a] = -1;
    for (int64_t i = 0; i < grid.size[a]; ++i)
      if (std::abs(c[static_cast<size_t>(i)] - centre[a]) <= reach) {
        lo[a] = std::min(lo[a], i);
        hi[a] = std::max(hi[a], i);
      }
    if (hi[a] < lo[a]) return;
  }
  const double edge = l.marginMm;
  for (int64_t k = lo[2]; k <= hi[2]; ++k)
    for (int64_t j = lo[1]; j <= hi[1]; ++j)
      for (int64_t i = lo[0]; i <= hi[0]; ++i) {
        const P3 p{grid.coord[0][static_cast<size_t>(i)] - centre[0],
                   grid.coord[1][static_cast<size_t>(j)] - centre[1],
                   grid.coord[2][static_cast<size_t>(k)] - centre[2]};
        const P3 q{p[0] / l.radii[0], p[1] / l.radii[1], p[2] / l.radii[2]};
        const double qn = norm(q), pn = norm(p);
        const P3 u = pn > 1e-9 ? P3{p[0] / pn, p[1] / pn, p[2] / pn} : P3{1, 0, 0};
        const double outline = lobeFactor(s, u);
        // Signed distance to the outline, in mm along the ray (negative inside).
        const double signedMm = (qn / outline - 1) * s.meanRadius * outline;
        double w = ramp(signedMm, edge);
        for (const auto& sp : s.spicules) {
          const double along = dot(p, sp.direction);
          const double root = s.meanRadius * lobeFactor(s, sp.direction);
          if (along < 0.6 * root || along > root + sp.length) continue;
          const P3 off{p[0] - along * sp.direction[0], p[1] - along * sp.direction[1],
                       p[2] - along * sp.direction[2]};
          const double taper = std::clamp(1 - (along - root) / sp.length, 0.0, 1.0);
          w = std::max(w, ramp(norm(off) - sp.thickness * (0.25 + 0.75 * taper), 0.6));
        }
        if (w <= 0) continue;
        double hu = l.density;
        if (l.texture > 0) {
          double t = 0;
          for (size_t n = 0; n < s.waves.size(); ++n) t += std::cos(dot(s.waves[n], p) + s.phases[n]);
          hu += l.texture * t / static_cast<double>(s.waves.size());
        }
        if (s.cavity.radius > 0) {
          const P3 d{p[0] - s.cavity.centre[0], p[1] - s.cavity.centre[1], p[2] - s.cavity.centre[2]};
          const double wc = ramp(norm(d) - s.cavity.radius, 0.8);
          hu = wc * kAir + (1 - wc) * hu;
        }
        for (const auto& c : s.calcifications) {
          const P3 d{p[0] - c.centre[0], p[1] - c.centre[1], p[2] - c.centre[2]};
          const double wc = ramp(norm(d) - c.radius, 0.5);
          hu = wc * kCalcium + (1 - wc) * hu;
        }
        const size_t idx = static_cast<size_t>((k * grid.size[1] + j) * grid.size[0] + i);
        tissue[idx] = static_cast<float>(w * hu + (1 - w) * tissue[idx]);
      }
}

}  // namespace fmcib::data::demo
