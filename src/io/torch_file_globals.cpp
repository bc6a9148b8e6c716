// The globals the unpickler accepts and what calling them builds: OrderedDict, tensors from
// storages (`_rebuild_tensor_v2`, `_rebuild_parameter`), storage classes, torch.device. Anything
// else is refused by name; no Python callable is ever resolved or run.
#include <torch/torch.h>

#include "torch_file_types.hpp"
#include "torch_file_unpickler.hpp"

namespace fmcib::io::detail {

using c10::IValue;

Item Unpickler::global(const std::string& module, const std::string& name) {
  Item g;
  g.kind = Item::Kind::Callable;
  const std::string full = module + "." + name;
  if (full == "collections.OrderedDict") {
    g.callable = Callable::OrderedDict;
  } else if (full == "torch._utils._rebuild_tensor_v2") {
    g.callable = Callable::RebuildTensorV2;
  } else if (full == "torch._utils._rebuild_parameter") {
    g.callable = Callable::RebuildParameter;
  } else if (full == "torch._utils._rebuild_parameter_with_state") {
    g.callable = Callable::RebuildParameterWithState;
  } else if (full == "torch.device") {
    g.callable = Callable::Device;
  } else if (auto dtype = module == "torch" ? storageDtype(name) : std::nullopt) {
    g.callable = Callable::StorageType;
    g.dtype = *dtype;
  } else {
    fail("disallowed global '" + printable(full) +
         "' (only state dicts, tensors and plain Python values are read; nothing is executed)");
  }
  return g;
}

IValue Unpickler::rebuildTensor(const Items& a) {
  if (a.size() != 6 && a.size() != 7) fail("_rebuild_tensor_v2 expects 6 or 7 arguments");
  if (a[0].kind != Item::Kind::Storage) fail("_rebuild_tensor_v2 expects a storage");
  if (++tensors_ > kMaxPickleTensors)
    fail("the pickle builds more than " + std::to_string(kMaxPickleTensors) + " tensors");
  const int64_t offset = intArg(a[1], "storage offset");
  const auto sizes = intTuple(a[2], "tensor size");
  const auto strides = intTuple(a[3], "tensor stride");
  if (sizes.size() != strides.size()) fail("tensor size and stride differ in length");
  const auto elem = static_cast<int64_t>(c10::elementSize(a[0].dtype));
  const auto available = static_cast<int64_t>(a[0].storage.nbytes()) / elem;
  int64_t last = offset;  // index of the last element the view touches
  bool empty = false;
  for (size_t d = 0; d < sizes.size(); ++d) {
    if (sizes[d] < 0 || strides[d] < 0) fail("negative tensor size or stride");
    if (sizes[d] == 0) empty = true;
    int64_t span = 0;
    if (sizes[d] > 0 && (__builtin_mul_overflow(sizes[d] - 1, strides[d], &span) ||
                         __builtin_add_overflow(last, span, &last)))
      fail("tensor extent overflows");
  }
  if (offset < 0 || (!empty && last >= available))
    fail("tensor of size " + c10::str(c10::IntArrayRef(sizes)) + " stride " +
         c10::str(c10::IntArrayRef(strides)) + " offset " + std::to_string(offset) +
         " exceeds its storage of " + std::to_string(available) + " elements");
  at::Tensor t = at::empty({0}, at::TensorOptions().dtype(a[0].dtype));
  t.set_(a[0].storage, offset, sizes, strides);
  return t;
}

void Unpickler::reduce() {
  Item argsItem = pop();
  Item fn = pop();
  if (fn.kind != Item::Kind::Callable) fail("REDUCE on something that is not an allowed global");
  const Items args = tupleItems(argsItem, "REDUCE");
  switch (fn.callable) {
    case Callable::OrderedDict:
      if (!args.empty()) fail("OrderedDict(...) with arguments is not supported");
      return pushValue(container(c10::impl::GenericDict(c10::StringType::get(), c10::AnyType::get())));
    case Callable::RebuildTensorV2:
      return pushValue(rebuildTensor(args));
    case Callable::RebuildParameter:
    case Callable::RebuildParameterWithState: {
      const size_t n = fn.callable == Callable::RebuildParameter ? 3 : 4;
      if (args.size() != n || !value(args[0], "parameter data").isTensor())
        fail("_rebuild_parameter expects (tensor, requires_grad, hooks[, state])");
      return push(args[0]);
    }
    case Callable::Device: {
      if (args.empty() || args.size() > 2 || !value(args[0], "device").isString())
        fail("torch.device expects (type[, index])");
      std::string spec = args[0].value.toStringRef();
      if (args.size() == 2) spec += ":" + std::to_string(intArg(args[1], "device index"));
      return pushValue(c10::Device(spec));
    }
    case Callable::StorageType:
      fail("constructing a storage directly (legacy format) is not supported");
  }
}

void Unpickler::persistentId() {
  const Items pid = tupleItems(pop(), "BINPERSID");
  if (pid.size() != 5 || !value(pid[0], "persistent id").isString() ||
      pid[0].value.toStringRef() != "storage" || pid[1].kind != Item::Kind::Callable ||
      pid[1].callable != Callable::StorageType || !value(pid[2], "storage key").isString())
    fail("persistent id is not ('storage', torch.<T>Storage, key, location, numel)");
  const int64_t numel = intArg(pid[4], "storage size");
  if (numel < 0) fail("negative storage size");
  Item s;
  s.kind = Item::Kind::Storage;
  s.dtype = pid[1].dtype;
  s.storage = loader_(pid[2].value.toStringRef(), s.dtype, numel);
  push(std::move(s));
}

}  // namespace fmcib::io::detail
