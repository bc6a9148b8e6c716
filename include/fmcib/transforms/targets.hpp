#pragma once
/// Registers the transform `_target_` names fmcib configs use (DESIGN §5): every
/// `monai.transforms.X` of §5, `torchvision.transforms.Compose`, `fmcib.transforms.Duplicate` and
/// `fmcib.transforms.RandomResizedCrop3D`, with MONAI 1.2's argument names and defaults. Built
/// objects are stored as `config::Value::object<transforms::Transform>`. Idempotent.
///
/// Accepted but without effect here (they concern MONAI's metadata, devices or lazy resampling):
/// `lazy`, `track_meta`, `wrap_sequence`, `device`, `cache_grid`, Compose's `map_items`,
/// `unpack_items`, `log_stats`, `overrides`.
#include "fmcib/config/registry.hpp"

namespace fmcib::transforms {

void registerTargets(config::Registry& r);

}  // namespace fmcib::transforms
