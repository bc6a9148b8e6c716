#include "fmcib/dist/all_gather.hpp"

#include <torch/csrc/autograd/custom_function.h>
#include <torch/torch.h>

#include "fmcib/config/error.hpp"

namespace fmcib::dist {

namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

// The communicator rides in the autograd context as an IValue capsule (no class registration
// needed), so backward reaches the same communicator the forward used.
struct CommCapsule : torch::CustomClassHolder {
  explicit CommCapsule(CommunicatorPtr c) : comm(std::move(c)) {}
  CommunicatorPtr comm;
};

class AllGatherFunction : public torch::autograd::Function<AllGatherFunction> {
 public:
  static variable_list forward(AutogradContext* ctx, const torch::Tensor& x, CommunicatorPtr comm) {
    torch::Tensor input = x.contiguous();
    std::vector<torch::Tensor> parts = comm->allGather(input);
    if (static_cast<int>(parts.size()) != comm->worldSize())
      throw RuntimeError("allGather returned " + std::to_string(parts.size()) + " tensors for a world of " +
                         std::to_string(comm->worldSize()));
    // Outputs must be fresh tensors: an output that aliases the input would make autograd treat it
    // as a view of the input.
    for (auto& p : parts)
      if (p.is_same(x) || p.is_same(input)) p = input.clone();
    ctx->saved_data["comm"] = c10::IValue::make_capsule(c10::make_intrusive<CommCapsule>(comm));
    ctx->saved_data["rank"] = static_cast<int64_t>(comm->rank());
    return parts;
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    auto capsule = c10::static_intrusive_pointer_cast<CommCapsule>(ctx->saved_data["comm"].toCapsule());
    const int64_t rank = ctx->saved_data["rank"].toInt();
    // Undefined gradients (outputs that did not reach the loss) are materialized as zeros by the
    // autograd engine, so every rank contributes a full stack to the all-reduce.
    std::vector<torch::Tensor> summed{torch::stack(grads).contiguous()};
    capsule->comm->allReduceSum(summed);
    return {summed[0][rank], torch::Tensor()};
  }
};

// Sum over ranks whose gradient is the sum of every rank's gradient: each rank's loss depends on
// the global sum, so d(Σ_r loss_r)/d(local input) = Σ_r d(loss_r)/d(sum).
class AllReduceFunction : public torch::autograd::Function<AllReduceFunction> {
 public:
  static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& x, CommunicatorPtr comm) {
    std::vector<torch::Tensor> out{x.clone()};
    comm->allReduceSum(out);
    ctx->saved_data["comm"] = c10::IValue::make_capsule(c10::make_intrusive<CommCapsule>(comm));
    return out[0];
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    auto capsule = c10::static_intrusive_pointer_cast<CommCapsule>(ctx->saved_data["comm"].toCapsule());
    std::vector<torch::Tensor> summed{grads[0].contiguous().clone()};
    capsule->comm->allReduceSum(summed);
    return {summed[0], torch::Tensor()};
  }
};

}  // namespace

at::Tensor allReduceSumWithGrad(const at::Tensor& x, const CommunicatorPtr& comm) {
  if (!comm) throw RuntimeError("allReduceSumWithGrad: no communicator");
  return AllReduceFunction::apply(x, comm);
}

std::vector<at::Tensor> allGatherWithGrad(const at::Tensor& x, const CommunicatorPtr& comm) {
  if (!comm) throw RuntimeError("allGatherWithGrad: no communicator");
  return AllGatherFunction::apply(x, comm);
}

at::Tensor allGatherCat(const at::Tensor& x, const CommunicatorPtr& comm) {
  if (comm && comm->worldSize() == 1) return x;
  return torch::cat(allGatherWithGrad(x, comm), 0);
}

}  // namespace fmcib::dist
