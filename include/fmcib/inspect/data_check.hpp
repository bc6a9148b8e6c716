#pragma once
/// `fmcib check-data`: opens every row of a dataset CSV the way SSLRadiomicsDataset would (DESIGN §4)
/// and reports, without training, what would break or silently spoil a run:
///   errors   — missing or unreadable scans, non-numeric coordinates, seeds outside the scan too far
///              for any patch (training replaces such a row, predict skips it), seeds
///              in air (positive patch mean below −900 HU: the classic sign of RAS-vs-LPS or
///              voxel-vs-mm coordinates; a hint says which reinterpretation lands in tissue), label
///              values missing, non-numeric, fractional (int() truncates them) or out of range, duplicate
///              rows (same image and seed);
///   warnings — patches clamped at the scan border (by how many voxels per axis), seeds just
///              outside the scan included (upstream's int() and clamp); training pads them, so they
///              do not fail the check; scans whose header (NRRD `data file:`, MetaImage
///              `ElementDataFile`) reads its voxels from a file outside the scan's folder.
/// Nothing about one row or one scan stops the check (an unusable path, a library error): it is
/// reported as that row's problem.
/// Rows are grouped by scan so each scan is read once; groups are spread over worker threads.
#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include "fmcib/data/seed_crop.hpp"

namespace fmcib::config {
class Config;
}

namespace fmcib::inspect {

/// What label values are valid.
struct LabelRule {
  enum class Kind {
    kAnyNumber,  ///< only missing, non-numeric and fractional (int()-truncated) values are reported
    kClasses,    ///< integers in [0, numClasses) (CrossEntropyLoss with an N-wide last head)
    kBinary,     ///< integers in [0, 1] (BCEWithLogitsLoss; labels are int()-truncated)
  };
  Kind kind = Kind::kAnyNumber;
  int64_t numClasses = 0;
  /// Where the rule comes from, for messages ("torch.nn.CrossEntropyLoss, heads[-1] = 8").
  std::string source;
};

struct DataCheckOptions {
  std::string name;  ///< dataset name for the report ("train")
  std::string csvPath;
  std::optional<std::string> label;
  LabelRule labelRule;
  data::CropOptions crop;
  int workers = 2;
  /// Positive patches whose mean is below this (HU) are reported as seeds in air.
  double airThresholdHu = -900.0;
};

enum class ProblemKind {
  kMissingScan,
  kUnreadableScan,
  kBadCoordinate,
  kSeedOutside,
  kSeedInAir,
  kMissingLabel,
  kBadLabel,
  kDuplicateRow,
  kBorderClamp,   ///< a warning
  kExternalData,  ///< a warning: the scan's voxels come from a file outside its folder
};
constexpr int kNumProblemKinds = 10;
/// Short name for tables: "missing scan", "seed in air", ...
const char* problemKindName(ProblemKind kind);
bool isWarning(ProblemKind kind);

struct Problem {
  int64_t row = 0;  ///< 0-based data row (as export-patches and the dataset count)
  size_t line = 0;  ///< 1-based line of the CSV file
  ProblemKind kind = ProblemKind::kMissingScan;
  std::string message;
  std::string hint;  ///< empty when there is nothing to add
};

struct DatasetReport {
  std::string name, csvPath;
  int64_t rows = 0;
  int64_t scans = 0;              ///< distinct image paths
  int64_t scansRead = 0;          ///< of those, read successfully
  std::vector<Problem> problems;  ///< sorted by row, then kind

  int64_t count(ProblemKind kind) const;
  /// Rows with at least one error (warnings not counted).
  int64_t rowsWithErrors() const;
  bool hasErrors() const { return rowsWithErrors() > 0; }
};

/// Checks one dataset. Throws InputError when the CSV cannot be read or lacks a required column;
/// everything about single rows and scans is reported, never thrown.
DatasetReport checkDataset(const DataCheckOptions& options);

/// The options of `system#datasets#<name>` (an fmcib.datasets.SSLRadiomicsDataset; ConfigError
/// otherwise), read through the target's declared arguments without building the dataset (building
/// it would stop at the first bad row). The label rule comes from the system's criterion and heads.
DataCheckOptions dataCheckOptionsFromConfig(const config::Config& cfg, const std::string& datasetName);
/// The dataset names under system#datasets, in config order.
std::vector<std::string> configuredDatasets(const config::Config& cfg);

/// Summary table (one line per dataset and problem kind) and the list of problem rows.
void printReport(std::ostream& out, const std::vector<DatasetReport>& reports, size_t maxListed = 200);

}  // namespace fmcib::inspect
