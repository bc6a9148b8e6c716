#pragma once
/// Where this process sits in a distributed run, from the environment variables launchers set
/// (DESIGN §9): fmcib's own launcher and torchrun (`RANK`, `LOCAL_RANK`, `WORLD_SIZE`,
/// `LOCAL_WORLD_SIZE`, `MASTER_ADDR`, `MASTER_PORT`), or SLURM (`SLURM_PROCID`, `SLURM_LOCALID`,
/// `SLURM_NTASKS`, `SLURM_NTASKS_PER_NODE`; the master from `MASTER_ADDR` or the first host of
/// `SLURM_NODELIST`, the port from `MASTER_PORT` or the job id, as Lightning's SLURMEnvironment).
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "fmcib/dist/communicator.hpp"

namespace fmcib::dist {

struct WorldEnv {
  int rank = 0;
  int localRank = 0;
  int worldSize = 1;
  int localWorldSize = 1;
  std::string masterAddr = "127.0.0.1";
  int masterPort = 29500;
  std::string source;  ///< "torchrun" (RANK & co, also fmcib's launcher) or "slurm"
};

/// The world the environment describes, or nullopt when it describes none (a plain process).
/// ConfigError naming the variable when one is malformed or they contradict each other.
std::optional<WorldEnv> worldFromEnvironment();

struct ProcessGroupOptions {
  /// "gloo" (CPU tensors) or "nccl" (CUDA tensors; only when this LibTorch build has NCCL).
  std::string backend = "gloo";
  /// Rendezvous and collective timeout: a peer that died or hangs surfaces as an error after it.
  std::chrono::milliseconds timeout{std::chrono::minutes(30)};
};

/// True when this build can create NCCL process groups.
bool ncclAvailable();

/// Joins the world over a c10d TCPStore (rank 0 hosts it) and a Gloo or NCCL process group.
/// RuntimeError naming the master address when the rendezvous fails within the timeout.
CommunicatorPtr makeC10dCommunicator(const WorldEnv& world, const ProcessGroupOptions& options);

}  // namespace fmcib::dist
