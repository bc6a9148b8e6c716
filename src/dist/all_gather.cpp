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
  static variable_list forward(AutogradContext* ctx, const torch::Tensor& x, CommunicatorPtr comm,
                               bool allReduce) {
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
    ctx->saved_data["all_reduce"] = allReduce;
    return parts;
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    auto capsule = c10::static_intrusive_pointer_cast<CommCapsule>(ctx->saved_data["comm"].toCapsule());
    const int64_t rank = ctx->saved_data["rank"].toInt();
    // lightly 1.4.19: `grads[rank]`, this rank's own loss through its own slice; nothing is sent.
    if (!ctx->saved_data["all_reduce"].toBool())
      return {grads[rank].clone(), torch::Tensor(), torch::Tensor()};
    // Undefined gradients (outputs that did not reach the loss) are materialized as zeros by the
    // autograd engine, so every rank contributes a full stack to the all-reduce.
    std::vector<torch::Tensor> summed{torch::stack(grads).contiguous()};
    capsule->comm->allReduceSum(summed);
    return {summed[0][rank], torch::Tensor(), torch::Tensor()};
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

const char* gatherBackwardName(GatherBackward g) {
  return g == GatherBackward::kOwn ? "own" : "all_reduce";
}

GatherBackward parseGatherBackward(const std::string& name) {
  if (name == "own") return GatherBackward::kOwn;
  if (name == "all_reduce") return GatherBackward::kAllReduce;
  throw ConfigError(
      "gather_backward must be 'own' (lightly 1.4.19) or 'all_reduce' (lightly >= 1.5.4), got '" + name +
      "'");
}

std::vector<at::Tensor> allGatherWithGrad(const at::Tensor& x, const CommunicatorPtr& comm,
                                          GatherBackward backward) {
  if (!comm) throw RuntimeError("allGatherWithGrad: no communicator");
  return AllGatherFunction::apply(x, comm, backward == GatherBackward::kAllReduce);
}

at::Tensor allGatherCat(const at::Tensor& x, const CommunicatorPtr& comm, GatherBackward backward) {
  if (comm && comm->worldSize() == 1) return x;
  return torch::cat(allGatherWithGrad(x, comm, backward), 0);
}

}  // namespace fmcib::dist
