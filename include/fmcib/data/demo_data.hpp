#pragma once
/// Synthetic CT data in the fmcib layout (`fmcib make-demo-data`), so every pipeline runs without
/// the study's scans. Each scan is int16 HU: air −1000 outside an elliptic body, soft tissue 0–60
/// with noise, two lungs ~−850, a spine ~700, and spherical/ellipsoidal lesions of varied size and
/// density; CT-like geometry (anisotropic spacing, non-zero origin).
///
/// Scans are split in three groups by storage orientation:
///   - DICOM LPI (direction diag(1, 1, −1), DeepLesion-like) → `pretrain.csv` and `task1_*.csv`
///     (configs use `orient: true`, which keeps these seeds in place);
///   - LPS (identity, LUNA16-like) → `task2_*.csv`; RAS (diag(−1, −1, 1), NIfTI-canonical) →
///     `task3_*.csv` (both used with `orient: false`).
/// Coordinates are the lesions' true physical LPS centres, kept 26 mm from the scan's borders when
/// the scan is large enough (so 50 mm patches are whole). Labels derive from lesion properties:
/// `Coarse_lesion_type` = 2·size class (radius 3–5, 5–8, 8–11, 11–14 mm, scaled down on scans
/// under 90 mm across) + density class (−20..20 HU vs 80..140 HU); `malignancy` = size class ≥ 2
/// (radius ≥ 8 mm); `survival` = low-density lesion.
/// Each task's lesions are split 60/20/20 into train/val/test. image_path values are absolute.
#include <cstdint>
#include <string>
#include <vector>

#include "fmcib/io/volume.hpp"

namespace fmcib::data {

struct DemoDataOptions {
  std::string outDir;
  int64_t scans = 9;
  int64_t lesionsPerScan = 4;
  uint64_t seed = 0;
  io::Index3 size{128, 128, 48};
  io::Vec3 spacing{0.7, 0.7, 2.5};
};

struct DemoLesion {
  io::Vec3 centre;  ///< LPS mm
  io::Vec3 radii;   ///< mm, along x, y, z
  double density = 0;
  int sizeClass = 0, densityClass = 0;
  int coarseType() const { return 2 * sizeClass + densityClass; }
  int malignancy() const { return sizeClass >= 2 ? 1 : 0; }
  int survival() const { return densityClass == 0 ? 1 : 0; }
};

struct DemoScan {
  std::string path;
  std::string orientation;  ///< "LPI", "LPS" or "RAS"
  std::vector<DemoLesion> lesions;
};

struct DemoDataResult {
  std::vector<DemoScan> scans;
  std::vector<std::string> csvFiles;
};

/// Writes the scans and CSVs into options.outDir (created). Deterministic for a seed.
/// Throws ConfigError for unusable options (e.g. fewer than 3 scans).
DemoDataResult makeDemoData(const DemoDataOptions& options);

/// One synthetic scan with its lesions placed (exposed for tests and benchmarks).
/// `orientation` is "LPI", "LPS" or "RAS"; `lesionClasses` fixes each lesion's class (0..7).
io::Volume makeSyntheticCt(const io::Index3& size, const io::Vec3& spacing, const std::string& orientation,
                           const std::vector<int>& lesionClasses, uint64_t seed,
                           std::vector<DemoLesion>& lesions);

}  // namespace fmcib::data
