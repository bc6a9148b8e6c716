#pragma once
/// Items (what a dataset returns for one index) and batches (what collate makes of several).
#include <cstdint>
#include <string>
#include <vector>

#include "fmcib/data/nested.hpp"
#include "fmcib/io/csv.hpp"

namespace fmcib::data {

/// The source row of an item: its index in the dataset and the CSV it came from, so every raw
/// column can be passed through to predictions.
struct RowRef {
  int64_t index = -1;
  io::CsvTablePtr table;
  /// The index of the unusable row this item stands in for (DataLoader), or -1. Predictions skip
  /// such stand-ins, so every written row is its own.
  int64_t standsInFor = -1;

  const std::vector<std::string>& header() const;
  /// Raw values, in header order.
  const std::vector<std::string>& values() const;
  /// One raw value; RuntimeError when the column is absent.
  const std::string& value(const std::string& column) const;
};

struct Item {
  Nested input;   ///< tensor, list of views, or {"positive": [...], "negative": [...]}
  Nested target;  ///< none, a scalar tensor (int64 class / float32 value), or the input itself
  RowRef row;
};

struct Batch {
  Nested input;   ///< the items' inputs with every tensor leaf stacked along a new dim 0
  Nested target;  ///< likewise (none when the items have none)
  std::vector<RowRef> rows;

  int64_t size() const { return static_cast<int64_t>(rows.size()); }
  std::vector<int64_t> indices() const;
};

/// Stacks items into a batch: all inputs (and targets) must have the same structure and, leaf by
/// leaf, the same shape; otherwise RuntimeError naming the leaf (e.g. `input#positive#0`), the
/// shapes and the rows — typically patches clamped at a scan border without a SpatialPad.
Batch collate(const std::vector<Item>& items);

/// Stacks nested values (the collate of one field); `what` names it in messages.
Nested collateNested(const std::vector<const Nested*>& values, const std::string& what);

}  // namespace fmcib::data
