#pragma once
/// `_target_` names of the engine area: pytorch_lightning.Trainer (also lightning.pytorch.Trainer),
/// lighter.LighterSystem, the callbacks (callbacks.hpp), torchmetrics (metrics.hpp), the loggers
/// (loggers.hpp), and the tensor functions of post-processing lambdas (tensor_functions.hpp).
#include "fmcib/config/registry.hpp"

namespace fmcib::engine {

/// Everything above. Idempotent.
void registerTargets(config::Registry& r);

/// The parts (registerTargets calls each).
void registerTrainerTargets(config::Registry& r);

}  // namespace fmcib::engine
