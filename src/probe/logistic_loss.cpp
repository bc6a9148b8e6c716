#include "logistic_loss.hpp"

#include <torch/torch.h>

namespace fmcib::probe::detail {

LossProblem::LossProblem(at::Tensor X_, const std::vector<int64_t>& y, int64_t numClasses_, double C_)
    : X(X_.to(torch::kDouble).contiguous()),
      numClasses(numClasses_),
      outputs(numClasses_ == 2 ? 1 : numClasses_),
      C(C_) {
  labels = torch::tensor(y, torch::kLong);
  if (numClasses == 2)
    targets = labels.eq(1).to(torch::kDouble).unsqueeze(1);
  else
    targets = torch::one_hot(labels, numClasses).to(torch::kDouble);
}

double lossAndGradient(const LossProblem& p, const at::Tensor& W, const at::Tensor& b, at::Tensor* gradW,
                       at::Tensor* gradB, at::Tensor* proba) {
  const at::Tensor Z = torch::addmm(b, p.X, W.t());
  at::Tensor P;
  double loss;
  if (p.outputs == 1) {
    // log(1 + e^z) - y z, written so that large |z| keeps every digit (the ftol test compares f).
    const at::Tensor z = Z.select(1, 0);
    const at::Tensor softplus = z.clamp_min(0) + torch::log1p(torch::exp(-z.abs()));
    loss = (softplus - p.targets.select(1, 0) * z).sum().item<double>();
    P = torch::sigmoid(Z);
  } else {
    const at::Tensor lse = torch::logsumexp(Z, 1);
    loss = (lse - Z.gather(1, p.labels.unsqueeze(1)).squeeze(1)).sum().item<double>();
    P = torch::softmax(Z, 1);
  }
  const double penalty = W.pow(2).sum().item<double>() / (2 * p.C);
  if (gradW || gradB) {
    const at::Tensor R = P - p.targets;
    if (gradW) *gradW = torch::mm(R.t(), p.X) + W / p.C;
    if (gradB) *gradB = R.sum(0);
  }
  if (proba) *proba = P;
  return loss + penalty;
}

at::Tensor probaFromDecision(const at::Tensor& decision, int64_t numClasses) {
  if (numClasses == 2) {
    const at::Tensor p1 = torch::sigmoid(decision.select(1, 0));
    return torch::stack({1 - p1, p1}, 1);
  }
  return torch::softmax(decision, 1);
}

}  // namespace fmcib::probe::detail
