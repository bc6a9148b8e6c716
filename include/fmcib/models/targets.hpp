#pragma once
/// `_target_` names of the models area: `monai.networks.nets.resnet{10,...,200}` (also under
/// `monai.networks.nets.resnet.`), `monai.networks.nets.ResNet`, `fmcib.ssl.modules.ExNegSimCLR`,
/// `fmcib.models.LoadModel` (load_model.hpp), and the `.parameters()` method of every `models::Network` (→
/// `optim::ParamList`).
#include "fmcib/config/registry.hpp"

namespace fmcib::models {

/// Idempotent: a second call (or a registry that already has the names) does nothing.
void registerTargets(config::Registry& r);

/// The parts (registerTargets calls each; exposed so each part's registration is testable).
void registerResNetTargets(config::Registry& r);
void registerSslTargets(config::Registry& r);

}  // namespace fmcib::models
