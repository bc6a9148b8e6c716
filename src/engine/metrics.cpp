// torchmetrics' AUROC / AveragePrecision / Accuracy as engine::Metric (see metrics.hpp for the
// semantics). Each update() formats its batch the way torchmetrics formats one batch (sigmoid/softmax
// decided per batch, ignore_index dropped) and keeps it; compute() works on everything kept.
#include "fmcib/engine/metrics.hpp"

#include <torch/torch.h>

#include <cmath>
#include <limits>

#include "fmcib/config/error.hpp"

namespace fmcib::engine {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

enum class Kind { kAuroc, kAveragePrecision, kAccuracy };

std::vector<double> toDoubles(const at::Tensor& t) {
  at::Tensor c = t.to(torch::kDouble).contiguous();
  return std::vector<double>(c.data_ptr<double>(), c.data_ptr<double>() + c.numel());
}

std::vector<int64_t> toLongs(const at::Tensor& t) {
  at::Tensor c = t.to(torch::kLong).contiguous();
  return std::vector<int64_t>(c.data_ptr<int64_t>(), c.data_ptr<int64_t>() + c.numel());
}

/// The mean over classes (macro) or the support-weighted mean (weighted), skipping NaN classes.
double reduceClasses(const std::vector<double>& perClass, const std::vector<double>& support,
                     MetricAverage avg) {
  double sum = 0, weightSum = 0;
  size_t count = 0;
  for (size_t c = 0; c < perClass.size(); ++c) {
    if (std::isnan(perClass[c])) continue;
    const double w = avg == MetricAverage::kWeighted ? support[c] : 1.0;
    sum += w * perClass[c];
    weightSum += w;
    ++count;
  }
  if (count == 0) return kNaN;
  return weightSum != 0 ? sum / weightSum : 0.0;
}

class ClassificationMetric : public Metric {
 public:
  MetricPtr emptyCopy() const override { return std::make_shared<ClassificationMetric>(kind_, options_); }
  ClassificationMetric(Kind kind, MetricOptions options) : kind_(kind), options_(std::move(options)) {
    task_ = options_.task;
    if (task_ == MetricTask::kMulticlass && (!options_.numClasses || *options_.numClasses < 2))
      throw ConfigError(baseName() + ": multiclass needs num_classes >= 2");
    if (options_.topK < 1) throw ConfigError(baseName() + ": top_k must be >= 1");
  }

  std::string name() const override {
    switch (options_.task) {
      case MetricTask::kBinary:
        return "Binary" + baseName();
      case MetricTask::kMulticlass:
        return "Multiclass" + baseName();
      case MetricTask::kAuto:
        break;
    }
    return baseName();
  }

  void update(const at::Tensor& predsIn, const at::Tensor& targetIn) override {
    if (!predsIn.defined() || !targetIn.defined())
      throw InputError(name() + ": preds or target is undefined");
    torch::NoGradGuard noGrad;
    at::Tensor preds = predsIn.detach().cpu();
    // Half precision has no CPU sigmoid/softmax in this LibTorch; float holds every half value exactly.
    if (preds.scalar_type() == torch::kHalf) preds = preds.to(torch::kFloat);
    at::Tensor target = targetTensor(targetIn.detach().cpu());
    if (task_ == MetricTask::kAuto) resolveTask(preds);
    auto [p, t] =
        task_ == MetricTask::kBinary ? formatBinary(preds, target) : formatMulticlass(preds, target);
    preds_.push_back(std::move(p));
    targets_.push_back(std::move(t));
  }

  double compute() const override {
    auto [p, t] = accumulated();
    if (t.numel() == 0) return kNaN;
    if (task_ == MetricTask::kBinary) return computeBinary(p, toLongs(t));
    return computeMulticlass(p, toLongs(t));
  }

  void reset() override {
    preds_.clear();
    targets_.clear();
  }

  std::pair<at::Tensor, at::Tensor> accumulated() const override {
    if (targets_.empty()) {
      const at::Tensor none = torch::empty({0}, torch::kLong);
      if (storesLabels()) return {none, none};
      if (task_ == MetricTask::kMulticlass)
        return {torch::empty({0, *options_.numClasses}, torch::kDouble), none};
      return {torch::empty({0}, torch::kDouble), none};
    }
    return {torch::cat(preds_), torch::cat(targets_)};
  }

 private:
  std::string baseName() const {
    switch (kind_) {
      case Kind::kAuroc:
        return "AUROC";
      case Kind::kAveragePrecision:
        return "AveragePrecision";
      case Kind::kAccuracy:
        break;
    }
    return "Accuracy";
  }

  /// Accuracy keeps decisions (0/1 or class labels), so that re-adding accumulated() is exact.
  bool storesLabels() const {
    return kind_ == Kind::kAccuracy && (task_ == MetricTask::kBinary || options_.topK == 1);
  }

