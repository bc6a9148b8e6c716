#include "fmcib/probe/classification_metrics.hpp"

#include <torch/torch.h>

#include <limits>

#include "fmcib/engine/metrics.hpp"

namespace fmcib::probe {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::vector<double> column(const at::Tensor& proba, int64_t k) {
  const at::Tensor c = proba.select(1, k).to(torch::kDouble).contiguous();
  return std::vector<double>(c.data_ptr<double>(), c.data_ptr<double>() + c.numel());
}

template <class Curve>
double macroOneVsRest(const at::Tensor& proba, const std::vector<int64_t>& targets, Curve curve) {
  double sum = 0;
  int present = 0;
  for (int64_t k = 0; k < proba.size(1); ++k) {
    std::vector<int64_t> oneVsRest(targets.size());
    int64_t positives = 0;
    for (size_t i = 0; i < targets.size(); ++i) positives += oneVsRest[i] = targets[i] == k;
    if (positives == 0) continue;
    sum += curve(column(proba, k), oneVsRest);
    ++present;
  }
  return present ? sum / present : kNaN;
}

}  // namespace

double auroc(const at::Tensor& proba, const std::vector<int64_t>& targets) {
  bool pos = false, neg = false;
  for (int64_t t : targets) (t == 1 ? pos : neg) = true;
  if (!pos || !neg) return kNaN;
  return engine::binaryAuroc(column(proba, 1), targets);
}

double averagePrecision(const at::Tensor& proba, const std::vector<int64_t>& targets) {
  return engine::binaryAveragePrecision(column(proba, 1), targets);
}

double macroAveragePrecision(const at::Tensor& proba, const std::vector<int64_t>& targets) {
  return macroOneVsRest(proba, targets, [](const std::vector<double>& s, const std::vector<int64_t>& t) {
    return engine::binaryAveragePrecision(s, t);
  });
}

double macroAurocOvr(const at::Tensor& proba, const std::vector<int64_t>& targets) {
  return macroOneVsRest(proba, targets, [](const std::vector<double>& s, const std::vector<int64_t>& t) {
    for (int64_t v : t)
      if (v == 0) return engine::binaryAuroc(s, t);
    return kNaN;  // every row of one class: no negatives
  });
}

double balancedAccuracy(const std::vector<int64_t>& targets, const std::vector<int64_t>& predicted,
                        int64_t numClasses) {
  std::vector<double> hits(static_cast<size_t>(numClasses), 0), support(static_cast<size_t>(numClasses), 0);
  for (size_t i = 0; i < targets.size(); ++i) {
    const auto t = static_cast<size_t>(targets[i]);
    support[t] += 1;
    hits[t] += predicted[i] == targets[i];
  }
  double sum = 0;
  int present = 0;
  for (size_t k = 0; k < support.size(); ++k) {
    if (support[k] == 0) continue;
    sum += hits[k] / support[k];
    ++present;
  }
  return present ? sum / present : kNaN;
}

std::vector<int64_t> argmaxRows(const at::Tensor& proba) {
  // torch's argmax does not promise the first maximum on ties; numpy's does.
  const at::Tensor p = proba.to(torch::kDouble).contiguous();
  const int64_t n = p.size(0), k = p.size(1);
  const double* d = p.data_ptr<double>();
  std::vector<int64_t> out(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    int64_t best = 0;
    for (int64_t j = 1; j < k; ++j)
      if (d[i * k + j] > d[i * k + best]) best = j;
    out[static_cast<size_t>(i)] = best;
  }
  return out;
}

}  // namespace fmcib::probe
