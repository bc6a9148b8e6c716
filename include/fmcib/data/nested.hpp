#pragma once
/// The one nested value items and batches are made of: nothing, a tensor, a list, or a dict with
/// string keys (insertion-ordered, like a Python dict). An SSL item's input is
/// `{"positive": [view, ...], "negative": [view, ...]}`; a fine-tuning item's input is a tensor.
#include <ATen/Tensor.h>

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace fmcib::data {

class Nested {
 public:
  using List = std::vector<Nested>;
  using Dict = std::vector<std::pair<std::string, Nested>>;
  enum class Kind { kNone, kTensor, kList, kDict };

  Nested() = default;
  Nested(at::Tensor tensor);  // NOLINT: implicit on purpose (a tensor is a leaf)
  static Nested list(List items);
  static Nested dict(Dict items);

  Kind kind() const { return static_cast<Kind>(v_.index()); }
  bool isNone() const { return kind() == Kind::kNone; }
  bool isTensor() const { return kind() == Kind::kTensor; }
  bool isList() const { return kind() == Kind::kList; }
  bool isDict() const { return kind() == Kind::kDict; }
  /// "none", "tensor", "list", "dict".
  const char* kindName() const;

  // Accessors throw RuntimeError naming the expected and actual kinds.
  const at::Tensor& tensor() const;
  const List& list() const;
  const Dict& dict() const;
  /// Dict lookup (RuntimeError listing the keys when absent) and list element.
  const Nested& at(const std::string& key) const;
  const Nested& at(size_t index) const;
  const Nested* find(const std::string& key) const;
  /// Number of list elements or dict entries (0 for none, 1 for a tensor).
  size_t size() const;

  /// Every tensor, depth first in order.
  std::vector<at::Tensor> leaves() const;
  /// The same structure with `fn` applied to each tensor (e.g. moving a batch to a device).
  Nested map(const std::function<at::Tensor(const at::Tensor&)>& fn) const;
  /// A dict of lists of tensors (a dict of tensors counts as one view each) as the models' forwardViews
  /// takes it; RuntimeError for any other shape.
  std::map<std::string, std::vector<at::Tensor>> toViews() const;
  /// Shapes, e.g. `{positive: [[1, 50, 50, 50], [1, 50, 50, 50]], negative: [...]}` (for messages).
  std::string describe() const;

 private:
  std::variant<std::monostate, at::Tensor, std::shared_ptr<const List>, std::shared_ptr<const Dict>> v_;
};

}  // namespace fmcib::data
