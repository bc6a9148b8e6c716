#pragma once
/// Synthetic CT data in the fmcib layout (`fmcib make-demo-data`), so every pipeline runs without
/// the study's scans, with lesions whose classes differ the way a radiologist describes them.
///
/// Each scan is int16 HU: air outside an elliptic body with a subcutaneous fat layer, soft tissue,
/// two lungs (~−850) crossed by vessels, a spine (~750), and the lesions. Per scan, nuisances that
/// say nothing about the lesions: a calibration (soft-tissue HU shifted by up to ±60, as different
/// kernels and scanners do), a noise level (σ 6–25 HU), and CT-like geometry (anisotropic spacing,
/// non-zero origin).
///
/// Lesions: half sit in a lung, half in soft tissue (darker or brighter than it); half are benign,
/// half malignant, independently of their size (radius 4–7.5 or 7.5–11 mm) and density:
///   - benign: round, smooth sharp margin, homogeneous, sometimes calcified; rarely lobulated;
///   - malignant: at least two of lobulated outline, spiculated margin, ill-defined (blurred)
///     margin, heterogeneous texture, eccentric cavity.
/// The annotated point (the CSV's coordinates) is the centre with a click jitter of up to a
/// quarter of the radius.
///
/// Scans are split in three groups by storage orientation:
///   - DICOM LPI (direction diag(1, 1, −1), DeepLesion-like) → `pretrain.csv` and `task1_*.csv`
///     (configs use `orient: true`, which keeps these seeds in place);
///   - LPS (identity, LUNA16-like) → `task2_*.csv`; RAS (diag(−1, −1, 1), NIfTI-canonical) →
///     `task3_*.csv` (both used with `orient: false`).
/// Coordinates are kept 26 mm from the scan's borders when the scan is large enough (so 50 mm
/// patches are whole). Labels: `Coarse_lesion_type` = 4·soft tissue + 2·malignant + large (0..7);
/// `malignancy` = malignant; `survival` = benign or small.
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
  io::Vec3 centre;     ///< LPS mm
  io::Vec3 seed;       ///< the annotated point (LPS mm): the CSV's coordinates
  io::Vec3 radii;      ///< mm, along x, y, z (before lobulation)
  double density = 0;  ///< HU of the solid part as written (after the scan's calibration)
  double texture = 0;  ///< bound on the heterogeneous texture's deviation from it (HU; 0: homogeneous)
  bool softTissue = false, malignant = false, large = false;
  double lobulation = 0;  ///< relative height of the lobes (0: round)
  int spicules = 0;
  double marginMm = 0;  ///< width of the margin's transition (sharp ~0.5, ill-defined 2–4)
  bool cavitated = false, calcified = false;
  int coarseType() const { return 4 * softTissue + 2 * malignant + large; }
  int malignancy() const { return malignant ? 1 : 0; }
  int survival() const { return !malignant || !large ? 1 : 0; }
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
/// `orientation` is "LPI", "LPS" or "RAS"; `lesionClasses` fixes each lesion's class (0..7, its
/// coarseType()).
io::Volume makeSyntheticCt(const io::Index3& size, const io::Vec3& spacing, const std::string& orientation,
                           const std::vector<int>& lesionClasses, uint64_t seed,
                           std::vector<DemoLesion>& lesions);

}  // namespace fmcib::data
