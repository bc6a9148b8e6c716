#pragma once
/// Tensor functions and methods for config expressions, so lighter's post-processing lambdas run in
/// C++: `$lambda x: torch.softmax(x, 1)`, `torch.sigmoid(x)`, `x.squeeze(1)`, `x.long()`, ...
/// A tensor inside an expression is `config::Value::object<at::Tensor>`.
///
/// Functions: torch.softmax(x, dim), torch.log_softmax(x, dim), torch.sigmoid(x),
/// torch.argmax(x, dim=None, keepdim=False), torch.squeeze(x, dim?), torch.unsqueeze(x, dim),
/// torch.flatten(x, start_dim=0, end_dim=-1) (also under torch.nn.functional. for softmax/sigmoid).
/// Methods: .squeeze(dim?), .unsqueeze(dim), .flatten(start_dim=0, end_dim=-1), .view(*shape),
/// .reshape(*shape), .long(), .float(), .int(), .double(), .bool(), .sigmoid(), .softmax(dim),
/// .argmax(dim=None, keepdim=False), .detach(), .cpu().
#include <ATen/Tensor.h>

#include <memory>

#include "fmcib/config/expression.hpp"
#include "fmcib/config/registry.hpp"

namespace fmcib::engine {

/// Adds the functions and methods above (idempotent).
void registerTensorFunctions(config::Registry& r);

/// A tensor as an expression value, and back (RuntimeError naming `what` when it is not a tensor).
config::Value tensorValue(const at::Tensor& t);
at::Tensor valueTensor(const config::Value& v, const std::string& what);

/// Calls a post-processing lambda on a tensor.
at::Tensor applyLambda(const config::Lambda& fn, const at::Tensor& x);

}  // namespace fmcib::engine
