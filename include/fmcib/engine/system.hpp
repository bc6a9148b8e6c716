#pragma once
/// `lighter.LighterSystem` (lighter 0.0.2a19): the model with everything a run needs — criterion,
/// optimizer, scheduler, datasets per stage, metrics per stage and post-processing lambdas.
/// Stored in configs as `config::Value::object<engine::System>`. The trainer runs its steps:
///   forward → criterion post-processing (input, target, pred) → [predict: logging pred, done]
///   → loss (train/val) → metrics post-processing → metrics (train/val/test) → logging post-processing.
/// Like lighter, every part is built when the system is (a config whose `val` dataset is unusable
/// fails before training starts, not after the first epoch).
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "fmcib/config/expression.hpp"
#include "fmcib/data/dataset.hpp"
#include "fmcib/engine/metric.hpp"
#include "fmcib/losses/criterion.hpp"
#include "fmcib/models/network.hpp"
#include "fmcib/optim/optimizer.hpp"
#include "fmcib/optim/scheduler.hpp"

namespace fmcib::engine {

/// Lightning's lr_scheduler config: a bare scheduler is stepped once per epoch.
struct SchedulerConfig {
  optim::SchedulerPtr scheduler;
  enum class Interval { kEpoch, kStep } interval = Interval::kEpoch;
  int64_t frequency = 1;
};

struct NamedMetric {
  std::string name;  ///< logged as `<mode>/metrics/<name>/epoch`
  MetricPtr metric;
};

using LambdaPtr = std::shared_ptr<const config::Lambda>;

/// Lambdas applied, in order, to one of input / target / pred before a stage.
struct StagePostprocessing {
  std::vector<LambdaPtr> input, target, pred;
};

struct Postprocessing {
  StagePostprocessing criterion, metrics, logging;
};

class System {
 public:
  struct Options {
    int64_t batchSize = 1;
    bool dropLastBatch = false;
    int64_t numWorkers = 0;
    bool pinMemory = true;
  };

  Options options;
  std::shared_ptr<models::Network> model;
  losses::CriterionPtr criterion;  ///< may be null (predict)
  optim::OptimizerPtr optimizer;   ///< may be null (validate/test/predict)
  std::optional<SchedulerConfig> scheduler;
  /// "train", "val", "test", "predict" → dataset (null entries mean none).
  std::map<std::string, data::DatasetPtr> datasets;
  /// "train", "val", "test" → metrics (possibly empty).
  std::map<std::string, std::vector<NamedMetric>> metrics;
  Postprocessing postprocessing;

  /// The dataset of a stage, or null.
  data::DatasetPtr dataset(const std::string& mode) const;
  /// The metrics of a stage (empty when none).
  const std::vector<NamedMetric>& stageMetrics(const std::string& mode) const;
};

using SystemPtr = std::shared_ptr<System>;

}  // namespace fmcib::engine
