#pragma once
/// What `$@system#model.parameters()` evaluates to in a config: the model's parameters, in
/// `named_parameters()` order, stored as `config::Value::object<optim::ParamList>`. Optimizers take
/// it as `params` (alone, or inside a param-group map `{params: ..., weight_decay: 0, ...}`).
/// The tensors are the model's own parameter tensors (shared storage), so moving the model with
/// `to(device)` keeps them valid, as in PyTorch.
#include <ATen/Tensor.h>

#include <string>
#include <vector>

namespace fmcib::optim {

struct ParamList {
  std::vector<at::Tensor> tensors;
  /// Parallel to `tensors` ("layer1.0.conv1.weight"); may be empty when names are unknown.
  std::vector<std::string> names;
};

}  // namespace fmcib::optim
