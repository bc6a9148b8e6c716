// Progress lines for the training loops (see progress.hpp).
#include "fmcib/engine/progress.hpp"

#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <iostream>

namespace fmcib::engine {

ProgressClock steadyProgressClock() {
  return [] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
  };
}

std::string formatDuration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "--:--";
  const auto total = static_cast<long long>(seconds);
  const long long h = total / 3600, m = (total % 3600) / 60, s = total % 60;
  char buf[48];
  if (h > 0)
    std::snprintf(buf, sizeof buf, "%lld:%02lld:%02lld", h, m, s);
  else
    std::snprintf(buf, sizeof buf, "%02lld:%02lld", m, s);
  return buf;
}

std::string formatRate(double stepsPerSecond) {
  if (!std::isfinite(stepsPerSecond) || stepsPerSecond <= 0) return "? it/s";
  char buf[48];
  if (stepsPerSecond >= 1)
    std::snprintf(buf, sizeof buf, "%.2f it/s", stepsPerSecond);
  else
    std::snprintf(buf, sizeof buf, "%.2f s/it", 1.0 / stepsPerSecond);
  return buf;
}

ProgressReporter::ProgressReporter(std::ostream& out, ProgressOptions options, ProgressClock clock)
    : out_(&out), options_(options), clock_(std::move(clock)) {}

ProgressReporter ProgressReporter::forStderr(bool enabled) {
  ProgressOptions o;
  o.enabled = enabled;
  o.inPlace = ::isatty(STDERR_FILENO) == 1;
  return ProgressReporter(std::cerr, o);
}

void ProgressReporter::start(const std::string& stage, int64_t epoch, std::optional<int64_t> total) {
  if (!options_.enabled) return;
  // An unfinished in-place line stays on screen rather than being overwritten.
  if (active_ && options_.inPlace && lastWidth_ > 0) *out_ << '\n';
  stage_ = stage;
  epoch_ = epoch;
  total_ = total;
  done_ = 0;
  values_.clear();
  startTime_ = lastEmit_ = clock_();
  lastPercentMark_ = 0;
  lastWidth_ = 0;
  active_ = true;
  if (options_.inPlace) emit(false);
}

void ProgressReporter::update(int64_t done, const std::vector<std::pair<std::string, double>>& values) {
  if (!options_.enabled || !active_) return;
  done_ = done;
  if (!values.empty()) values_ = values;
  const double now = clock_();
  const bool last = total_ && done >= *total_;
  if (options_.inPlace) {
    if (last || now - lastEmit_ >= options_.redrawSeconds) emit(false);
    return;
  }
  if (last) return;  // finish() prints the closing line
  bool due = options_.plainEverySeconds > 0 && now - lastEmit_ >= options_.plainEverySeconds;
  if (total_ && *total_ > 0 && options_.plainEveryPercent > 0) {
    const int mark = static_cast<int>(done * 100 / *total_) / options_.plainEveryPercent;
    if (mark > lastPercentMark_) {
      lastPercentMark_ = mark;
      due = true;
    }
  }
  if (due) emit(false);
}

void ProgressReporter::finish(const std::vector<std::pair<std::string, double>>& values) {
  if (!options_.enabled || !active_) return;
  for (const auto& v : values) {
    bool replaced = false;
    for (auto& existing : values_)
      if (existing.first == v.first) {
        existing.second = v.second;
        replaced = true;
      }
    if (!replaced) values_.push_back(v);
  }
  emit(true);
  active_ = false;
}

std::string ProgressReporter::line() const {
  std::string s = epoch_ >= 0 ? "Epoch " + std::to_string(epoch_) + " " + stage_ : stage_;
  s += "  " + std::to_string(done_);
  if (total_ && *total_ > 0) {
    const double fraction = std::min(1.0, static_cast<double>(done_) / static_cast<double>(*total_));
    char pct[16];
    std::snprintf(pct, sizeof pct, "%3d%%", static_cast<int>(fraction * 100));
    s += "/" + std::to_string(*total_) + " " + pct;
    if (options_.barWidth > 0) {
      const int filled = static_cast<int>(fraction * options_.barWidth);
      s += " [" + std::string(static_cast<size_t>(filled), '#') +
           std::string(static_cast<size_t>(options_.barWidth - filled), ' ') + "]";
    }
  }
  for (const auto& [key, value] : values_) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.4g", value);
    s += "  " + key + " " + buf;
  }
  const double elapsed = clock_() - startTime_;
  const double rate = elapsed > 0 && done_ > 0 ? static_cast<double>(done_) / elapsed : 0.0;
  s += "  " + formatRate(rate);
  const bool complete = !active_ || (total_ && done_ >= *total_);
  if (complete) {
    s += "  in " + formatDuration(elapsed);
  } else if (total_) {
    s += "  ETA " + formatDuration(rate > 0 ? static_cast<double>(*total_ - done_) / rate : -1.0);
  } else {
    s += "  elapsed " + formatDuration(elapsed);
  }
  return s;
}

void ProgressReporter::emit(bool final) {
  // line() reports the pass as complete once finish() cleared active_; mark it before formatting.
  if (final) active_ = false;
  const std::string text = line();
  if (options_.inPlace) {
    *out_ << '\r' << text;
    // Blank out the rest of a longer previous line.
    if (text.size() < lastWidth_) *out_ << std::string(lastWidth_ - text.size(), ' ');
    lastWidth_ = text.size();
    if (final) *out_ << '\n';
  } else {
    *out_ << text << '\n';
  }
  out_->flush();
  lastEmit_ = clock_();
}

}  // namespace fmcib::engine
