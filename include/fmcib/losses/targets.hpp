#pragma once
/// `_target_` names of the losses area (stored as `config::Value::object<losses::Criterion>`):
/// fmcib.ssl.losses.{NTXentNegativeMinedLoss, NegativeMiningInfoNCECriterion},
/// torch.nn.{CrossEntropyLoss, BCEWithLogitsLoss}.
#include "fmcib/config/registry.hpp"

namespace fmcib::losses {

/// Idempotent.
void registerTargets(config::Registry& r);

}  // namespace fmcib::losses
