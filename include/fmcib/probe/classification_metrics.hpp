#pragma once
/// The probe's test metrics with scikit-learn's definitions (the exact ROC / precision-recall
/// curves are engine::binaryAuroc / binaryAveragePrecision, shared with the training metrics):
/// - auroc, averagePrecision: roc_auc_score / average_precision_score of the second class's
///   probability (two classes; NaN when the targets hold one class / no positives);
/// - macroAveragePrecision ("mAP"): average_precision_score(one-hot, proba, average="macro");
/// - macroAurocOvr: roc_auc_score(y, proba, multi_class="ovr", average="macro");
/// - balancedAccuracy: balanced_accuracy_score(y, argmax proba): the mean recall over the classes
///   present in the targets.
/// Macro averages run over the classes present in the targets (scikit-learn refuses or scores 0
/// for an absent class; the probe's bootstrap never scores a resample that lacks one).
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <vector>

namespace fmcib::probe {

/// proba [n, K] double, targets in [0, K).
double auroc(const at::Tensor& proba, const std::vector<int64_t>& targets);
/// Two classes: average_precision_score of the second class's probability.
double averagePrecision(const at::Tensor& proba, const std::vector<int64_t>& targets);
double macroAveragePrecision(const at::Tensor& proba, const std::vector<int64_t>& targets);
double macroAurocOvr(const at::Tensor& proba, const std::vector<int64_t>& targets);
double balancedAccuracy(const std::vector<int64_t>& targets, const std::vector<int64_t>& predicted,
                        int64_t numClasses);

/// The class with the highest probability per row (the first on ties, as numpy's argmax).
std::vector<int64_t> argmaxRows(const at::Tensor& proba);

}  // namespace fmcib::probe
