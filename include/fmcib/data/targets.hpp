#pragma once
/// `_target_` names of the data area: `fmcib.datasets.SSLRadiomicsDataset` (stored as
/// `config::Value::object<data::Dataset>`) and the `__len__` method of every Dataset, so
/// `len(@system#datasets#train)` works in expressions.
#include "fmcib/config/registry.hpp"

namespace fmcib::data {

/// Idempotent: names already in the registry are left alone.
void registerTargets(config::Registry& r);

}  // namespace fmcib::data
