#pragma once
/// `_target_` names of the optim area: fmcib.optimizers.LARS (also fmcib.ssl.optimizers.LARS),
/// torch.optim.{SGD, Adam, AdamW} (stored as `config::Value::object<optim::Optimizer>`), and
/// torch.optim.lr_scheduler.{CosineAnnealingLR, StepLR, MultiStepLR, LinearLR, SequentialLR}
/// (stored as `config::Value::object<optim::Scheduler>`).
///
/// `params` accepts what `$@system#model.parameters()` returns (an optim::ParamList), or a list of
/// param-group maps `[{params: <ParamList>, weight_decay: 0, lr: ...}, ...]` like PyTorch's.
#include "fmcib/config/registry.hpp"

namespace fmcib::optim {

/// Idempotent.
void registerTargets(config::Registry& r);

}  // namespace fmcib::optim
