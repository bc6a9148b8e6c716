#pragma once
/// `fmcib.datasets.SSLRadiomicsDataset` (DESIGN §4): patches around annotated seed points.
///
/// CSV: `image_path`, `coordX`, `coordY`, `coordZ` (LPS mm) and, when `label` names one, the label
/// column; every other column is kept raw in each item's RowRef. Coordinates and labels are checked
/// when the dataset is built; images are read per item. A relative `image_path` is taken from the
/// current directory when it exists there (as the Python original does), else from the CSV's folder.
///
/// Item: input = transform views of the positive patch (one view → a tensor, several → a list), or
/// with negatives `{"positive": [views], "negative": [views]}`; target = the label as upstream's
/// `int(row[label])`: int64, truncated toward zero (0.7 → 0, −1.5 → −1; one warning names the
/// first fractional row; BCEWithLogitsLoss converts it to float), else the input when
/// `input_is_target`, else none. Without a transform a view is the float32 [z][y][x] patch itself.
/// Random draws, in order: the positive's transform, the negative's start, the negative's transform.
///
/// Seeds near or past the border (DESIGN §4 step 5, as upstream): the patch is clamped to the scan
/// and the transform's SpatialPad fills it; the first time a row gives such a patch one warning
/// names its CSV row and line. A seed so far outside that the range misses the scan on an axis
/// throws UnusableRowError (the loader reports the row and replaces its item; check-data lists it).
#include <functional>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "fmcib/data/dataset.hpp"
#include "fmcib/data/scan_cache.hpp"
#include "fmcib/transforms/transform.hpp"

namespace fmcib::data {

struct SSLRadiomicsOptions {
  std::string path;
  std::optional<std::string> label;
  int64_t radius = 25;
  bool orient = false;
  std::optional<io::Vec3> resampleSpacing;
  bool enableNegatives = true;
  transforms::TransformPtr transform;
  bool orientPatch = true;
  bool inputIsTarget = false;
  /// kRegion resamples only what a patch needs; kWholeImage is the reference order, step by step.
  CropMode cropMode = CropMode::kRegion;
  /// Scan cache (data/scan_cache.hpp): folder of decoded scans ("" = none) and in-memory LRU budget
  /// in bytes (0 = none). Items are the same with or without.
  std::string cacheDir;
  int64_t cacheBytes = 0;
};

/// An item together with the patches it was made from (for export-patches).
struct DetailedItem {
  Item item;
  Patch positive;
  std::optional<Patch> negative;
  std::vector<at::Tensor> positiveViews, negativeViews;
};

class SSLRadiomicsDataset : public Dataset {
 public:
  /// image_path, coordX, coordY, coordZ.
  static const std::vector<std::string>& requiredColumns();

  /// Reads and checks the CSV (InputError naming file, row, line, column and value).
  explicit SSLRadiomicsDataset(SSLRadiomicsOptions options);

  int64_t size() const override { return static_cast<int64_t>(seeds_.size()); }
  Item get(int64_t index, Generator& gen) const override;
  DetailedItem getDetailed(int64_t index, Generator& gen) const;

  const SSLRadiomicsOptions& options() const { return options_; }
  const io::CsvTablePtr& table() const { return table_; }
  /// The seed of a row (LPS mm) and its image path as resolved for reading.
  const io::Vec3& seed(int64_t index) const { return seeds_.at(static_cast<size_t>(index)); }
  std::string imagePath(int64_t index) const;
  /// The scan cache, or null without cache_dir and cache_bytes.
  const ScanCachePtr& cache() const { return cache_; }

 private:
  void checkIndex(int64_t index) const;
  /// Logs `message()` the first time `row` gives a patch cut at the border.
  void warnClampedOnce(size_t row, const std::function<std::string()>& message) const;
  SSLRadiomicsOptions options_;
  io::CsvTablePtr table_;
  size_t imageColumn_ = 0;
  std::vector<io::Vec3> seeds_;
  std::optional<size_t> labelColumn_;
  std::vector<int64_t> labels_;
  ScanCachePtr cache_;
  mutable std::mutex warnedMutex_;
  mutable std::set<size_t> warnedRows_;
};

}  // namespace fmcib::data
