#include <climits>
#include <cstdlib>
#include <string>

#include "fmcib/common/parse_number.hpp"
#include "fmcib/config/error.hpp"
#include "fmcib/dist/world.hpp"

namespace fmcib::dist {

namespace {

std::optional<std::string> env(const char* name) {
  const char* v = std::getenv(name);
  if (!v || !*v) return std::nullopt;
  return std::string(v);
}

int envInt(const char* name, int minimum) {
  const std::string s = env(name).value_or("");
  const std::optional<int64_t> v = parseInt64(s);
  if (!v || *v < minimum || *v > INT_MAX)
    throw ConfigError(std::string("environment variable ") + name + "='" + elide(s) +
                      "' must be an integer >= " + std::to_string(minimum));
  return static_cast<int>(*v);
}

int envIntOr(const char* name, int fallback, int minimum) {
  return env(name) ? envInt(name, minimum) : fallback;
}

// SLURM_NTASKS_PER_NODE may read "2" or "2(x3)".
int tasksPerNode(int fallback) {
  auto v = env("SLURM_NTASKS_PER_NODE");
  if (!v) return fallback;
  const std::optional<int64_t> n = parseInt64(v->substr(0, v->find_first_not_of("0123456789")));
  if (!n || *n > INT_MAX) return fallback;
  return std::max(1, static_cast<int>(*n));
}

// The first host of a SLURM node list: "node[03-05,07]" → "node03", "a,b" → "a".
std::string firstHost(const std::string& list) {
  const size_t bracket = list.find('[');
  const size_t comma = list.find(',');
  if (bracket == std::string::npos || (comma != std::string::npos && comma < bracket))
    return list.substr(0, comma);
  std::string inside = list.substr(bracket + 1);
  const size_t end = inside.find_first_of("-,]");
  return list.substr(0, bracket) + inside.substr(0, end);
}

void check(const WorldEnv& w, const char* rankVar, const char* sizeVar) {
  if (w.rank >= w.worldSize)
    throw ConfigError(std::string(rankVar) + "=" + std::to_string(w.rank) + " is not below " + sizeVar + "=" +
                      std::to_string(w.worldSize));
  if (w.localRank >= w.localWorldSize || w.localWorldSize > w.worldSize)
    throw ConfigError("inconsistent local rank " + std::to_string(w.localRank) + " of " +
                      std::to_string(w.localWorldSize) + " in a world of " + std::to_string(w.worldSize));
  if (w.masterPort < 1 || w.masterPort > 65535)
    throw ConfigError("MASTER_PORT=" + std::to_string(w.masterPort) + " is not a TCP port");
}

}  // namespace

std::optional<WorldEnv> worldFromEnvironment() {
  WorldEnv w;
  if (env("RANK") || env("WORLD_SIZE")) {
    for (const char* required : {"RANK", "WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT"})
      if (!env(required))
        throw ConfigError(std::string("environment variable ") + required +
                          " is not set, but RANK/WORLD_SIZE are: a distributed run needs RANK, WORLD_SIZE, "
                          "MASTER_ADDR and MASTER_PORT (torchrun sets them)");
    w.source = "torchrun";
    w.rank = envInt("RANK", 0);
    w.worldSize = envInt("WORLD_SIZE", 1);
    w.localRank = envIntOr("LOCAL_RANK", w.rank, 0);
    w.localWorldSize = envIntOr("LOCAL_WORLD_SIZE", w.worldSize, 1);
    w.masterAddr = *env("MASTER_ADDR");
    w.masterPort = envInt("MASTER_PORT", 1);
    check(w, "RANK", "WORLD_SIZE");
    return w;
  }
  // SLURM: only when it runs several tasks (an interactive allocation is one plain process).
  if (env("SLURM_NTASKS") && envInt("SLURM_NTASKS", 1) > 1 && env("SLURM_PROCID")) {
    w.source = "slurm";
    w.rank = envInt("SLURM_PROCID", 0);
    w.worldSize = envInt("SLURM_NTASKS", 1);
    w.localRank = envIntOr("SLURM_LOCALID", 0, 0);
    w.localWorldSize = tasksPerNode(w.worldSize);
    if (auto addr = env("MASTER_ADDR"))
      w.masterAddr = *addr;
    else if (auto nodes = env("SLURM_NODELIST"))
      w.masterAddr = firstHost(*nodes);
    else
      throw ConfigError("SLURM runs " + std::to_string(w.worldSize) +
                        " tasks but neither MASTER_ADDR nor SLURM_NODELIST is set");
    // Lightning's choice: a port derived from the job id, so all tasks of a job agree on it.
    w.masterPort =
        env("MASTER_PORT") ? envInt("MASTER_PORT", 1) : 15000 + envIntOr("SLURM_JOB_ID", 0, 0) % 10000;
    check(w, "SLURM_PROCID", "SLURM_NTASKS");
    return w;
  }
  return std::nullopt;
}

}  // namespace fmcib::dist
