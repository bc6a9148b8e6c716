#include "fmcib/probe/feature_table.hpp"

#include <torch/torch.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <map>
#include <regex>
#include <set>

#include "fmcib/config/error.hpp"
#include "fmcib/io/csv.hpp"

namespace fmcib::probe {

namespace {

/// Up to `limit` names, quoted, then how many more.
std::string nameList(const std::vector<std::string>& names, size_t limit = 8) {
  std::string s;
  for (size_t i = 0; i < names.size() && i < limit; ++i) s += (i ? ", '" : "'") + names[i] + "'";
  if (names.size() > limit) s += ", ... (" + std::to_string(names.size()) + " in all)";
  return s.empty() ? "none" : s;
}

std::string trimmed(const std::string& s) {
  const size_t b = s.find_first_not_of(" \t");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t") - b + 1);
}

std::string numberName(double v) {
  if (std::floor(v) == v && std::abs(v) < 1e15) return std::to_string(static_cast<long long>(v));
  char buf[64];
  const auto res = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, res.ptr);
}

/// The feature columns of `header` (file positions) in the order the table will hold them.
std::vector<size_t> featureColumns(const std::string& path, const std::vector<std::string>& header,
                                   size_t labelCol, const FeatureTableSpec& spec) {
  std::regex re;
  try {
    re = std::regex(spec.featuresRegex, std::regex::ECMAScript);
  } catch (const std::regex_error& e) {
    throw ConfigError("--features-regex '" + spec.featuresRegex + "' is not a valid regular expression (" +
                      e.what() + ")");
  }
  std::vector<size_t> cols;
  std::map<std::string, size_t> byName;
  for (size_t j = 0; j < header.size(); ++j) {
    if (j == labelCol || !std::regex_search(header[j], re)) continue;
    if (!byName.emplace(header[j], j).second)
      throw InputError(path + ": feature column '" + header[j] + "' appears more than once");
    cols.push_back(j);
  }
  if (cols.empty())
    throw InputError(path + ": no column matches --features-regex '" + spec.featuresRegex +
                     "' (columns: " + nameList(header) + ")");
  if (spec.featureNames.empty()) return cols;
  std::vector<std::string> missing, extra;
  std::vector<size_t> ordered;
  const std::set<std::string> wanted(spec.featureNames.begin(), spec.featureNames.end());
  for (const auto& name : spec.featureNames) {
    auto it = byName.find(name);
    if (it == byName.end())
      missing.push_back(name);
    else
      ordered.push_back(it->second);
  }
  for (size_t j : cols)
    if (!wanted.count(header[j])) extra.push_back(header[j]);
  if (!missing.empty())
    throw InputError(path + " lacks feature column(s) " + nameList(missing) + " that " + spec.featureSource +
                     " has; both files need the same feature columns");
  if (!extra.empty())
    throw InputError(path + " has feature column(s) " + nameList(extra) + " that " + spec.featureSource +
                     " lacks; both files need the same feature columns");
  return ordered;
}

}  // namespace

std::string FeatureTable::where(size_t row) const {
  return path + " row " + std::to_string(row) + " (line " + std::to_string(lines.at(row)) + ")";
}

FeatureTable readFeatureTable(const std::string& path, const FeatureTableSpec& spec) {
  io::CsvRecordReader reader(path);
  const std::vector<std::string>& header = reader.header();
  const auto labelIt = std::find(header.begin(), header.end(), spec.labelColumn);
  if (labelIt == header.end())
    throw InputError(path + " has no label column '" + spec.labelColumn +
                     "' (--label); columns: " + nameList(header));
  const auto labelCol = static_cast<size_t>(labelIt - header.begin());
  const std::vector<size_t> featureCols = featureColumns(path, header, labelCol, spec);
  const std::set<size_t> isFeature(featureCols.begin(), featureCols.end());

  FeatureTable t;
  t.path = path;
  std::vector<size_t> otherCols;
  for (size_t j = 0; j < header.size(); ++j) {
    if (isFeature.count(j)) continue;
    if (j == labelCol) t.labelIndex = otherCols.size();
    otherCols.push_back(j);
    t.otherColumns.push_back(header[j]);
  }
  for (size_t j : featureCols) t.featureNames.push_back(header[j]);

  std::vector<double> values;
  std::vector<std::string> fields;
  while (reader.next(fields)) {
    const size_t row = reader.row();
    for (size_t j : featureCols) {
      const std::optional<double> v = io::parseDecimal(fields[j]);
      if (!v)
        throw InputError(path + " row " + std::to_string(row) + " (line " + std::to_string(reader.line()) +
                         "), column '" + header[j] + "': '" + fields[j] + "' is not a finite number");
      values.push_back(*v);
    }
    if (trimmed(fields[labelCol]).empty())
      throw InputError(path + " row " + std::to_string(row) + " (line " + std::to_string(reader.line()) +
                       "), column '" + spec.labelColumn + "': the label is empty");
    t.labels.push_back(fields[labelCol]);
    std::vector<std::string> other;
    other.reserve(otherCols.size());
    for (size_t j : otherCols) other.push_back(std::move(fields[j]));
    t.otherCells.push_back(std::move(other));
    t.lines.push_back(reader.line());
  }
  if (t.labels.empty()) throw InputError(path + " has a header but no data rows");
  t.features =
      torch::tensor(values, torch::kDouble).reshape({t.rows(), static_cast<int64_t>(featureCols.size())});
  return t;
}

ClassLabels ClassLabels::fromTrainingLabels(const FeatureTable& train) {
  ClassLabels c;
  c.numeric_ = std::all_of(train.labels.begin(), train.labels.end(),
                           [](const std::string& s) { return io::parseDecimal(s).has_value(); });
  if (c.numeric_) {
    std::set<double> values;
    for (const auto& s : train.labels) values.insert(*io::parseDecimal(s));
    c.values_.assign(values.begin(), values.end());
    for (double v : c.values_) c.names_.push_back(numberName(v));
  } else {
    const std::set<std::string> names(train.labels.begin(), train.labels.end());
    c.names_.assign(names.begin(), names.end());
  }
  if (c.names_.size() < 2)
    throw InputError(train.path + ": every row has the label '" + c.names_.front() +
                     "'; a classifier needs at least two classes in the training labels");
  return c;
}

std::optional<int64_t> ClassLabels::find(const std::string& label) const {
  if (numeric_) {
    const std::optional<double> v = io::parseDecimal(label);
    if (!v) return std::nullopt;
    const auto it = std::lower_bound(values_.begin(), values_.end(), *v);
    if (it == values_.end() || *it != *v) return std::nullopt;
    return static_cast<int64_t>(it - values_.begin());
  }
  const auto it = std::lower_bound(names_.begin(), names_.end(), label);
  if (it == names_.end() || *it != label) return std::nullopt;
  return static_cast<int64_t>(it - names_.begin());
}

std::vector<int64_t> ClassLabels::encode(const FeatureTable& table) const {
  std::vector<int64_t> out;
  out.reserve(table.labels.size());
  for (size_t r = 0; r < table.labels.size(); ++r) {
    const std::optional<int64_t> k = find(table.labels[r]);
    if (!k)
      throw InputError(table.where(r) + ", column '" + table.otherColumns[table.labelIndex] + "': class '" +
                       table.labels[r] +
                       "' does not occur in the training labels (classes: " + nameList(names_) + ")");
    out.push_back(*k);
  }
  return out;
}

}  // namespace fmcib::probe
