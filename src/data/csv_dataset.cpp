#include "fmcib/data/csv_dataset.hpp"

#include <torch/torch.h>

#include <filesystem>

#include "fmcib/data/stage_timer.hpp"

namespace fmcib::data {

CSVDataset::CSVDataset(CSVDatasetOptions options) : options_(std::move(options)) {
  table_ = std::make_shared<const io::CsvTable>(io::CsvTable::read(options_.src));
  const io::CsvTable& t = *table_;
  std::vector<std::string> required = options_.requiredColumns;
  required.insert(required.end(), options_.colNames.begin(), options_.colNames.end());
  t.requireColumns(required);
  if (t.numRows() == 0) throw InputError(t.path() + " has a header but no rows");
  if (options_.rowIndices.empty()) {
    for (size_t r = 0; r < t.numRows(); ++r) rows_.push_back(r);
  } else {
    for (int64_t r : options_.rowIndices) {
      if (r < 0 || static_cast<size_t>(r) >= t.numRows())
        throw InputError(t.path() + ": row_indices: row " + std::to_string(r) + " does not exist (" +
                         std::to_string(t.numRows()) + " rows)");
      rows_.push_back(static_cast<size_t>(r));
    }
  }
  if (options_.colNames.empty()) {
    for (size_t c = 0; c < t.header().size(); ++c) columns_.push_back(c);
  } else {
    for (const auto& name : options_.colNames) columns_.push_back(t.column(name));
  }
  folder_ = std::filesystem::path(t.path()).parent_path().string();
}

size_t CSVDataset::tableRow(int64_t index) const {
  if (index < 0 || index >= size())
    throw RuntimeError("index " + std::to_string(index) + " out of range for " + table_->path() + " with " +
                       std::to_string(size()) + " rows");
  return rows_[static_cast<size_t>(index)];
}

RowRef CSVDataset::row(int64_t index) const {
  return RowRef{static_cast<int64_t>(tableRow(index)), table_};
}

std::string CSVDataset::where(int64_t index) const {
  const size_t r = tableRow(index);
  return table_->path() + " row " + std::to_string(r) + " (line " + std::to_string(table_->lineOf(r)) + ")";
}

transforms::DataDict CSVDataset::transformed(int64_t index, Generator& gen) const {
  const size_t r = tableRow(index);
  transforms::DataDict d;
  d.baseDir = folder_;
  for (size_t c : columns_) d.set(table_->header()[c], table_->cell(r, c));
  if (!options_.transform) return d;
  try {
    ScopedStage timer(Stage::kAugment);
    (*options_.transform)(d, gen);
  } catch (const InputError& e) {
    throw InputError(where(index) + ": " + e.what());
  }
  return d;
}

Item CSVDataset::get(int64_t index, Generator& gen) const {
  transforms::DataDict d = transformed(index, gen);
  const std::vector<std::string> images = d.imageKeys();
  if (images.size() != 1) {
    std::string keys;
    for (const auto& k : d.keys()) keys += (keys.empty() ? "" : ", ") + k;
    throw ConfigError(where(index) + ": the transformed item holds " + std::to_string(images.size()) +
                      " images (keys: " + keys +
                      "); the model takes one (load it with monai.transforms.LoadImaged "
                      "and keep only it with monai.transforms.SelectItemsd)");
  }
  Item item;
  try {
    item.input = Nested(d.image(images.front()).tensor());
  } catch (const InputError& e) {
    throw InputError(where(index) + ": " + e.what());
  }
  item.row = row(index);
  return item;
}

}  // namespace fmcib::data
