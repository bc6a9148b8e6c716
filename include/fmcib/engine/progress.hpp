#pragma once
/// Per-epoch progress: "Epoch 3 train  45/100  45% [#########           ] loss 0.6931  2.31 it/s
/// ETA 00:24". On a terminal the line is rewritten in place (\r); otherwise plain lines are printed
/// every `plainEveryPercent` percent or every `plainEverySeconds` seconds, whichever comes first.
/// Pure formatting and timing: the clock and the stream are injected, so it is testable.
#include <cstdint>
#include <functional>
#include <iosfwd>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace fmcib::engine {

struct ProgressOptions {
  /// false (`enable_progress_bar: false`): print nothing.
  bool enabled = true;
  /// Rewrite one line in place; false: plain periodic lines.
  bool inPlace = false;
  /// Plain mode: a line each time another this-many percent of the steps are done (0: never) ...
  int plainEveryPercent = 10;
  /// ... or when this many seconds passed since the last line (0: never).
  double plainEverySeconds = 30.0;
  /// In-place mode: at most one redraw per this many seconds (the last step always draws).
  double redrawSeconds = 0.1;
  /// Width of the bar in characters (0: no bar).
  int barWidth = 20;
};

/// Seconds on a monotonic clock.
using ProgressClock = std::function<double()>;
ProgressClock steadyProgressClock();

/// "mm:ss", or "h:mm:ss" from one hour on; "--:--" for a negative or non-finite value.
std::string formatDuration(double seconds);
/// "12.3 it/s", or "4.56 s/it" below one step per second; "? it/s" before any measurement.
std::string formatRate(double stepsPerSecond);

class ProgressReporter {
 public:
  ProgressReporter(std::ostream& out, ProgressOptions options, ProgressClock clock = steadyProgressClock());
  /// On stderr: in place when stderr is a terminal (isatty), plain lines otherwise.
  static ProgressReporter forStderr(bool enabled);

  /// A new epoch (or validation/test/predict pass): `stage` e.g. "train", "val"; total steps, or
  /// std::nullopt when unknown (no percentage, bar or ETA then).
  void start(const std::string& stage, int64_t epoch, std::optional<int64_t> total);
  /// `done` steps finished; `values` are shown after the counts, e.g. {{"loss", 0.69}}.
  void update(int64_t done, const std::vector<std::pair<std::string, double>>& values = {});
  /// Ends the pass: the final line (with `values`, e.g. validation metrics) and a newline.
  void finish(const std::vector<std::pair<std::string, double>>& values = {});

  /// The line update() would show now (no \r, no padding).
  std::string line() const;
  bool enabled() const { return options_.enabled; }

 private:
  void emit(bool final);
  std::ostream* out_;
  ProgressOptions options_;
  ProgressClock clock_;
  std::string stage_;
  int64_t epoch_ = 0;
  std::optional<int64_t> total_;
  int64_t done_ = 0;
  std::vector<std::pair<std::string, double>> values_;
  double startTime_ = 0, lastEmit_ = 0;
  int lastPercentMark_ = 0;
  size_t lastWidth_ = 0;
  bool active_ = false;
};

}  // namespace fmcib::engine
