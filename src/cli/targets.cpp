#include "targets.hpp"

#include "fmcib/config/registry.hpp"
#include "fmcib/data/targets.hpp"
#include "fmcib/engine/targets.hpp"
#include "fmcib/losses/targets.hpp"
#include "fmcib/models/load_model.hpp"
#include "fmcib/models/targets.hpp"
#include "fmcib/optim/targets.hpp"
#include "fmcib/transforms/targets.hpp"

namespace fmcib::cli {

// Each area owns its names; this is only the list of areas.
void registerAllTargets() {
  static const bool done = [] {
    auto& r = config::Registry::global();
    transforms::registerTargets(r);
    data::registerTargets(r);
    models::registerTargets(r);
    models::registerLoadModelTarget(r);
    losses::registerTargets(r);
    optim::registerTargets(r);
    engine::registerTargets(r);
    return true;
  }();
  (void)done;
}

}  // namespace fmcib::cli
