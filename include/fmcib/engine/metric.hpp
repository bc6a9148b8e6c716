#pragma once
/// Metrics with torchmetrics' definitions (AUROC, AveragePrecision, Accuracy), accumulated over an
/// epoch. Stored in configs as `config::Value::object<engine::Metric>`.
#include <ATen/Tensor.h>

#include <memory>
#include <string>

namespace fmcib::engine {

class Metric {
 public:
  virtual ~Metric() = default;
  /// The class name used in logged keys, e.g. "AUROC".
  virtual std::string name() const = 0;
  /// Adds a batch: `preds` [B] (binary: probabilities or logits) or [B, C] (multiclass scores),
  /// `target` [B] integer labels. After postprocessing, as lighter passes them.
  virtual void update(const at::Tensor& preds, const at::Tensor& target) = 0;
  /// Over everything added since the last reset.
  virtual double compute() const = 0;
  virtual void reset() = 0;
  /// A metric with the same options and nothing accumulated: torchmetrics' forward() value of one
  /// batch is `emptyCopy()` + update + compute.
  virtual std::shared_ptr<Metric> emptyCopy() const = 0;
  /// Everything added so far, for gathering over ranks: (preds, target) concatenated.
  virtual std::pair<at::Tensor, at::Tensor> accumulated() const = 0;
};

using MetricPtr = std::shared_ptr<Metric>;

}  // namespace fmcib::engine
