// `_target_` registrations of torchmetrics.{AUROC, AveragePrecision, Accuracy}: the task wrappers'
// arguments and defaults (AUROC/AP average "macro", Accuracy average "micro", threshold 0.5, top_k 1).
#include <torch/torch.h>

#include <algorithm>
#include <cctype>

#include "fmcib/config/registry.hpp"
#include "fmcib/engine/metrics.hpp"

namespace fmcib::engine {

namespace {

using config::Args;
using config::Value;

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
  return s;
}

MetricTask taskArg(const Args& a) {
  const Value v = a.get("task");
  if (v.isNull()) return MetricTask::kAuto;
  const std::string t = lower(a.getString("task"));
  if (t == "binary") return MetricTask::kBinary;
  if (t == "multiclass") return MetricTask::kMulticlass;
  if (t == "multilabel") a.fail("task", "'multilabel' is not supported; expected 'binary' or 'multiclass'");
  a.fail("task", "expected 'binary' or 'multiclass', got '" + a.getString("task") + "'");
}

/// task, num_classes, ignore_index: shared by the three metrics.
MetricOptions commonOptions(const Args& a) {
  MetricOptions o;
  o.task = taskArg(a);
  if (!a.get("num_classes").isNull()) {
    const int64_t n = a.getInt("num_classes");
    // torchmetrics ignores num_classes for binary tasks (fmcib's configs pass it there too).
    if (o.task != MetricTask::kBinary) {
      if (n < 2) a.fail("num_classes", "must be >= 2, got " + std::to_string(n));
      o.numClasses = n;
    }
  } else if (o.task == MetricTask::kMulticlass) {
    a.fail("num_classes", "required when task is 'multiclass'");
  }
  if (!a.get("ignore_index").isNull()) o.ignoreIndex = a.getInt("ignore_index");
  return o;
}

MetricAverage averageArg(const Args& a, bool allowMicro) {
  const Value v = a.get("average");
  const std::string allowed = allowMicro ? "'micro', 'macro' or 'weighted'" : "'macro' or 'weighted'";
  if (v.isNull() || lower(v.asString()) == "none")
    a.fail("average", "per-class values (average: none) cannot be logged as one scalar; use " + allowed);
  const std::string s = lower(v.asString());
  if (s == "macro") return MetricAverage::kMacro;
  if (s == "weighted") return MetricAverage::kWeighted;
  if (s == "micro" && allowMicro) return MetricAverage::kMicro;
  a.fail("average", "expected " + allowed + ", got '" + v.asString() + "'");
}

/// thresholds: null (exact), an int n >= 2 (n points linspace(0, 1)) or a list of floats in [0, 1].
/// Stored at float32 precision, as torchmetrics' threshold tensors are.
std::vector<double> thresholdsArg(const Args& a) {
  const Value v = a.get("thresholds");
  if (v.isNull()) return {};
  at::Tensor t;
  if (v.isInt()) {
    const int64_t n = v.asInt();
    if (n < 2) a.fail("thresholds", "an int must be >= 2, got " + std::to_string(n));
    t = torch::linspace(0, 1, n, torch::kFloat);
  } else {
    const std::vector<double> xs = a.getDoubles("thresholds");
    if (xs.empty()) a.fail("thresholds", "expected a non-empty list");
    for (double x : xs)
      if (x < 0 || x > 1) a.fail("thresholds", "values must be in [0, 1], got " + std::to_string(x));
    t = torch::tensor(xs, torch::kDouble).to(torch::kFloat);
  }
  t = t.to(torch::kDouble).contiguous();
  return std::vector<double>(t.data_ptr<double>(), t.data_ptr<double>() + t.numel());
}

std::vector<config::ArgSpec> commonArgs() {
  using namespace config;
  return {
      arg("task", kString | kNull, nullptr,
          "'binary' or 'multiclass' (null: torchmetrics < 0.11 spelling, inferred from the preds' shape)"),
      arg("num_classes", kInt | kNull, nullptr,
          "number of classes (required for multiclass; ignored for binary)"),
      arg("ignore_index", kInt | kNull, nullptr, "samples with this target value are left out"),
      arg("validate_args", kBool, true, "accepted for compatibility; inputs are always checked")};
}

std::vector<config::ArgSpec> with(std::vector<config::ArgSpec> base, std::vector<config::ArgSpec> more) {
  for (auto& s : more) base.push_back(std::move(s));
  return base;
}

Value store(const Args& a, MetricPtr m) {
  return Value::object<Metric>(std::move(m), a.target());
}

}  // namespace