  void resolveTask(const at::Tensor& preds) {
    const bool scores = preds.is_floating_point() && preds.dim() >= 2 && preds.size(1) > 1;
    const bool labels = !preds.is_floating_point() && options_.numClasses && *options_.numClasses > 2;
    if (scores || labels) {
      task_ = MetricTask::kMulticlass;
      if (!options_.numClasses) options_.numClasses = preds.size(1);
    } else {
      task_ = MetricTask::kBinary;
    }
  }

  /// Integer labels from an int or integral float tensor (lighter often hands over float targets).
  at::Tensor targetTensor(const at::Tensor& target) const {
    at::Tensor t = target.flatten();
    if (t.is_floating_point()) {
      if (t.numel() > 0 && !torch::equal(t, t.round()))
        throw InputError(name() + ": target must hold integer class labels, got non-integral values");
      t = t.to(torch::kLong);
    }
    return t.to(torch::kLong);
  }

  at::Tensor keepMask(const at::Tensor& target) const {
    return options_.ignoreIndex ? target.ne(*options_.ignoreIndex) : torch::ones_like(target, torch::kBool);
  }

  std::pair<at::Tensor, at::Tensor> formatBinary(at::Tensor preds, at::Tensor target) const {
    preds = preds.flatten();
    if (preds.numel() != target.numel())
      throw InputError(name() + ": preds has " + std::to_string(preds.numel()) + " values but target has " +
                       std::to_string(target.numel()) + " (binary preds are one score per sample)");
    const at::Tensor keep = keepMask(target);
    preds = preds.index({keep});
    target = target.index({keep});
    if (target.numel() > 0 && (target.ne(0) & target.ne(1)).any().item<bool>())
      throw InputError(name() + ": target holds values other than 0 and 1 (max " +
                       std::to_string(target.max().item<int64_t>()) +
                       "); use task: multiclass with num_classes for more classes");
    if (preds.is_floating_point()) {
      // Probabilities pass as they are; anything outside [0, 1] is taken for logits.
      if (!((preds >= 0) & (preds <= 1)).all().item<bool>()) preds = preds.sigmoid();
      if (kind_ == Kind::kAccuracy) return {preds.gt(options_.threshold).to(torch::kLong), target};
      return {preds.to(torch::kDouble), target};
    }
    if (kind_ == Kind::kAccuracy) return {preds.to(torch::kLong), target};
    return {preds.to(torch::kDouble), target};
  }

  std::pair<at::Tensor, at::Tensor> formatMulticlass(at::Tensor preds, at::Tensor target) const {
    const int64_t c = *options_.numClasses;
    at::Tensor keep = keepMask(target);
    if (kind_ == Kind::kAccuracy && !preds.is_floating_point() && preds.numel() == target.numel()) {
      if (options_.topK > 1) throw InputError(name() + ": top_k > 1 needs class scores, got class labels");
      preds = preds.flatten().to(torch::kLong).index({keep});
      target = target.index({keep});
      checkClasses(target, "target");
      checkClasses(preds, "preds");
      return {preds, target};
    }
    if (preds.dim() < 2 || preds.size(1) != c)
      throw InputError(name() + ": expected preds of shape [N, " + std::to_string(c) + ", ...], got " +
                       shapeString(preds));
    preds = preds.transpose(0, 1).reshape({c, -1}).t();
    if (preds.size(0) != target.numel())
      throw InputError(name() + ": preds hold " + std::to_string(preds.size(0)) + " samples but target has " +
                       std::to_string(target.numel()));
    preds = preds.index({keep});
    target = target.index({keep});
    checkClasses(target, "target");
    if (!preds.is_floating_point()) preds = preds.to(torch::kDouble);
    if (kind_ == Kind::kAccuracy) {
      if (options_.topK == 1) return {preds.argmax(1), target};
      return {preds.to(torch::kDouble), target};
    }
    if (!((preds >= 0) & (preds <= 1)).all().item<bool>()) preds = preds.softmax(1);
    return {preds.to(torch::kDouble), target};
  }

  static std::string shapeString(const at::Tensor& t) {
    std::string s = "[";
    for (int64_t d = 0; d < t.dim(); ++d) s += (d ? ", " : "") + std::to_string(t.size(d));
    return s + "]";
  }

  void checkClasses(const at::Tensor& labels, const char* what) const {
    if (labels.numel() == 0) return;
    const int64_t lo = labels.min().item<int64_t>(), hi = labels.max().item<int64_t>();
    if (lo < 0 || hi >= *options_.numClasses)
      throw InputError(name() + ": " + what + " holds class " + std::to_string(lo < 0 ? lo : hi) +
                       ", outside [0, " + std::to_string(*options_.numClasses - 1) + "] (num_classes " +
                       std::to_string(*options_.numClasses) + ")");
  }

