#pragma once
/// The dataset interface the loader and the trainer use. Configs store every dataset as
/// `config::Value::object<data::Dataset>`; `len(@system#datasets#train)` calls its size().
#include <cstdint>
#include <memory>

#include "fmcib/data/batch.hpp"
#include "fmcib/data/seed_crop.hpp"

namespace fmcib::data {

/// A row that cannot give an item (a seed too far outside its scan for any patch). The message
/// names the file, row and line. DataLoader reports such a row once and replaces its item by
/// another row (lighter's collate_replace_corrupted), so one bad row does not end a run.
class UnusableRowError : public InputError {
 public:
  using InputError::InputError;
};

class Dataset {
 public:
  virtual ~Dataset() = default;
  virtual int64_t size() const = 0;
  /// The item at `index` (0 ≤ index < size()); random choices draw only from `gen`.
  /// Must be safe to call from several threads at once.
  virtual Item get(int64_t index, Generator& gen) const = 0;
};

using DatasetPtr = std::shared_ptr<const Dataset>;

}  // namespace fmcib::data
