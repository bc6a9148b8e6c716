#include "fmcib/engine/strategy.hpp"

#include <spdlog/spdlog.h>
#include <torch/torch.h>

#include "fmcib/dist/communicator.hpp"
#include "fmcib/engine/accelerator.hpp"

namespace fmcib::engine {

namespace {

config::Value trainerKey(const config::Config& cfg, const std::string& key, config::Value fallback) {
  const std::string path = "trainer#" + key;
  return cfg.contains(path) ? cfg.resolve(path) : fallback;
}

}  // namespace

WorldPlan planWorld(const config::Config& cfg) {
  WorldPlan plan;
  const config::Value strategy = trainerKey(cfg, "strategy", config::Value());
  if (strategy.holds<StrategyOptions>())
    plan.strategy = *strategy.as<StrategyOptions>();
  else if (strategy.isString())
    plan.strategy.name = strategy.asString();
  const config::Value accelerator = trainerKey(cfg, "accelerator", std::string("auto"));
  const config::Value nodes = trainerKey(cfg, "num_nodes", int64_t{1});
  plan.numNodes = nodes.isInt() ? static_cast<int>(nodes.asInt()) : 1;
  const DeviceChoice device =
      resolveDevice(accelerator.isString() ? accelerator.asString() : "auto",
                    trainerKey(cfg, "devices", std::string("auto")),
                    trainerKey(cfg, "precision", std::string("32-true")), 0, "trainer");
  plan.cuda = device.device.is_cuda();
  plan.devicesPerNode = static_cast<int>(device.requestedDevices);
  if (plan.strategy.name == "single_device" && plan.worldSize() > 1)
    throw ConfigError(cfg.locate("trainer#strategy") +
                      ": trainer#strategy: single_device runs one process, but " +
                      std::to_string(plan.worldSize()) + " devices are requested (use ddp)");
  return plan;
}

WorldScope::WorldScope(const WorldPlan& plan, const std::optional<dist::WorldEnv>& env) {
  if (!env) return;
  if (env->worldSize != plan.worldSize())
    spdlog::warn("the environment describes {} ranks ({}), the trainer asks for {} device(s) x {} node(s)",
                 env->worldSize, env->source, plan.devicesPerNode, plan.numNodes);
  dist::ProcessGroupOptions o;
  o.backend = plan.strategy.backend.empty() ? (plan.cuda && dist::ncclAvailable() ? "nccl" : "gloo")
                                            : plan.strategy.backend;
  o.timeout = std::chrono::milliseconds(static_cast<int64_t>(plan.strategy.timeoutSeconds * 1000));
  dist::setProcessCommunicator(dist::makeC10dCommunicator(*env, o));
  joined_ = true;
}

WorldScope::~WorldScope() {
  if (joined_) dist::setProcessCommunicator(nullptr);
}

uint64_t WorldScope::agreeOnSeed(uint64_t seed) const {
  auto comm = dist::processCommunicator();
  if (comm->worldSize() == 1) return seed;
  std::vector<at::Tensor> t{torch::tensor({static_cast<int64_t>(seed)}, torch::kLong)};
  comm->broadcast(t, 0);
  return static_cast<uint64_t>(t[0].item<int64_t>());
}

}  // namespace fmcib::engine
