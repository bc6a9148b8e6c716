#include "fmcib/engine/targets.hpp"

#include "fmcib/engine/callbacks.hpp"
#include "fmcib/engine/loggers.hpp"
#include "fmcib/engine/metrics.hpp"
#include "fmcib/engine/tensor_functions.hpp"

namespace fmcib::engine {

void registerTargets(config::Registry& r) {
  registerTensorFunctions(r);
  registerTrainerTargets(r);
  registerCallbackTargets(r);
  registerMetricTargets(r);
  registerLoggerTargets(r);
}

}  // namespace fmcib::engine
