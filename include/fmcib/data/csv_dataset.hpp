#pragma once
/// monai.data.CSVDataset: one item per CSV row — a dict of the row's columns (text) — passed
/// through a dictionary transform (transforms/dictionary.hpp), e.g. fmcib's get_features
/// preprocessing (get_features_transforms.hpp). The model input is the one image the transformed
/// item holds (upstream ends its pipeline with SelectItemsd and a Lambda taking that image); the
/// row itself is kept for predictions (every raw column is written back).
///
/// Bad rows — an unreadable scan, a non-numeric coordinate, a seed whose crop is empty — are
/// InputErrors naming the CSV, row (0-based, pandas' index), line and what failed.
#include <optional>
#include <string>
#include <vector>

#include "fmcib/data/dataset.hpp"
#include "fmcib/transforms/dictionary.hpp"

namespace fmcib::data {

struct CSVDatasetOptions {
  std::string src;
  /// Rows to use (0-based), in this order; empty = all.
  std::vector<int64_t> rowIndices;
  /// Columns put in the item dict; empty = all.
  std::vector<std::string> colNames;
  transforms::MapTransformPtr transform;
  /// Columns every row must have (checked when the dataset is built).
  std::vector<std::string> requiredColumns;
};

class CSVDataset : public Dataset {
 public:
  /// Reads the CSV (InputError naming the file for a missing or malformed one, or missing columns).
  explicit CSVDataset(CSVDatasetOptions options);

  int64_t size() const override { return static_cast<int64_t>(rows_.size()); }
  Item get(int64_t index, Generator& gen) const override;
  /// The transformed item dict of `index` (what get() takes its input from).
  transforms::DataDict transformed(int64_t index, Generator& gen) const;
  /// The CSV row behind `index` (for messages and outputs).
  RowRef row(int64_t index) const;
  /// "<file> row R (line L)".
  std::string where(int64_t index) const;
  const io::CsvTablePtr& table() const { return table_; }

 private:
  size_t tableRow(int64_t index) const;
  CSVDatasetOptions options_;
  io::CsvTablePtr table_;
  std::vector<size_t> rows_;
  std::vector<size_t> columns_;
  std::string folder_;
};

}  // namespace fmcib::data
