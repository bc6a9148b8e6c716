#pragma once
/// Data-parallel gradient averaging (DESIGN §9), as torch DDP's Reducer does it: gradients are
/// packed into flat buckets of about `bucketBytes` (25 MB by default, `bucket_cap_mb`), in reverse
/// parameter order (the order backward produces them), one all-reduce per bucket, then divided by
/// the world size. A parameter without a gradient on this rank contributes zeros, so every rank
/// runs the same collectives. Run once per optimizer step, after the (accumulated) backward passes.
#include <ATen/Tensor.h>

#include <cstdint>
#include <vector>

#include "fmcib/dist/communicator.hpp"

namespace fmcib::dist {

class GradientReducer {
 public:
  GradientReducer(std::vector<at::Tensor> params, CommunicatorPtr comm, int64_t bucketBytes = 25 << 20);

  /// Averages every parameter's gradient over the ranks (nothing to do in a world of one).
  void reduce();
  /// The buckets, as parameter indices (for tests and the log).
  const std::vector<std::vector<size_t>>& buckets() const { return buckets_; }
  /// Wall seconds spent in reduce() so far, and how many calls.
  double seconds() const { return seconds_; }
  int64_t calls() const { return calls_; }

 private:
  std::vector<at::Tensor> params_;
  CommunicatorPtr comm_;
  std::vector<std::vector<size_t>> buckets_;
  double seconds_ = 0;
  int64_t calls_ = 0;
};

/// Copies rank `root`'s values of `tensors` (parameters and buffers) to every rank.
void broadcastTensors(const std::vector<at::Tensor>& tensors, const CommunicatorPtr& comm, int root = 0);

}  // namespace fmcib::dist
