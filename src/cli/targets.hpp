#pragma once
// Registers every area's `_target_` names into the global registry (each area owns its list).
namespace fmcib::cli {
void registerAllTargets();
}  // namespace fmcib::cli
