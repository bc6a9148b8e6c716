#include "progress_bridge.hpp"

#include "fmcib/engine/trainer.hpp"

namespace fmcib::engine {

namespace {
std::vector<std::pair<std::string, double>> pairs(const std::map<std::string, double>& m) {
  return {m.begin(), m.end()};
}
}  // namespace

std::unique_ptr<ProgressSink> makeProgress(Trainer& trainer) {
  if (!trainer.options().enableProgressBar || !trainer.isGlobalZero()) return nullptr;
  return std::make_unique<ProgressSink>(ProgressReporter::forStderr(true));
}

void progressStart(ProgressSink* sink, Trainer& trainer, const std::string& stage, int64_t total,
                   int64_t done) {
  if (!sink) return;
  sink->reporter.start(stage, trainer.state().epoch, total);
  if (done > 0) sink->reporter.update(done);
}

void progressUpdate(ProgressSink* sink, int64_t done, const std::map<std::string, double>& values) {
  if (sink) sink->reporter.update(done, pairs(values));
}

void progressFinish(ProgressSink* sink, const std::map<std::string, double>& values) {
  if (sink) sink->reporter.finish(pairs(values));
}

}  // namespace fmcib::engine
