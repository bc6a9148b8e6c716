// State-dict helpers on top of the torch.save reader and writer.
#include <torch/torch.h>

#include "fmcib/config/error.hpp"
#include "fmcib/io/torch_file.hpp"

namespace fmcib::io {
namespace {

std::string join(const std::string& prefix, const std::string& key) {
  return prefix.empty() ? key : prefix + "." + key;
}

void flattenInto(const c10::IValue& node, const std::string& name, NamedTensors& out) {
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
        throw InputError("state dict '" + name + "' has a key of type " + key.tagKind() +
                         " (only string and int keys name tensors)");
      }
      flattenInto(entry.value(), join(name, k), out);
    }
  } else if (node.isList() || node.isTuple()) {
    const auto elements = node.isList() ? node.toListRef() : node.toTupleRef().elements();
    for (size_t i = 0; i < elements.size(); ++i) flattenInto(elements[i], join(name, std::to_string(i)), out);
  }
  // Any other leaf (epoch, a learning rate, None) is not a tensor and has no place in a state dict.
}

}  // namespace

NamedTensors flattenStateDict(const c10::IValue& tree, const std::string& prefix) {
  NamedTensors out;
  flattenInto(tree, prefix, out);
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
