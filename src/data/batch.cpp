#include "fmcib/data/batch.hpp"

#include <torch/torch.h>

#include "fmcib/config/error.hpp"

namespace fmcib::data {

const std::vector<std::string>& RowRef::header() const {
  if (!table) throw RuntimeError("row " + std::to_string(index) + " has no source table");
  return table->header();
}

const std::vector<std::string>& RowRef::values() const {
  if (!table) throw RuntimeError("row " + std::to_string(index) + " has no source table");
  return table->row(static_cast<size_t>(index));
}

const std::string& RowRef::value(const std::string& column) const {
  header();  // checks the table
  const auto c = table->findColumn(column);
  if (!c) throw RuntimeError("row " + std::to_string(index) + " has no column '" + column + "'");
  return values()[*c];
}

std::vector<int64_t> Batch::indices() const {
  std::vector<int64_t> out;
  for (const auto& r : rows) out.push_back(r.index);
  return out;
}

Nested collateNested(const std::vector<const Nested*>& values, const std::string& what) {
  if (values.empty()) return {};
  const Nested& first = *values.front();
  for (size_t i = 1; i < values.size(); ++i)
    if (values[i]->kind() != first.kind())
      throw RuntimeError("cannot collate " + what + ": item 0 has a " + first.kindName() + ", item " +
                         std::to_string(i) + " a " + values[i]->kindName());
  switch (first.kind()) {
    case Nested::Kind::kNone:
      return {};
    case Nested::Kind::kTensor: {
      std::vector<at::Tensor> tensors;
      for (size_t i = 0; i < values.size(); ++i) {
        const at::Tensor& t = values[i]->tensor();
        if (t.sizes() != first.tensor().sizes())
          throw RuntimeError(
              "cannot collate " + what + ": item 0 has shape " + first.describe() + ", item " +
              std::to_string(i) + " has " + values[i]->describe() +
              " (patches cut at a scan border are smaller; a SpatialPad transform makes them equal)");
        tensors.push_back(t);
      }
      return Nested(torch::stack(tensors));
    }
    case Nested::Kind::kList: {
      Nested::List out;
      for (size_t j = 0; j < first.list().size(); ++j) {
        std::vector<const Nested*> column;
        for (size_t i = 0; i < values.size(); ++i) {
          if (values[i]->list().size() != first.list().size())
            throw RuntimeError("cannot collate " + what + ": item 0 has " +
                               std::to_string(first.list().size()) + " elements, item " + std::to_string(i) +
                               " has " + std::to_string(values[i]->list().size()));
          column.push_back(&values[i]->list()[j]);
        }
        out.push_back(collateNested(column, what + "#" + std::to_string(j)));
      }
      return Nested::list(std::move(out));
    }
    case Nested::Kind::kDict: {
      Nested::Dict out;
      for (const auto& [key, value] : first.dict()) {
        std::vector<const Nested*> column;
        for (size_t i = 0; i < values.size(); ++i) {
          const Nested* v = values[i]->find(key);
          if (!v || values[i]->dict().size() != first.dict().size())
            throw RuntimeError("cannot collate " + what + ": item 0 has keys " + first.describe() +
                               ", item " + std::to_string(i) + " has " + values[i]->describe());
          column.push_back(v);
        }
        out.emplace_back(key, collateNested(column, what + "#" + key));
      }
      return Nested::dict(std::move(out));
    }
  }
  return {};
}

Batch collate(const std::vector<Item>& items) {
  Batch batch;
  std::vector<const Nested*> inputs, targets;
  for (const auto& item : items) {
    inputs.push_back(&item.input);
    targets.push_back(&item.target);
    batch.rows.push_back(item.row);
  }
  auto rowsText = [&] {
    std::string s;
    for (const auto& r : batch.rows) s += (s.empty() ? "" : ", ") + std::to_string(r.index);
    return " (rows " + s + ")";
  };
  try {
    batch.input = collateNested(inputs, "input");
    batch.target = collateNested(targets, "target");
  } catch (const RuntimeError& e) {
    throw RuntimeError(e.what() + rowsText());
  }
  return batch;
}

}  // namespace fmcib::data
