// CUDA/NCCL check of the c10d communicator (not in CTest: it needs a GPU and a CUDA LibTorch).
// One GPU allows a world of one NCCL rank (NCCL refuses two ranks on one device), which still
// exercises the TCPStore rendezvous, ProcessGroupNCCL creation and every collective on CUDA
// tensors (and CPU tensors travelling through the GPU), plus SyncBatchNorm's differentiable
// all-reduces against plain BatchNorm. tests/dist/gpu/nccl_check.sh builds and runs it.
#include <torch/torch.h>

#include <iostream>

#include "fmcib/dist/all_gather.hpp"
#include "fmcib/dist/launcher.hpp"
#include "fmcib/dist/world.hpp"
#include "fmcib/models/batch_norm.hpp"

static int failures = 0;
static void check(bool ok, const std::string& what) {
  std::cout << (ok ? "ok    " : "FAIL  ") << what << std::endl;
  if (!ok) ++failures;
}

int main() {
  using namespace fmcib;
  if (!torch::cuda::is_available()) {
    std::cout << "FAIL  no CUDA device" << std::endl;
    return 1;
  }
  check(dist::ncclAvailable(), "this build has NCCL");
  setenv("RANK", "0", 1);
  setenv("WORLD_SIZE", "1", 1);
  setenv("MASTER_ADDR", "127.0.0.1", 1);
  setenv("MASTER_PORT", std::to_string(dist::freePort()).c_str(), 1);
  auto world = dist::worldFromEnvironment();
  dist::ProcessGroupOptions o;
  o.backend = "nccl";
  o.timeout = std::chrono::seconds(60);
  auto comm = dist::makeC10dCommunicator(*world, o);
  const auto cuda = torch::TensorOptions().device(torch::kCUDA);
  std::vector<at::Tensor> t{torch::arange(6, cuda.dtype(torch::kFloat))};
  comm->allReduceSum(t);
  check(torch::equal(t[0].cpu(), torch::arange(6, torch::kFloat)), "all-reduce of a CUDA tensor");
  std::vector<at::Tensor> c{torch::tensor({2.5, 1.0}, torch::kDouble)};
  comm->allReduceSum(c);
  check(c[0].device().is_cpu() && c[0][0].item<double>() == 2.5, "all-reduce of a CPU tensor via the GPU");
  auto parts = comm->allGather(torch::ones({3, 2}, cuda));
  check(parts.size() == 1 && parts[0].is_cuda() && parts[0].sum().item<float>() == 6, "all-gather");
  std::vector<at::Tensor> b{torch::tensor({7}, torch::kLong)};
  comm->broadcast(b, 0);
  check(b[0].item<int64_t>() == 7, "broadcast");
  comm->barrier();
  check(true, "barrier");

  torch::manual_seed(0);
  at::Tensor x = (torch::randn({4, 3, 4, 4, 4}) * 3 + 1).to(torch::kCUDA);
  models::BatchNorm3d plain(3), synced(3);
  plain->to(torch::kCUDA);
  synced->to(torch::kCUDA);
  models::setSyncBatchNorm(*synced, comm);
  at::Tensor xa = x.clone().requires_grad_(), xb = x.clone().requires_grad_();
  at::Tensor ya = plain->forward(xa), yb = synced->forward(xb);
  check(torch::allclose(ya, yb, 1e-4, 1e-5), "SyncBatchNorm forward over NCCL = BatchNorm");
  (ya * ya).sum().backward();
  (yb * yb).sum().backward();
  check(torch::allclose(xa.grad(), xb.grad(), 1e-3, 1e-4), "SyncBatchNorm backward over NCCL = BatchNorm");
  check(torch::allclose(plain->running_var, synced->running_var, 1e-4, 1e-5), "running variance");
  std::cout << (failures ? "FAILED " : "PASSED ") << failures << " failure(s)" << std::endl;
  return failures ? 1 : 0;
}
