#include "fmcib/engine/run.hpp"

#include <spdlog/spdlog.h>
#include <torch/torch.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <random>

#include "fmcib/common/parse_number.hpp"
#include "fmcib/data/thread_plan.hpp"
#include "fmcib/dist/communicator.hpp"
#include "fmcib/dist/launcher.hpp"
#include "fmcib/dist/world.hpp"
#include "fmcib/engine/strategy.hpp"
#include "fmcib/engine/trainer.hpp"

namespace fmcib::engine {

uint64_t resolveSeed(const config::Config& cfg, int64_t cliSeed) {
  if (const char* env = std::getenv("PL_GLOBAL_SEED"); env && *env)
    return static_cast<uint64_t>(requireInt(env, "environment variable PL_GLOBAL_SEED", 0));
  if (cliSeed >= 0) return static_cast<uint64_t>(cliSeed);
  if (cfg.contains("vars#seed")) {
    config::Value v = cfg.resolve("vars#seed");
    if (!v.isNull()) {
      if (!v.isInt() || v.asInt() < 0)
        throw ConfigError(cfg.locate("vars#seed") + ": vars#seed must be a non-negative int");
      return static_cast<uint64_t>(v.asInt());
    }
  }
  std::random_device rd;
  const uint64_t seed = rd() & 0xFFFFFFFFu;
  spdlog::info("no seed given (PL_GLOBAL_SEED, --seed, vars#seed): using {}", seed);
  return seed;
}

void seedEverything(uint64_t seed) {
  setenv("PL_GLOBAL_SEED", std::to_string(seed).c_str(), 1);
  torch::manual_seed(seed);
  if (torch::cuda::is_available()) torch::cuda::manual_seed_all(seed);
  spdlog::info("seed set to {}", seed);
}

namespace {

std::string commandCkptPath(const std::string& command, const config::Config& cfg) {
  config::Value args = cfg.commandArgs(command);
  std::vector<std::string> allowed{"ckpt_path"};
  if (command == "validate" || command == "test") allowed.push_back("verbose");
  if (command == "predict") allowed.push_back("return_predictions");
  std::string ckpt;
  for (const auto& [k, v] : args.asMap()) {
    if (std::find(allowed.begin(), allowed.end(), k) == allowed.end()) {
      std::string names;
      for (const auto& a : allowed) names += (names.empty() ? "" : ", ") + a;
      throw ConfigError(cfg.locate("args#" + command + "#" + k) + ": args#" + command + "#" + k +
                        ": unknown argument of '" + command + "' (accepted: " + names + ")");
    }
    if (k == "ckpt_path" && !v.isNull()) {
      if (!v.isString())
        throw ConfigError("args#" + command + "#ckpt_path: expected a path, got " + v.kindName());
      ckpt = v.asString();
    }
  }
  return ckpt;
}

/// The most CPU ranks fmcib starts on this machine: one per core, unless FMCIB_MAX_CPU_RANKS says
/// otherwise (an explicit request to oversubscribe).
int64_t maxCpuRanks() {
  const char* env = std::getenv("FMCIB_MAX_CPU_RANKS");
  if (!env || !*env) return data::availableCores();
  char* end = nullptr;
  errno = 0;
  const long long v = std::strtoll(env, &end, 10);
  if (errno != 0 || *end != '\0' || v < 1)
    throw ConfigError(std::string("FMCIB_MAX_CPU_RANKS='") + env + "' is not a positive integer");
  return v;
}

void checkCpuWorld(const config::Config& cfg, const WorldPlan& plan) {
  if (plan.cuda) return;
  const int64_t cap = maxCpuRanks();
  if (plan.devicesPerNode <= cap) return;
  const bool fromEnv = std::getenv("FMCIB_MAX_CPU_RANKS") && *std::getenv("FMCIB_MAX_CPU_RANKS");
  throw ConfigError(
      (cfg.contains("trainer#devices") ? cfg.locate("trainer#devices") + ": " : std::string()) +
      "trainer#devices: " + std::to_string(plan.devicesPerNode) + " CPU ranks requested, " +
      (fromEnv ? "more than FMCIB_MAX_CPU_RANKS=" + std::to_string(cap)
               : "but this machine has " + std::to_string(cap) + " core(s) for this process") +
      "; each rank is a full process (model, loader threads). Ask for fewer, or set FMCIB_MAX_CPU_RANKS=" +
      std::to_string(plan.devicesPerNode) + " to start that many anyway");
}

template <class T>
std::shared_ptr<T> resolveObject(const config::Config& cfg, const std::string& key, const char* expected) {
  if (!cfg.contains(key)) throw ConfigError("the config has no '" + key + "' (expected " + expected + ")");
  config::Value v = cfg.resolve(key);
  if (!v.holds<T>())
    throw ConfigError(cfg.locate(key) + ": '" + key + "' must be a " + expected + " component, got " +
                      v.kindName());
  return v.as<T>();
}

}  // namespace

int runEngine(const std::string& command, const config::Config& cfg, const RunOptions& options) {
  if (command != "fit" && command != "validate" && command != "test" && command != "predict")
    throw ConfigError("unknown command '" + command + "' (fit, validate, test, predict)");
  RunContext ctx;
  ctx.ckptPath = options.ckptPath.empty() ? commandCkptPath(command, cfg) : options.ckptPath;
  ctx.seed = resolveSeed(cfg, options.seed);
  const WorldPlan plan = planWorld(cfg);
  const std::optional<dist::WorldEnv> env = dist::worldFromEnvironment();
  if (!env && plan.worldSize() > 1) {
    if (plan.numNodes > 1)
      throw ConfigError(cfg.locate("trainer#num_nodes") + ": trainer#num_nodes is " +
                        std::to_string(plan.numNodes) +
                        ": start one fmcib per node with torchrun (--nnodes, --node_rank, --master_addr) or "
                        "srun, which set RANK/WORLD_SIZE/MASTER_ADDR/MASTER_PORT (see README, Distributed)");
    checkCpuWorld(cfg, plan);
    // The children inherit the seed, so a run without one still trains one model on one data order.
    setenv("PL_GLOBAL_SEED", std::to_string(ctx.seed).c_str(), 1);
    dist::LaunchOptions launch;
    launch.nprocs = plan.devicesPerNode;
    return dist::launchLocalRanks(launch);
  }
  WorldScope world(plan, env);
  ctx.seed = world.agreeOnSeed(ctx.seed);
  // Seeded before anything is built: model initialization draws from torch's generator.
  seedEverything(ctx.seed);
  ctx.configYaml = cfg.printResolved();
  auto trainer = resolveObject<Trainer>(cfg, "trainer", "pytorch_lightning.Trainer");
  auto system = resolveObject<System>(cfg, "system", "lighter.LighterSystem");
  if (command == "fit") {
    const int status = trainer->fit(*system, ctx);
    if (options.afterFitOnRankZero && dist::processCommunicator()->rank() == 0) options.afterFitOnRankZero();
    return status;
  }
  if (command == "validate") return trainer->validate(*system, ctx);
  if (command == "test") return trainer->test(*system, ctx);
  return trainer->predict(*system, ctx);
}

}  // namespace fmcib::engine
