#pragma once
/// BatchNorm3d with an optional synchronized mode (`sync_batchnorm: true`, DESIGN §9). Same
/// parameters, buffers and state-dict keys as torch.nn.BatchNorm3d (weight, bias, running_mean,
/// running_var, num_batches_tracked) and, unsynchronized, the same computation (at::batch_norm).
/// Synchronized and training, the batch statistics are those of every rank's batch together, as
/// torch.nn.SyncBatchNorm computes them: mean and (biased) variance over all ranks' voxels through
/// differentiable all-reduces, so the backward pass sums the statistics' gradients across ranks;
/// the running variance gets the unbiased estimate over the global count. In eval mode, or in a
/// world of one, nothing is exchanged beyond what the math needs.
#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>

#include "fmcib/dist/communicator.hpp"

namespace fmcib::models {

class BatchNorm3dImpl : public torch::nn::Module {
 public:
  explicit BatchNorm3dImpl(int64_t numFeatures, double eps = 1e-5, double momentum = 0.1);
  torch::Tensor forward(const torch::Tensor& x);
  /// Synchronize over `comm`'s ranks (null: plain BatchNorm).
  void setSync(dist::CommunicatorPtr comm) { sync_ = std::move(comm); }
  bool synchronized() const { return sync_ != nullptr; }

  torch::Tensor weight, bias, running_mean, running_var, num_batches_tracked;

 private:
  torch::Tensor syncForward(const torch::Tensor& x);
  int64_t numFeatures_;
  double eps_, momentum_;
  dist::CommunicatorPtr sync_;
};
TORCH_MODULE(BatchNorm3d);

/// Lightning's `sync_batchnorm`: switches every BatchNorm3d inside `module` to synchronize over
/// `comm` (null switches back). Returns how many layers it switched.
int64_t setSyncBatchNorm(torch::nn::Module& module, const dist::CommunicatorPtr& comm);

}  // namespace fmcib::models
