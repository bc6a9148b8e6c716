#pragma once
/// PyTorch's `state_dict()` / `load_state_dict(strict=False)` for LibTorch modules, with the same
/// key names and order, so weights move between fmcib and Python unchanged.
#include <torch/nn/module.h>

#include <string>
#include <vector>

#include "fmcib/io/torch_file.hpp"

namespace fmcib::models {

/// Parameters and buffers under their dotted names, in PyTorch's order (per module: its own
/// parameters, its own buffers, then each child's in registration order). The tensors alias the
/// module's (no copy).
io::NamedTensors stateDict(const torch::nn::Module& module);

struct LoadReport {
  std::vector<std::string> loaded;      ///< keys copied into the module
  std::vector<std::string> missing;     ///< module keys the source did not have
  std::vector<std::string> unexpected;  ///< source keys the module does not have
};

/// Copies the tensors whose names match into `module` (no grad; dtype converted as copy_ does),
/// like `load_state_dict(strict=False)`. A shape mismatch throws InputError before anything is
/// copied, listing every mismatched key with both shapes; `source` (file, part) starts the message.
LoadReport loadStateDict(torch::nn::Module& module, const io::NamedTensors& tensors,
                         const std::string& source);

/// "a, b, c … (N more)" for log messages: at most `limit` names.
std::string joinKeys(const std::vector<std::string>& keys, size_t limit = 12);

}  // namespace fmcib::models
