#include "fmcib/data/thread_plan.hpp"

#include <ATen/Parallel.h>
#include <sched.h>

#include <algorithm>
#include <cstdlib>
#include <limits>
#include <thread>

#include "fmcib/common/parse_number.hpp"

#include "fmcib/config/error.hpp"

// libgomp comes with LibTorch's OpenMP build; a weak reference needs no OpenMP flags here and stays
// null when the runtime is absent.
extern "C" void omp_set_num_threads(int) __attribute__((weak));

namespace fmcib::data {

ThreadPlan planThreads(const ThreadRequest& r) {
  if (r.cores < 1)
    throw ConfigError("thread planning needs at least one core, got " + std::to_string(r.cores));
  if (r.localRanks < 1)
    throw ConfigError("thread planning needs at least one rank per node, got " +
                      std::to_string(r.localRanks));
  ThreadPlan p;
  p.coresPerRank = std::max<int64_t>(1, r.cores / r.localRanks);
  if (r.numWorkers >= 0)
    p.loaderThreads = r.numWorkers;
  else if (r.gpu)
    p.loaderThreads = std::max<int64_t>(1, p.coresPerRank - 1);
  else
    p.loaderThreads = std::max<int64_t>(1, p.coresPerRank / 4);
  p.torchThreads =
      r.torchThreads > 0 ? r.torchThreads : std::max<int64_t>(1, p.coresPerRank - p.loaderThreads);
  p.oversubscribed = p.loaderThreads + p.torchThreads > p.coresPerRank;
  return p;
}

std::string ThreadPlan::summary(const ThreadRequest& r) const {
  std::string s = "threads: " + std::to_string(r.cores) + " cores, " + std::to_string(r.localRanks) +
                  (r.localRanks == 1 ? " rank" : " ranks") + " on this node → " +
                  std::to_string(coresPerRank) + " per rank: " + std::to_string(loaderThreads) + " loader" +
                  (r.numWorkers >= 0 ? " (num_workers)" : " (auto)") + " + " + std::to_string(torchThreads) +
                  " torch intra-op" + (r.torchThreads > 0 ? " (override)" : " (auto)");
  if (oversubscribed) s += "; more threads than cores: expect contention";
  return s;
}

int64_t availableCores() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) == 0) {
    const int n = CPU_COUNT(&set);
    if (n > 0) return n;
  }
  return std::max<int64_t>(1, static_cast<int64_t>(std::thread::hardware_concurrency()));
}

int64_t torchThreadsFromEnv() {
  const char* env = std::getenv("OMP_NUM_THREADS");
  if (!env || !*env) return 0;
  const std::optional<int64_t> v = parseInt64(env);  // anything else is left to OpenMP to judge
  return (v && *v > 0 && *v <= std::numeric_limits<int>::max()) ? *v : 0;
}

void applyThreadPlan(const ThreadPlan& plan) {
  at::set_num_threads(static_cast<int>(std::max<int64_t>(1, plan.torchThreads)));
}

void setThreadLocalIntraOpThreads(int n) {
  // ATen's OpenMP backend sizes each parallel region from the calling thread's ICV; a fresh
  // std::thread starts with OMP_NUM_THREADS or every core.
  if (omp_set_num_threads) omp_set_num_threads(std::max(1, n));
}

}  // namespace fmcib::data
