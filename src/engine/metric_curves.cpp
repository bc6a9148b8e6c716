// Exact and binned ROC / precision-recall curves with torchmetrics' definitions (see metrics.hpp).
// Plain double loops: the curves need a sort and a walk, and the epoch's samples fit in memory.
#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <stdexcept>
#include <vector>

#include "fmcib/engine/metrics.hpp"

namespace fmcib::engine {

namespace {

constexpr double kNoValue = std::numeric_limits<double>::quiet_NaN();

void checkSizes(const std::vector<double>& scores, const std::vector<int64_t>& target) {
  if (scores.size() != target.size())
    throw std::invalid_argument("metric curves: " + std::to_string(scores.size()) + " scores but " +
                                std::to_string(target.size()) + " targets");
}

/// Cumulative false/true positives at the last index of each run of equal scores, scores sorted in
/// decreasing order (sklearn's / torchmetrics' _binary_clf_curve).
struct ClfCurve {
  std::vector<double> fps, tps;
};

ClfCurve clfCurve(const std::vector<double>& scores, const std::vector<int64_t>& target) {
  std::vector<size_t> order(scores.size());
  std::iota(order.begin(), order.end(), size_t{0});
  // NaN sorts first (as the largest value) so the comparison stays a strict weak ordering.
  auto key = [&](size_t i) {
    const double s = scores[i];
    return std::isnan(s) ? std::numeric_limits<double>::infinity() : s;
  };
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return key(a) > key(b); });
  ClfCurve c;
  double tp = 0, fp = 0;
  for (size_t k = 0; k < order.size(); ++k) {
    (target[order[k]] == 1 ? tp : fp) += 1;
    const bool lastOfRun = k + 1 == order.size() || !(scores[order[k + 1]] == scores[order[k]]);
    if (lastOfRun) {
      c.fps.push_back(fp);
      c.tps.push_back(tp);
    }
  }
  return c;
}

double trapz(const std::vector<double>& x, const std::vector<double>& y) {
  double area = 0;
  for (size_t i = 1; i < x.size(); ++i) area += (x[i] - x[i - 1]) * (y[i] + y[i - 1]) / 2;
  return area;
}

/// torchmetrics' _binary_auroc_compute after the ROC: full area, or the McClish-standardized partial
/// area up to maxFpr (interpolating the ROC at maxFpr).
double aucOfRoc(const std::vector<double>& fpr, const std::vector<double>& tpr,
                std::optional<double> maxFpr) {
  if (!maxFpr || *maxFpr == 1.0) return trapz(fpr, tpr);
  const double m = *maxFpr;
  const size_t stop = static_cast<size_t>(std::upper_bound(fpr.begin(), fpr.end(), m) - fpr.begin());
  // No point beyond maxFpr (no negatives) or none at or before it: the partial area is undefined.
  if (stop == 0 || stop >= fpr.size()) return kNoValue;
  const double w = (m - fpr[stop - 1]) / (fpr[stop] - fpr[stop - 1]);
  const double interp = tpr[stop - 1] + w * (tpr[stop] - tpr[stop - 1]);
  std::vector<double> x(fpr.begin(), fpr.begin() + static_cast<std::ptrdiff_t>(stop));
  std::vector<double> y(tpr.begin(), tpr.begin() + static_cast<std::ptrdiff_t>(stop));
  x.push_back(m);
  y.push_back(interp);
  const double partial = trapz(x, y);
  const double minArea = 0.5 * m * m;
  return 0.5 * (1 + (partial - minArea) / (m - minArea));
}

double safeDivide(double num, double den) {
  return den != 0 ? num / den : 0.0;
}

/// Multi-threshold confusion counts: for each threshold t, samples with score >= t are positive.
struct Binned {
  std::vector<double> tp, fp, fn, tn;
};

