#pragma once
/// Per-stage time counters of the data path (`fmcib benchmark`): process-wide atomic sums of thread
/// CPU time and wall time per stage, summed over every loader thread. Off by default: a disabled
/// ScopedStage costs one relaxed atomic load, so the counters can stay in the hot path.
#include <array>
#include <cstdint>
#include <string>

namespace fmcib::data {

enum class Stage : int {
  kRead,      ///< decoding a scan, or reading a region of a cache entry
  kResample,  ///< linear resampling (region boxes, or the whole scan on the reference path)
  kCrop,      ///< index maps, reorientation, float conversion of patches (whole-scan reorient too)
  kAugment,   ///< the dataset's transform
  kCollate,   ///< stacking items into a batch
  kCount
};
constexpr int kNumStages = static_cast<int>(Stage::kCount);
/// "read", "resample", "crop", "augment", "collate".
const char* stageName(Stage stage);

struct StageTotals {
  std::array<double, kNumStages> cpuSeconds{};   ///< thread CPU time, all threads together
  std::array<double, kNumStages> wallSeconds{};  ///< steady-clock time, all threads together
  std::array<int64_t, kNumStages> calls{};
};

/// Turns counting on or off for every thread (off at start).
void enableStageTiming(bool on);
bool stageTimingEnabled();
StageTotals stageTotals();
void resetStageTotals();

/// Adds the time from construction to destruction to `stage` (when timing is enabled).
class ScopedStage {
 public:
  explicit ScopedStage(Stage stage);
  ~ScopedStage();
  ScopedStage(const ScopedStage&) = delete;
  ScopedStage& operator=(const ScopedStage&) = delete;

 private:
  Stage stage_;
  bool on_;
  int64_t cpu0_ = 0, wall0_ = 0;
};

/// The calling thread's CPU time in seconds (CLOCK_THREAD_CPUTIME_ID).
double threadCpuSeconds();

}  // namespace fmcib::data
