#pragma once
/// A CSV of per-row features and a label, as `fmcib features` (and Python's get_features) writes it:
/// the feature columns are those whose name matches a regular expression anywhere in it (Python's
/// re.search, as pandas' DataFrame.filter(regex=...); std::regex ECMAScript here), the label is one
/// named column, every other column is carried along for the output. Rows stream in one at a time,
/// so only the numbers are kept in memory.
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace fmcib::probe {

struct FeatureTableSpec {
  FeatureTableSpec(std::string label, std::string regex = "pred|feature", std::vector<std::string> names = {},
                   std::string source = "")
      : labelColumn(std::move(label)),
        featuresRegex(std::move(regex)),
        featureNames(std::move(names)),
        featureSource(std::move(source)) {}

  std::string labelColumn;
  std::string featuresRegex;
  /// Feature columns another table defined (train's): this file must have exactly these (in any
  /// order; they are reordered to match). Empty: take the matching columns in file order.
  std::vector<std::string> featureNames;
  /// The file featureNames came from, for messages.
  std::string featureSource;
};

struct FeatureTable {
  std::string path;
  std::vector<std::string> featureNames;
  at::Tensor features;                               ///< [rows, features] double
  std::vector<std::string> labels;                   ///< the label cell of each row, as written
  std::vector<std::string> otherColumns;             ///< non-feature columns, file order (label included)
  std::vector<std::vector<std::string>> otherCells;  ///< their cells, per row
  std::vector<size_t> lines;                         ///< file line of each row
  size_t labelIndex = 0;                             ///< the label's position in otherColumns

  int64_t rows() const { return static_cast<int64_t>(labels.size()); }
  /// "<path> row R (line L)" for messages.
  std::string where(size_t row) const;
};

/// Reads the table. InputError naming the file (and row, line, column, value) for: a missing or
/// empty file, no rows, a missing label column, no column matching the regex, duplicate feature
/// names, feature columns that differ from spec.featureNames, a feature cell that is not a finite
/// number, an empty label. ConfigError for an invalid regex.
FeatureTable readFeatureTable(const std::string& path, const FeatureTableSpec& spec);

/// The classes of a label column, ordered as numpy.unique orders the column pandas reads: by value
/// when every training label is a number (pandas then reads numbers), else as strings (code point
/// order). Names: integers without a decimal point ("1.0" names class "1"), other numbers in the
/// shortest form that reads back, strings as written.
class ClassLabels {
 public:
  /// From the training labels; InputError when there are fewer than two classes.
  static ClassLabels fromTrainingLabels(const FeatureTable& train);

  const std::vector<std::string>& names() const { return names_; }
  int64_t size() const { return static_cast<int64_t>(names_.size()); }
  /// The class index of a label cell (numbers compare by value), or nullopt for a class training never saw.
  std::optional<int64_t> find(const std::string& label) const;
  /// Every row's class; InputError naming the row and value for a class training never saw.
  std::vector<int64_t> encode(const FeatureTable& table) const;

 private:
  bool numeric_ = false;
  std::vector<std::string> names_;
  std::vector<double> values_;
};

}  // namespace fmcib::probe
