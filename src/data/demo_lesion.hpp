#pragma once
// The lesions of the synthetic demo scans (demo_data.cpp): what a radiologist reads off a nodule
// (size, shape, margin, internal texture, density) drawn per class, and painted into a scan's
// tissue buffer in true HU before the scan's calibration and noise are applied.
#include <array>
#include <cstdint>
#include <random>
#include <vector>

#include "fmcib/data/demo_data.hpp"

namespace fmcib::data::demo {

/// A point or direction in mm, relative to the lesion's centre unless said otherwise.
using P3 = std::array<double, 3>;

struct Spicule {
  P3 direction;                      ///< unit
  double length = 0, thickness = 0;  ///< mm beyond the surface; radius at the root
};

struct Spot {
  P3 centre;  ///< offset from the lesion centre
  double radius = 0;
};

/// The full drawing of one lesion; DemoLesion is its summary.
struct LesionShape {
  DemoLesion summary;  ///< centre/seed filled in by the caller; density/texture in true HU
  double meanRadius = 0;
  std::vector<P3> lobes;  ///< unit directions of the bumps of a lobulated outline
  std::vector<Spicule> spicules;
  std::array<P3, 4> waves{};  ///< wave vectors (rad/mm) of the heterogeneous texture
  std::array<double, 4> phases{};
  Spot cavity;  ///< radius 0: none
  std::vector<Spot> calcifications;

  /// The farthest the solid body reaches from the centre (mm), spicules excluded.
  double bodyReach() const;
};

/// Draws a lesion of class `cls` (0..7: bit 2 soft tissue, bit 1 malignant, bit 0 large) with
/// radii scaled by `scale` (small scans get small lesions).
LesionShape drawLesion(int cls, double scale, std::mt19937_64& rng);

/// The voxel grid of a scan: per-axis physical coordinates relative to a reference point (mm).
struct GridCoords {
  io::Index3 size{};
  std::array<std::vector<double>, 3> coord;
};

/// Paints the lesion, centred at `centre` (in the grid's coordinates), into `tissue` (HU per
/// voxel, x fastest): the body with its margin, spicules, texture, cavity and calcifications,
/// blended with what is already there.
void paintLesion(const LesionShape& shape, const P3& centre, const GridCoords& grid,
                 std::vector<float>& tissue);

}  // namespace fmcib::data::demo
