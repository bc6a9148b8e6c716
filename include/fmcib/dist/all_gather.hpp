#pragma once
/// All-gather with gradient (DESIGN §9), the collective behind `gather_distributed` in the SSL
/// losses. Forward: every rank's tensor, in rank order. Backward: the gradients of all gathered
/// tensors are summed over ranks (all-reduce) and each rank keeps the slice of its own input — so
/// each rank's input receives d(Σ_r loss_r)/d(input), as lightly's `dist.gather` does. DDP then
/// averages parameter gradients as usual.
#include <ATen/Tensor.h>

#include <vector>

#include "fmcib/dist/communicator.hpp"

namespace fmcib::dist {

/// Differentiable all-gather of `x` (same shape on every rank). One tensor per rank.
std::vector<at::Tensor> allGatherWithGrad(const at::Tensor& x, const CommunicatorPtr& comm);

/// Differentiable all-reduce (sum); backward also sums the gradients over ranks. SyncBatchNorm's
/// statistics travel through it.
at::Tensor allReduceSumWithGrad(const at::Tensor& x, const CommunicatorPtr& comm);

/// `cat(allGatherWithGrad(x, comm), 0)`.
at::Tensor allGatherCat(const at::Tensor& x, const CommunicatorPtr& comm);

}  // namespace fmcib::dist
