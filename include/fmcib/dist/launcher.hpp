#pragma once
/// Starts the ranks of a one-node run as child processes of this one (DESIGN §9), as
/// `torchrun --nproc_per_node N` would: each child is this executable with the same arguments and
/// RANK, LOCAL_RANK, WORLD_SIZE, LOCAL_WORLD_SIZE, MASTER_ADDR=127.0.0.1, MASTER_PORT (a free port).
///
/// Output: every line a child prints is forwarded with a `[rank R] ` prefix (stdout to stdout,
/// stderr to stderr). Failure: when a rank exits non-zero or is killed, the others get `grace` to
/// finish on their own (their collectives fail once the peer is gone), then SIGKILL; the launcher
/// returns the first failure's status (128 + signal for a killed rank). SIGINT/SIGTERM sent to the
/// launcher are forwarded to every rank (they finish the step, write last.ckpt, exit 130/143).
/// No rank outlives the launcher: each dies with it even when it is killed with SIGKILL
/// (PR_SET_PDEATHSIG, armed before exec); the ranks share one process group, which the launcher
/// kills whenever it returns or throws (a failure while starting rank k stops ranks 0..k-1), so
/// processes the ranks started go too.
#include <chrono>
#include <string>
#include <vector>

namespace fmcib::dist {

struct LaunchOptions {
  int nprocs = 1;
  std::chrono::milliseconds grace{std::chrono::seconds(15)};
  /// Empty: this process's executable and arguments (/proc/self/exe, /proc/self/cmdline).
  std::string executable;
  std::vector<std::string> args;
};

/// Runs the ranks to completion; returns 0 or the first failing rank's status.
int launchLocalRanks(const LaunchOptions& options);

/// A TCP port that was free on 127.0.0.1 a moment ago.
int freePort();

}  // namespace fmcib::dist