Binned binned(const std::vector<double>& scores, const std::vector<int64_t>& target,
              const std::vector<double>& thresholds) {
  Binned b;
  for (double t : thresholds) {
    double tp = 0, fp = 0, fn = 0, tn = 0;
    for (size_t i = 0; i < scores.size(); ++i) {
      const bool pos = scores[i] >= t;
      if (target[i] == 1)
        (pos ? tp : fn) += 1;
      else
        (pos ? fp : tn) += 1;
    }
    b.tp.push_back(tp);
    b.fp.push_back(fp);
    b.fn.push_back(fn);
    b.tn.push_back(tn);
  }
  return b;
}

}  // namespace

double binaryAuroc(const std::vector<double>& scores, const std::vector<int64_t>& target,
                   std::optional<double> maxFpr) {
  checkSizes(scores, target);
  if (scores.empty()) return kNoValue;
  ClfCurve c = clfCurve(scores, target);
  // The curve starts at (0, 0).
  c.fps.insert(c.fps.begin(), 0.0);
  c.tps.insert(c.tps.begin(), 0.0);
  const double negatives = c.fps.back(), positives = c.tps.back();
  std::vector<double> fpr(c.fps.size(), 0.0), tpr(c.tps.size(), 0.0);
  // torchmetrics returns an all-zero rate (so an AUROC of 0) when a class is absent.
  if (negatives > 0)
    for (size_t i = 0; i < fpr.size(); ++i) fpr[i] = c.fps[i] / negatives;
  if (positives > 0)
    for (size_t i = 0; i < tpr.size(); ++i) tpr[i] = c.tps[i] / positives;
  return aucOfRoc(fpr, tpr, maxFpr);
}

double binaryAveragePrecision(const std::vector<double>& scores, const std::vector<int64_t>& target) {
  checkSizes(scores, target);
  if (scores.empty()) return kNoValue;
  const ClfCurve c = clfCurve(scores, target);
  const double positives = c.tps.back();
  if (positives <= 0) return kNoValue;  // recall = 0 / 0
  double ap = 0, previousRecall = 0;
  for (size_t k = 0; k < c.tps.size(); ++k) {
    const double precision = c.tps[k] / (c.tps[k] + c.fps[k]);
    const double recall = c.tps[k] / positives;
    ap += (recall - previousRecall) * precision;
    previousRecall = recall;
  }
  return ap;
}

double binnedBinaryAuroc(const std::vector<double>& scores, const std::vector<int64_t>& target,
                         const std::vector<double>& thresholds, std::optional<double> maxFpr) {
  checkSizes(scores, target);
  if (scores.empty() || thresholds.empty()) return kNoValue;
  const Binned b = binned(scores, target, thresholds);
  const size_t n = thresholds.size();
  std::vector<double> fpr(n), tpr(n);
  // Reversed so that the curve runs from the highest threshold to the lowest.
  for (size_t j = 0; j < n; ++j) {
    const size_t r = n - 1 - j;
    tpr[j] = safeDivide(b.tp[r], b.tp[r] + b.fn[r]);
    fpr[j] = safeDivide(b.fp[r], b.fp[r] + b.tn[r]);
  }
  return aucOfRoc(fpr, tpr, maxFpr);
}

double binnedBinaryAveragePrecision(const std::vector<double>& scores, const std::vector<int64_t>& target,
                                    const std::vector<double>& thresholds) {
  checkSizes(scores, target);
  if (scores.empty() || thresholds.empty()) return kNoValue;
  const Binned b = binned(scores, target, thresholds);
  const size_t n = thresholds.size();
  std::vector<double> precision(n + 1, 1.0), recall(n + 1, 0.0);
  for (size_t j = 0; j < n; ++j) {
    precision[j] = safeDivide(b.tp[j], b.tp[j] + b.fp[j]);
    recall[j] = safeDivide(b.tp[j], b.tp[j] + b.fn[j]);
  }
  double ap = 0;
  for (size_t j = 0; j < n; ++j) ap -= (recall[j + 1] - recall[j]) * precision[j];
  return ap;
}

}  // namespace fmcib::engine
