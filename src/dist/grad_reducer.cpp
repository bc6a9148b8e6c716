#include "fmcib/dist/grad_reducer.hpp"

#include <torch/torch.h>

#include <chrono>

#include "fmcib/config/error.hpp"

namespace fmcib::dist {

GradientReducer::GradientReducer(std::vector<at::Tensor> params, CommunicatorPtr comm, int64_t bucketBytes)
    : params_(std::move(params)), comm_(std::move(comm)) {
  if (!comm_) throw RuntimeError("GradientReducer: no communicator");
  if (bucketBytes < 1) throw ConfigError("bucket_cap_mb must be > 0");
  // Buckets never mix dtypes or devices: each is one flat tensor.
  std::vector<size_t> current;
  int64_t bytes = 0;
  for (size_t k = params_.size(); k-- > 0;) {
    const at::Tensor& p = params_[k];
    const int64_t size = p.numel() * static_cast<int64_t>(p.element_size());
    const bool compatible = current.empty() || (params_[current.front()].scalar_type() == p.scalar_type() &&
                                                params_[current.front()].device() == p.device());
    if (!current.empty() && (!compatible || bytes + size > bucketBytes)) {
      buckets_.push_back(std::move(current));
      current.clear();
      bytes = 0;
    }
    current.push_back(k);
    bytes += size;
  }
  if (!current.empty()) buckets_.push_back(std::move(current));
}

void GradientReducer::reduce() {
  const int world = comm_->worldSize();
  if (world == 1) return;
  const auto start = std::chrono::steady_clock::now();
  torch::NoGradGuard noGrad;
  for (const auto& bucket : buckets_) {
    // Each bucket carries one flag per parameter (did this rank have a gradient), so a parameter
    // that no rank used keeps no gradient — as in a single process — instead of a zero one.
    std::vector<at::Tensor> flat;
    std::vector<double> hasGrad;
    for (size_t k : bucket) {
      const at::Tensor& p = params_[k];
      at::Tensor g = p.grad();
      flat.push_back(g.defined() ? g.reshape({-1}) : torch::zeros({p.numel()}, p.options()));
      hasGrad.push_back(g.defined() ? 1.0 : 0.0);
    }
    const at::Tensor& first = params_[bucket.front()];
    flat.push_back(torch::tensor(hasGrad, torch::kDouble).to(first.options()));
    std::vector<at::Tensor> packed{torch::cat(flat)};
    comm_->allReduceSum(packed);
    at::Tensor used = packed[0]
                          .narrow(0, packed[0].numel() - static_cast<int64_t>(bucket.size()),
                                  static_cast<int64_t>(bucket.size()))
                          .to(torch::kCPU, torch::kDouble);
    packed[0].div_(static_cast<double>(world));
    int64_t offset = 0;
    for (size_t b = 0; b < bucket.size(); ++b) {
      at::Tensor& p = params_[bucket[b]];
      at::Tensor part = packed[0].narrow(0, offset, p.numel()).view_as(p);
      offset += p.numel();
      if (used[static_cast<int64_t>(b)].item<double>() == 0) continue;
      if (p.grad().defined())
        p.mutable_grad().copy_(part);
      else
        p.mutable_grad() = part.clone();
    }
  }
  seconds_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ++calls_;
}

void broadcastTensors(const std::vector<at::Tensor>& tensors, const CommunicatorPtr& comm, int root) {
  if (!comm || comm->worldSize() == 1 || tensors.empty()) return;
  torch::NoGradGuard noGrad;
  // One flat transfer per dtype/device run keeps the number of collectives small.
  size_t i = 0;
  while (i < tensors.size()) {
    size_t j = i;
    std::vector<at::Tensor> flat;
    while (j < tensors.size() && tensors[j].scalar_type() == tensors[i].scalar_type() &&
           tensors[j].device() == tensors[i].device()) {
      flat.push_back(tensors[j].detach().reshape({-1}));
      ++j;
    }
    std::vector<at::Tensor> packed{torch::cat(flat)};
    comm->broadcast(packed, root);
    int64_t offset = 0;
    for (size_t k = i; k < j; ++k) {
      at::Tensor t = tensors[k];
      t.detach().copy_(packed[0].narrow(0, offset, t.numel()).view_as(t));
      offset += t.numel();
    }
    i = j;
  }
}

}  // namespace fmcib::dist
