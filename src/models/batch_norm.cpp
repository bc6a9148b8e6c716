#include "fmcib/models/batch_norm.hpp"

#include <torch/torch.h>

#include "fmcib/dist/all_gather.hpp"

namespace fmcib::models {

BatchNorm3dImpl::BatchNorm3dImpl(int64_t numFeatures, double eps, double momentum)
    : numFeatures_(numFeatures), eps_(eps), momentum_(momentum) {
  weight = register_parameter("weight", torch::ones({numFeatures}));
  bias = register_parameter("bias", torch::zeros({numFeatures}));
  running_mean = register_buffer("running_mean", torch::zeros({numFeatures}));
  running_var = register_buffer("running_var", torch::ones({numFeatures}));
  num_batches_tracked = register_buffer("num_batches_tracked", torch::tensor(0, torch::kLong));
}

torch::Tensor BatchNorm3dImpl::forward(const torch::Tensor& x) {
  TORCH_CHECK(x.dim() == 5, "BatchNorm3d expects a 5D input, got ", x.dim(), "D");
  if (is_training()) {
    torch::NoGradGuard noGrad;
    num_batches_tracked += 1;
  }
  if (sync_ && is_training()) return syncForward(x);
  return torch::batch_norm(x, weight, bias, running_mean, running_var, is_training(), momentum_, eps_,
                           at::globalContext().userEnabledCuDNN());
}

torch::Tensor BatchNorm3dImpl::syncForward(const torch::Tensor& x) {
  const std::vector<int64_t> dims{0, 2, 3, 4};
  const auto shape = std::vector<int64_t>{1, numFeatures_, 1, 1, 1};
  // Statistics in float32 at least, whatever autocast chose for x.
  const torch::Tensor xf = x.scalar_type() == torch::kDouble ? x : x.to(torch::kFloat);
  const double localCount = static_cast<double>(x.numel() / std::max<int64_t>(1, numFeatures_));
  // Two passes (mean, then centred squares) keep the variance as exact as a single process's.
  torch::Tensor sums = torch::cat({xf.sum(dims), torch::full({1}, localCount, xf.options())});
  sums = dist::allReduceSumWithGrad(sums, sync_);
  const torch::Tensor count = sums.narrow(0, numFeatures_, 1).detach();
  const double n = count.item<double>();
  TORCH_CHECK(n > 1, "SyncBatchNorm needs more than one value per channel over all ranks");
  const torch::Tensor mean = sums.narrow(0, 0, numFeatures_) / n;
  const torch::Tensor centred = xf - mean.view(shape);
  const torch::Tensor var = dist::allReduceSumWithGrad((centred * centred).sum(dims), sync_) / n;
  {
    torch::NoGradGuard noGrad;
    running_mean.mul_(1 - momentum_).add_(mean.detach().to(running_mean.dtype()), momentum_);
    running_var.mul_(1 - momentum_).add_((var.detach() * (n / (n - 1))).to(running_var.dtype()), momentum_);
  }
  torch::Tensor y = centred * torch::rsqrt(var + eps_).view(shape);
  y = y * weight.view(shape) + bias.view(shape);
  return y.to(x.scalar_type());
}

int64_t setSyncBatchNorm(torch::nn::Module& module, const dist::CommunicatorPtr& comm) {
  int64_t n = 0;
  for (auto& m : module.modules(/*include_self=*/true))
    if (auto* bn = m->as<BatchNorm3dImpl>()) {
      bn->setSync(comm);
      ++n;
    }
  return n;
}

}  // namespace fmcib::models
