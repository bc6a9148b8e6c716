#pragma once
/// Thread budgeting: how a node's cores are split between data-loader threads and torch's intra-op
/// threads, per training process (rank). Pure, so it is unit-tested; the trainer and
/// `fmcib benchmark` apply it with applyThreadPlan() and log ThreadPlan::summary().
///
/// Rules (cores per rank = max(1, cores / localRanks)):
///   - loader threads: `numWorkers` when ≥ 0 (the config's system#num_workers is honoured as
///     given); when automatic (< 0), on a GPU every core but one (the step runs on the GPU, the
///     main thread only launches it), on a CPU a quarter of the cores (the step needs them), ≥ 1;
///   - torch intra-op threads: `torchThreads` when > 0; else the cores left after the loader
///     threads, ≥ 1;
///   - `oversubscribed` when loader + torch threads exceed the cores per rank.
/// Loader threads themselves run torch ops single-threaded (DataLoader workers call
/// setThreadLocalIntraOpThreads(1)), so they never fan out into the intra-op pool.
#include <cstdint>
#include <string>

namespace fmcib::data {

struct ThreadRequest {
  int64_t cores = 1;         ///< cores this node gives the job (availableCores())
  int64_t localRanks = 1;    ///< training processes on this node
  int64_t numWorkers = -1;   ///< system#num_workers; < 0 = automatic
  int64_t torchThreads = 0;  ///< intra-op threads override; ≤ 0 = automatic
  bool gpu = false;          ///< the step runs on a GPU
};

struct ThreadPlan {
  int64_t coresPerRank = 1;
  int64_t loaderThreads = 0;
  int64_t torchThreads = 1;
  bool oversubscribed = false;
  /// "threads: 16 cores, 2 ranks → 8 per rank: 7 loader + 1 torch intra-op"
  std::string summary(const ThreadRequest& request) const;
};

ThreadPlan planThreads(const ThreadRequest& request);

/// Cores this process may run on (sched_getaffinity, else std::thread::hardware_concurrency), ≥ 1.
int64_t availableCores();

/// OMP_NUM_THREADS when set to a positive integer (the usual way to pin torch's intra-op threads),
/// else 0 (automatic): the default for ThreadRequest::torchThreads.
int64_t torchThreadsFromEnv();

/// Sets torch's intra-op threads (at::set_num_threads) to plan.torchThreads.
void applyThreadPlan(const ThreadPlan& plan);

/// Limits torch ops run by the calling thread to `n` threads (OpenMP's per-thread setting), without
/// changing the process-wide intra-op pool; loader threads call it with 1.
void setThreadLocalIntraOpThreads(int n);

}  // namespace fmcib::data
