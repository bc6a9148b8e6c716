#pragma once
/// All-gather with gradient (DESIGN §9), the collective behind `gather_distributed` in the SSL
/// losses. Forward: every rank's tensor, in rank order. Backward, two variants of lightly's
/// `GatherLayer`:
/// - GatherBackward::kOwn (lightly 1.4.19, the version fmcib pins and the paper trained with):
///   each rank keeps the gradient of its own slice of the gathered tensors, no communication — so
///   each rank's input receives d(loss_rank)/d(input) only (its direct path plus its own slice of
///   the gathered buffer); the other ranks' losses do not reach it.
/// - GatherBackward::kAllReduce (lightly >= 1.5.4): the gradients of all gathered tensors are
///   summed over ranks and each rank keeps the slice of its own input — each rank's input receives
///   d(Σ_r loss_r)/d(input), the full gradient.
/// Either way DDP then averages parameter gradients over ranks as usual.
#include <ATen/Tensor.h>

#include <string>
#include <vector>

#include "fmcib/dist/communicator.hpp"

namespace fmcib::dist {

enum class GatherBackward { kOwn, kAllReduce };

/// "own" / "all_reduce" (the losses' `gather_backward` argument).
const char* gatherBackwardName(GatherBackward g);
/// ConfigError naming the accepted values otherwise.
GatherBackward parseGatherBackward(const std::string& name);

/// Differentiable all-gather of `x` (same shape on every rank). One tensor per rank.
std::vector<at::Tensor> allGatherWithGrad(const at::Tensor& x, const CommunicatorPtr& comm,
                                          GatherBackward backward = GatherBackward::kOwn);

/// Differentiable all-reduce (sum); backward also sums the gradients over ranks. SyncBatchNorm's
/// statistics travel through it.
at::Tensor allReduceSumWithGrad(const at::Tensor& x, const CommunicatorPtr& comm);

/// `cat(allGatherWithGrad(x, comm, backward), 0)`.
at::Tensor allGatherCat(const at::Tensor& x, const CommunicatorPtr& comm,
                        GatherBackward backward = GatherBackward::kOwn);

}  // namespace fmcib::dist
