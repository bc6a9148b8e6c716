// State-dict helpers on top of the torch.save reader and writer.
#include <torch/torch.h>

#include "fmcib/config/error.hpp"
#include "fmcib/io/torch_file.hpp"
#include "torch_file_unpickler.hpp"

namespace fmcib::io {
namespace {

/// Bounds on the names a tree flattens to: readTorchFile caps nesting at 1000 levels and the values
/// at 4M, so only long keys repeated on many paths could still blow up.
constexpr size_t kMaxNameBytes = size_t{256} << 20;
constexpr size_t kMaxDepth = 1000;

struct Flattener {
  NamedTensors& out;
  size_t nameBytes = 0;

  std::string join(const std::string& prefix, const std::string& key) {
    std::string name = prefix.empty() ? key : prefix + "." + key;
    nameBytes += name.size();
    if (nameBytes > kMaxNameBytes)
      throw InputError("state dict names take more than " + std::to_string(kMaxNameBytes >> 20) +
                       " MiB (keys too long or repeated)");
    return name;
  }

  void visit(const c10::IValue& node, const std::string& name, size_t depth) {
    if (depth > kMaxDepth)
      throw InputError("state dict '" + detail::printable(name) + "' nests deeper than " +
                       std::to_string(kMaxDepth) + " levels");
    if (node.isTensor()) {
      out.emplace_back(name, node.toTensor());
    } else if (node.isGenericDict()) {
      for (const auto& entry : node.toGenericDict()) {
        const c10::IValue& key = entry.key();
        std::string k;
        if (key.isString()) {
          k = key.toStringRef();
        } else if (key.isInt()) {
          k = std::to_string(key.toInt());
        } else {
          throw InputError("state dict '" + detail::printable(name) + "' has a key of type " + key.tagKind() +
                           " (only string and int keys name tensors)");
        }
        visit(entry.value(), join(name, k), depth + 1);
      }
    } else if (node.isList() || node.isTuple()) {
      const auto elements = node.isList() ? node.toListRef() : node.toTupleRef().elements();
      for (size_t i = 0; i < elements.size(); ++i)
        visit(elements[i], join(name, std::to_string(i)), depth + 1);
    }
    // Any other leaf (epoch, a learning rate, None) is not a tensor and has no place in a state dict.
  }
};

}  // namespace

NamedTensors flattenStateDict(const c10::IValue& tree, const std::string& prefix) {
  NamedTensors out;
  Flattener{out}.visit(tree, prefix, 0);
  return out;
}

c10::impl::GenericDict makeStringDict() {
  return c10::impl::GenericDict(c10::StringType::get(), c10::AnyType::get());
}

c10::IValue toStateDict(const NamedTensors& tensors) {
  c10::impl::GenericDict dict(c10::StringType::get(), c10::TensorType::get());
  for (const auto& [name, tensor] : tensors) dict.insert_or_assign(name, tensor);
  return dict;
}

}  // namespace fmcib::io
