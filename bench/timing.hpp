#pragma once
// Timing helpers of the benchmarks: thread CPU time (the machine is shared, so wall time
// overstates the cost) and wall time, minimum over passes.
#include <time.h>

#include <algorithm>
#include <chrono>
#include <functional>

namespace fmcib::bench {

inline double threadCpuMs() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
}

struct Timing {
  double cpu = 1e300, wall = 1e300;  // ms per call, minimum over passes
};

/// The mean time per call of fn over n calls, minimum over reps passes.
inline Timing measure(int reps, int n, const std::function<void(int)>& fn) {
  using Clock = std::chrono::steady_clock;
  Timing t;
  for (int r = 0; r < reps; ++r) {
    const auto w0 = Clock::now();
    const double c0 = threadCpuMs();
    for (int i = 0; i < n; ++i) fn(i);
    t.cpu = std::min(t.cpu, (threadCpuMs() - c0) / n);
    t.wall = std::min(t.wall, std::chrono::duration<double, std::milli>(Clock::now() - w0).count() / n);
  }
  return t;
}

}  // namespace fmcib::bench
