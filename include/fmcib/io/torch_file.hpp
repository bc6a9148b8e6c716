#pragma once
/// `torch.save` zip archives in and out, without Python.
///
/// The reader interprets the pickle program of `data.pkl` itself (LibTorch 1.13's pickle_load turns
/// `collections.OrderedDict` into None) and builds only what a state dict or checkpoint needs; it
/// never calls anything: globals outside a fixed allow-list are an InputError. The writer emits
/// protocol-2 pickles that plain `torch.load(path)` (also `weights_only=True` for files without
/// floats) reads in Python 1.13.
#include <ATen/Tensor.h>
#include <ATen/core/ivalue.h>

#include <string>
#include <utility>
#include <vector>

namespace fmcib::io {

/// Reads a `torch.save` zip archive (PyTorch ≥ 1.6 format) into an IValue tree:
/// - dicts and `collections.OrderedDict` → GenericDict in insertion order (the key type is the
///   keys' common type: StringType for state dicts; the OrderedDict `_metadata` attribute is dropped);
/// - lists → GenericList (element type refined when all elements share one), tuples → Tuple;
/// - int, float, str (also Python-2 byte strings), bool, None → the matching IValue;
/// - tensors (`_rebuild_tensor_v2`, `_rebuild_parameter`) on the CPU with their dtype, sizes,
///   strides and storage offset; tensors that shared a storage in Python share one here;
/// - `torch.device(...)` → an IValue Device.
/// requires_grad and backward hooks are not restored (the result is data).
/// Allowed globals: collections.OrderedDict, torch._utils._rebuild_tensor_v2,
/// torch._utils._rebuild_parameter(_with_state), torch.device and torch.<Float|Double|Half|BFloat16|
/// Long|Int|Short|Char|Byte|Bool|ComplexFloat|ComplexDouble>Storage.
/// Throws InputError naming `path` for a missing, non-zip (incl. the legacy pre-1.6 format),
/// truncated or corrupted file, an unsupported opcode, and any other global.
c10::IValue readTorchFile(const std::string& path);

/// The archive bytes `writeTorchFile` would write (for tests and in-memory use).
std::string torchFileBytes(const c10::IValue& value);

/// Writes `value` so that Python's plain `torch.load(path)` reads it back. Supported: None, bool,
/// int, double, string, Device, tensors (any strides/offset; shared storages stay shared; non-CPU
/// tensors are copied to the CPU), lists, tuples and dicts (keys string/int/bool/double) of these.
/// Dicts are written as plain dicts in their iteration order; tensors with requires_grad=False.
/// Atomic: written to a temp file in the same folder, fsynced, then renamed over `path`, so a
/// failed write leaves an existing file untouched. Throws RuntimeError (I/O failure, unsupported
/// value or dtype), naming `path`.
void writeTorchFile(const std::string& path, const c10::IValue& value);

/// Ordered (name, tensor) pairs: the C++ form of a state dict.
using NamedTensors = std::vector<std::pair<std::string, at::Tensor>>;

/// Flattens nested dicts (and lists/tuples, by index) into "a.b.c" names in order, keeping the
/// tensor leaves and skipping every other leaf (e.g. `epoch`). `prefix` is prepended ("" = none).
/// Dict keys must be strings or ints (ints print in decimal); others are an InputError.
NamedTensors flattenStateDict(const c10::IValue& tree, const std::string& prefix = "");

/// A GenericDict(str → Tensor) holding `tensors` in order (the inverse for one level).
c10::IValue toStateDict(const NamedTensors& tensors);

/// A GenericDict(str → Any), for building nested files: `{"trunk_state_dict": ..., "epoch": 3}`.
c10::impl::GenericDict makeStringDict();

}  // namespace fmcib::io