  double curve(const std::vector<double>& scores, const std::vector<int64_t>& target) const {
    const bool exact = options_.thresholds.empty();
    if (kind_ == Kind::kAuroc)
      return exact ? binaryAuroc(scores, target, options_.maxFpr)
                   : binnedBinaryAuroc(scores, target, options_.thresholds, options_.maxFpr);
    return exact ? binaryAveragePrecision(scores, target)
                 : binnedBinaryAveragePrecision(scores, target, options_.thresholds);
  }

  double computeBinary(const at::Tensor& preds, const std::vector<int64_t>& target) const {
    if (kind_ != Kind::kAccuracy) return curve(toDoubles(preds), target);
    const std::vector<int64_t> decisions = toLongs(preds);
    double correct = 0;
    for (size_t i = 0; i < target.size(); ++i) correct += decisions[i] == target[i];
    return correct / static_cast<double>(target.size());
  }

  double computeMulticlass(const at::Tensor& preds, const std::vector<int64_t>& target) const {
    const auto c = static_cast<size_t>(*options_.numClasses);
    std::vector<double> support(c, 0.0);
    for (int64_t t : target) support[static_cast<size_t>(t)] += 1;
    if (kind_ == Kind::kAccuracy) return multiclassAccuracy(preds, target, support);
    const at::Tensor scores = preds.to(torch::kDouble).contiguous();
    std::vector<double> perClass(c);
    for (size_t k = 0; k < c; ++k) {
      std::vector<int64_t> oneVsRest(target.size());
      for (size_t i = 0; i < target.size(); ++i) oneVsRest[i] = target[i] == static_cast<int64_t>(k);
      perClass[k] = curve(toDoubles(scores.select(1, static_cast<int64_t>(k))), oneVsRest);
    }
    return reduceClasses(perClass, support, options_.average);
  }

  /// torchmetrics' stat scores: per class tp (target hit), fn (target missed), fp (predicted but
  /// wrong); with top_k > 1 a miss counts as a prediction of the top-1 class.
  double multiclassAccuracy(const at::Tensor& preds, const std::vector<int64_t>& target,
                            const std::vector<double>& support) const {
    const auto c = static_cast<size_t>(*options_.numClasses);
    std::vector<int64_t> predicted(target.size());
    std::vector<char> hit(target.size());
    if (options_.topK == 1) {
      predicted = toLongs(preds);
      for (size_t i = 0; i < target.size(); ++i) hit[i] = predicted[i] == target[i];
    } else {
      const int64_t k = std::min<int64_t>(options_.topK, static_cast<int64_t>(c));
      const std::vector<int64_t> top = toLongs(std::get<1>(preds.topk(k, 1)));
      for (size_t i = 0; i < target.size(); ++i) {
        hit[i] = 0;
        for (int64_t j = 0; j < k; ++j)
          hit[i] |= top[i * static_cast<size_t>(k) + static_cast<size_t>(j)] == target[i];
        predicted[i] = hit[i] ? target[i] : top[i * static_cast<size_t>(k)];
      }
    }
    std::vector<double> tp(c, 0.0), fp(c, 0.0);
    double correct = 0;
    for (size_t i = 0; i < target.size(); ++i) {
      correct += hit[i];
      if (hit[i])
        tp[static_cast<size_t>(target[i])] += 1;
      else
        fp[static_cast<size_t>(predicted[i])] += 1;
    }
    if (options_.average == MetricAverage::kMicro) return correct / static_cast<double>(target.size());
    std::vector<double> perClass(c);
    std::vector<double> weights(c);
    for (size_t k = 0; k < c; ++k) {
      const double fn = support[k] - tp[k];
      perClass[k] = support[k] > 0 ? tp[k] / support[k] : 0.0;
      if (options_.average == MetricAverage::kWeighted)
        weights[k] = support[k];
      else  // macro: classes never seen (nor predicted, for top_k == 1) do not count
        weights[k] = (options_.topK == 1 ? tp[k] + fp[k] + fn : tp[k] + fn) == 0 ? 0.0 : 1.0;
    }
    double sum = 0, weightSum = 0;
    for (size_t k = 0; k < c; ++k) {
      sum += weights[k] * perClass[k];
      weightSum += weights[k];
    }
    return weightSum != 0 ? sum / weightSum : 0.0;
  }

  Kind kind_;
  MetricOptions options_;
  MetricTask task_;
  std::vector<at::Tensor> preds_, targets_;
};

}  // namespace

MetricPtr makeAuroc(const MetricOptions& options) {
  return std::make_shared<ClassificationMetric>(Kind::kAuroc, options);
}
MetricPtr makeAveragePrecision(const MetricOptions& options) {
  return std::make_shared<ClassificationMetric>(Kind::kAveragePrecision, options);
}
MetricPtr makeAccuracy(const MetricOptions& options) {
  return std::make_shared<ClassificationMetric>(Kind::kAccuracy, options);
}

}  // namespace fmcib::engine
