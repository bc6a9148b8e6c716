#include "fmcib/data/stage_timer.hpp"

#include <time.h>

#include <atomic>

namespace fmcib::data {

namespace {

std::atomic<bool> gEnabled{false};
std::array<std::atomic<int64_t>, kNumStages> gCpuNs{};
std::array<std::atomic<int64_t>, kNumStages> gWallNs{};
std::array<std::atomic<int64_t>, kNumStages> gCalls{};

int64_t nanos(clockid_t clock) {
  timespec ts{};
  clock_gettime(clock, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

}  // namespace

const char* stageName(Stage stage) {
  switch (stage) {
    case Stage::kRead:
      return "read";
    case Stage::kResample:
      return "resample";
    case Stage::kCrop:
      return "crop";
    case Stage::kAugment:
      return "augment";
    case Stage::kCollate:
      return "collate";
    default:
      return "?";
  }
}

void enableStageTiming(bool on) {
  gEnabled.store(on, std::memory_order_relaxed);
}

bool stageTimingEnabled() {
  return gEnabled.load(std::memory_order_relaxed);
}

StageTotals stageTotals() {
  StageTotals t;
  for (int s = 0; s < kNumStages; ++s) {
    t.cpuSeconds[s] = static_cast<double>(gCpuNs[s].load()) * 1e-9;
    t.wallSeconds[s] = static_cast<double>(gWallNs[s].load()) * 1e-9;
    t.calls[s] = gCalls[s].load();
  }
  return t;
}

void resetStageTotals() {
  for (int s = 0; s < kNumStages; ++s) {
    gCpuNs[s].store(0);
    gWallNs[s].store(0);
    gCalls[s].store(0);
  }
}

ScopedStage::ScopedStage(Stage stage) : stage_(stage), on_(stageTimingEnabled()) {
  if (!on_) return;
  cpu0_ = nanos(CLOCK_THREAD_CPUTIME_ID);
  wall0_ = nanos(CLOCK_MONOTONIC);
}

ScopedStage::~ScopedStage() {
  if (!on_) return;
  const int s = static_cast<int>(stage_);
  gCpuNs[s].fetch_add(nanos(CLOCK_THREAD_CPUTIME_ID) - cpu0_, std::memory_order_relaxed);
  gWallNs[s].fetch_add(nanos(CLOCK_MONOTONIC) - wall0_, std::memory_order_relaxed);
  gCalls[s].fetch_add(1, std::memory_order_relaxed);
}

double threadCpuSeconds() {
  return static_cast<double>(nanos(CLOCK_THREAD_CPUTIME_ID)) * 1e-9;
}

}  // namespace fmcib::data
