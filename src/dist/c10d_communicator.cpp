// The c10d communicator: LibTorch's own TCPStore rendezvous and Gloo / NCCL process groups (no
// home-made transport). The process-group headers compile only with their USE_C10D_* macro, which
// LibTorch's CMake config does not export; the Debian build has Gloo, CUDA builds also NCCL.
#ifndef USE_C10D_GLOO
#define USE_C10D_GLOO 1
#endif
#if defined(FMCIB_WITH_NCCL) && !defined(USE_C10D_NCCL)
#define USE_C10D_NCCL 1
#endif
#include <spdlog/spdlog.h>
#include <torch/torch.h>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#ifdef FMCIB_WITH_NCCL
#include <c10/cuda/CUDAFunctions.h>
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif

#include <csignal>

#include "fmcib/common/torch_compat.hpp"
#include "fmcib/config/error.hpp"
#include "fmcib/dist/world.hpp"

namespace fmcib::dist {

namespace {

// Holds the concrete group type: LibTorch 1.13's ProcessGroup and 2.x's Backend share these calls.
template <class Group>
class C10dCommunicator : public Communicator {
 public:
  C10dCommunicator(c10::intrusive_ptr<c10d::Store> store, c10::intrusive_ptr<Group> group, int rank, int size,
                   std::optional<c10::Device> device)
      : store_(std::move(store)), group_(std::move(group)), rank_(rank), size_(size), device_(device) {}

  int rank() const override { return rank_; }
  int worldSize() const override { return size_; }

  void barrier() override { wait(group_->barrier(), "barrier"); }

  void broadcast(std::vector<at::Tensor>& tensors, int root) override {
    for (auto& t : tensors) {
      std::vector<at::Tensor> one{onDevice(t)};
      c10d::BroadcastOptions o;
      o.rootRank = root;
      wait(group_->broadcast(one, o), "broadcast");
      copyBack(one[0], t);
    }
  }

  void allReduceSum(std::vector<at::Tensor>& tensors) override {
    for (auto& t : tensors) {
      std::vector<at::Tensor> one{onDevice(t)};
      wait(group_->allreduce(one), "all-reduce");
      copyBack(one[0], t);
    }
  }

  std::vector<at::Tensor> allGather(const at::Tensor& tensor) override {
    std::vector<at::Tensor> input{onDevice(tensor)};
    std::vector<std::vector<at::Tensor>> output(1);
    for (int r = 0; r < size_; ++r) output[0].push_back(torch::empty_like(input[0]));
    wait(group_->allgather(output, input), "all-gather");
    std::vector<at::Tensor> parts;
    for (auto& p : output[0]) parts.push_back(p.to(tensor.device()));
    return parts;
  }

 private:
  // NCCL moves CUDA tensors only: CPU tensors (metrics, flags) travel through the rank's GPU.
  at::Tensor onDevice(const at::Tensor& t) const {
    at::Tensor c = t.contiguous();
    return device_ && c.device() != *device_ ? c.to(*device_) : c;
  }
  static void copyBack(const at::Tensor& result, at::Tensor& t) {
    if (!result.is_same(t)) t.copy_(result);
  }
  void wait(const c10::intrusive_ptr<c10d::Work>& work, const char* what) {
    try {
      work->wait();
    } catch (const std::exception& e) {
      throw RuntimeError(std::string("distributed ") + what + " failed on rank " + std::to_string(rank_) +
                         " (another rank stopped or the timeout passed): " + e.what());
    }
  }

  c10::intrusive_ptr<c10d::Store> store_;
  c10::intrusive_ptr<Group> group_;
  int rank_, size_;
  std::optional<c10::Device> device_;
};

c10::intrusive_ptr<c10d::Store> rendezvous(const WorldEnv& w, const ProcessGroupOptions& o) {
  c10d::TCPStoreOptions so;
  so.port = static_cast<std::uint16_t>(w.masterPort);
  so.isServer = w.rank == 0;
  so.numWorkers = static_cast<size_t>(w.worldSize);
  so.waitWorkers = true;
  so.timeout = o.timeout;
  compat::useClassicTcpStore(so);
  try {
    return c10::make_intrusive<c10d::TCPStore>(w.masterAddr, so);
  } catch (const std::exception& e) {
    throw RuntimeError("rank " + std::to_string(w.rank) + " could not join the world at " + w.masterAddr +
                       ":" + std::to_string(w.masterPort) + " (" + std::to_string(w.worldSize) +
                       " ranks): " + e.what());
  }
}

}  // namespace

bool ncclAvailable() {
#ifdef FMCIB_WITH_NCCL
  return torch::cuda::is_available();
#else
  return false;
#endif
}

CommunicatorPtr makeC10dCommunicator(const WorldEnv& w, const ProcessGroupOptions& o) {
  // A peer's socket closing must surface as an error in the collective, not kill this process.
  std::signal(SIGPIPE, SIG_IGN);
  auto store = rendezvous(w, o);
  spdlog::info("rank {}/{} (local {}) joined {}:{} over {}", w.rank, w.worldSize, w.localRank, w.masterAddr,
               w.masterPort, o.backend);
  if (o.backend == "nccl") {
#ifdef FMCIB_WITH_NCCL
    if (!torch::cuda::is_available()) throw ConfigError("process_group_backend nccl needs CUDA GPUs");
    const auto index =
        static_cast<c10::DeviceIndex>(w.localRank % std::max<int>(1, torch::cuda::device_count()));
    c10::cuda::set_device(index);
    auto opts = c10d::ProcessGroupNCCL::Options::create();
    opts->timeout = o.timeout;
    auto group = c10::make_intrusive<c10d::ProcessGroupNCCL>(store, w.rank, w.worldSize, opts);
    return std::make_shared<C10dCommunicator<c10d::ProcessGroupNCCL>>(store, group, w.rank, w.worldSize,
                                                                      c10::Device(c10::kCUDA, index));
#else
    throw ConfigError(
        "process_group_backend nccl: this fmcib was built against a LibTorch without NCCL "
        "(use gloo, or build against a CUDA LibTorch)");
#endif
  }
  if (o.backend != "gloo")
    throw ConfigError("process_group_backend '" + o.backend + "' is not supported (gloo, nccl)");
  auto opts = c10d::ProcessGroupGloo::Options::create(o.timeout);
  if (const char* ifname = std::getenv("GLOO_SOCKET_IFNAME"); ifname && *ifname)
    opts->devices.push_back(c10d::ProcessGroupGloo::createDeviceForInterface(ifname));
  else if (w.localWorldSize == w.worldSize)
    opts->devices.push_back(c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1"));
  else
    opts->devices.push_back(c10d::ProcessGroupGloo::createDefaultDevice());
  opts->threads = 2;
  try {
    auto group = c10::make_intrusive<c10d::ProcessGroupGloo>(store, w.rank, w.worldSize, opts);
    return std::make_shared<C10dCommunicator<c10d::ProcessGroupGloo>>(store, group, w.rank, w.worldSize,
                                                                      std::nullopt);
  } catch (const std::exception& e) {
    throw RuntimeError("rank " + std::to_string(w.rank) +
                       ": the Gloo process group could not connect: " + e.what());
  }
}

}  // namespace fmcib::dist
