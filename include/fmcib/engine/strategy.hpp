#pragma once
/// Lightning's `strategy` and the process world it implies (DESIGN §9).
///   strategy: auto | ddp | ddp_find_unused_parameters_{true,false} | single_device, or a
///   `pytorch_lightning.strategies.DDPStrategy` with process_group_backend, timeout, bucket_cap_mb.
/// A run with `devices: N > 1` (or `num_nodes > 1`) and auto/ddp is data-parallel: one process per
/// device. Started plainly, fmcib launches the N local ranks itself; started by torchrun or SLURM
/// (RANK/WORLD_SIZE or SLURM_* set), the process joins as its rank.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "fmcib/config/config.hpp"
#include "fmcib/dist/world.hpp"

namespace fmcib::engine {

struct StrategyOptions {
  std::string name = "auto";
  /// "" = NCCL for CUDA devices, Gloo for the CPU.
  std::string backend;
  double timeoutSeconds = 1800;
  double bucketCapMb = 25;
};

/// The process-level shape of a run, read from the config's trainer keys without building it.
struct WorldPlan {
  StrategyOptions strategy;
  int devicesPerNode = 1;
  int numNodes = 1;
  bool cuda = false;
  int worldSize() const { return devicesPerNode * numNodes; }
};

/// ConfigError naming the key when the strategy and devices contradict (single_device with 2).
WorldPlan planWorld(const config::Config& cfg);

/// For the duration of a run: joins the world the environment describes (installing a c10d
/// communicator as the process communicator) and leaves it at the end.
class WorldScope {
 public:
  WorldScope(const WorldPlan& plan, const std::optional<dist::WorldEnv>& env);
  ~WorldScope();
  WorldScope(const WorldScope&) = delete;
  WorldScope& operator=(const WorldScope&) = delete;
  /// Every rank takes rank 0's seed (ranks of a torchrun job may each have drawn their own).
  uint64_t agreeOnSeed(uint64_t seed) const;

 private:
  bool joined_ = false;
};

}  // namespace fmcib::engine
