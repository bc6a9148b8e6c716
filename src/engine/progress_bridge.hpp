#pragma once
// The trainer's connection to the progress reporter (progress.hpp): the loops call these free
// functions, so the reporter stays out of trainer.hpp. A null sink (enable_progress_bar: false,
// or not rank 0) does nothing.
#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "fmcib/engine/progress.hpp"

namespace fmcib::engine {

class Trainer;

class ProgressSink {
 public:
  explicit ProgressSink(ProgressReporter r) : reporter(std::move(r)) {}
  ProgressReporter reporter;
};

std::unique_ptr<ProgressSink> makeProgress(Trainer& trainer);
/// A pass of `stage` ("train", "val", "test", "predict") over `total` batches, `done` already done.
void progressStart(ProgressSink* sink, Trainer& trainer, const std::string& stage, int64_t total,
                   int64_t done = 0);
void progressUpdate(ProgressSink* sink, int64_t done, const std::map<std::string, double>& values = {});
/// Ends the pass, showing `values` (epoch losses and metrics).
void progressFinish(ProgressSink* sink, const std::map<std::string, double>& values = {});

}  // namespace fmcib::engine