void registerMetricTargets(config::Registry& r) {
  using namespace config;
  auto add = [&r](TargetSpec spec) {
    if (!r.find(spec.name)) r.add(std::move(spec));
  };

  add({"torchmetrics.AUROC",
       "area under the ROC curve (binary, or one-vs-rest per class averaged for multiclass)",
       with(commonArgs(),
            {arg("average", kString | kNull, "macro", "multiclass reduction: 'macro' or 'weighted'"),
             arg("max_fpr", kFloat | kNull, nullptr, "binary: standardized partial AUC over [0, max_fpr]"),
             arg("thresholds", kInt | kList | kNull, nullptr,
                 "null: exact; int n: n thresholds linspace(0, 1); list: these thresholds")}),
       [](const Args& a) {
         MetricOptions o = commonOptions(a);
         o.average = averageArg(a, false);
         if (!a.get("max_fpr").isNull()) {
           const double m = a.getDouble("max_fpr");
           if (!(m > 0 && m <= 1)) a.fail("max_fpr", "must be in (0, 1], got " + std::to_string(m));
           if (o.task == MetricTask::kMulticlass) a.fail("max_fpr", "only supported for task 'binary'");
           o.maxFpr = m;
         }
         o.thresholds = thresholdsArg(a);
         return store(a, makeAuroc(o));
       }});

  add({"torchmetrics.AveragePrecision",
       "average precision: sum over thresholds of (R_n - R_{n-1}) * P_n (per class and averaged for "
       "multiclass)",
       with(commonArgs(),
            {arg("average", kString | kNull, "macro", "multiclass reduction: 'macro' or 'weighted'"),
             arg("thresholds", kInt | kList | kNull, nullptr,
                 "null: exact; int n: n thresholds linspace(0, 1); list: these thresholds")}),
       [](const Args& a) {
         MetricOptions o = commonOptions(a);
         o.average = averageArg(a, false);
         o.thresholds = thresholdsArg(a);
         return store(a, makeAveragePrecision(o));
       }});

  add({"torchmetrics.Accuracy",
       "fraction of correct predictions (binary: prob > threshold; multiclass: argmax or top-k)",
       with(
           commonArgs(),
           {arg("threshold", kFloat, 0.5, "binary: a sample is positive when its probability is > threshold"),
            arg("average", kString | kNull, "micro", "multiclass reduction: 'micro', 'macro' or 'weighted'"),
            arg("top_k", kInt | kNull, 1,
                "multiclass: correct when the target is among the k highest scores"),
            arg("multidim_average", kString, "global", "only 'global' (extra dimensions are flattened)")}),
       [](const Args& a) {
         MetricOptions o = commonOptions(a);
         o.average = averageArg(a, true);
         o.threshold = a.getDouble("threshold");
         if (!(o.threshold >= 0 && o.threshold <= 1))
           a.fail("threshold", "must be in [0, 1], got " + std::to_string(o.threshold));
         if (!a.get("top_k").isNull()) o.topK = a.getInt("top_k");
         if (o.topK < 1) a.fail("top_k", "must be >= 1, got " + std::to_string(o.topK));
         if (o.numClasses && o.topK > *o.numClasses)
           a.fail("top_k", "must be <= num_classes (" + std::to_string(*o.numClasses) + "), got " +
                               std::to_string(o.topK));
         if (o.task == MetricTask::kBinary) o.topK = 1;
         if (a.getString("multidim_average") != "global")
           a.fail("multidim_average",
                  "only 'global' is supported, got '" + a.getString("multidim_average") + "'");
         return store(a, makeAccuracy(o));
       }});
}

}  // namespace fmcib::engine
