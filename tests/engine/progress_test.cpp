// The progress reporter with an injected clock and stream: line format, rate, ETA, plain periodic
// lines, in-place redraws.
#include <gtest/gtest.h>

#include <algorithm>
#include <sstream>

#include "fmcib/engine/progress.hpp"

namespace fmcib::engine {
namespace {

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : s) {
    if (c == sep) {
      out.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  if (!cur.empty()) out.push_back(cur);
  return out;
}

TEST(Progress, DurationAndRateFormats) {
  EXPECT_EQ(formatDuration(0), "00:00");
  EXPECT_EQ(formatDuration(61.9), "01:01");
  EXPECT_EQ(formatDuration(3725), "1:02:05");
  EXPECT_EQ(formatDuration(-1), "--:--");
  EXPECT_EQ(formatRate(2.5), "2.50 it/s");
  EXPECT_EQ(formatRate(0.5), "2.00 s/it");
  EXPECT_EQ(formatRate(0), "? it/s");
}

TEST(Progress, PlainLinesEveryTenPercentThenASummary) {
  double now = 0;
  std::ostringstream out;
  ProgressOptions o;
  o.plainEverySeconds = 0;
  ProgressReporter p(out, o, [&] { return now; });
  p.start("train", 0, 100);
  for (int k = 1; k <= 100; ++k) {
    now = 0.5 * k;
    p.update(k, {{"loss", 0.5}});
  }
  p.finish({{"val/AUROC", 0.8}});
  const auto lines = split(out.str(), '\n');
  ASSERT_EQ(lines.size(), 10u) << out.str();
  EXPECT_EQ(lines[0], "Epoch 0 train  10/100  10% [##                  ]  loss 0.5  2.00 it/s  ETA 00:45");
  EXPECT_EQ(lines[8], "Epoch 0 train  90/100  90% [##################  ]  loss 0.5  2.00 it/s  ETA 00:05");
  EXPECT_EQ(
      lines[9],
      "Epoch 0 train  100/100 100% [####################]  loss 0.5  val/AUROC 0.8  2.00 it/s  in 00:50");
  EXPECT_EQ(out.str().find('\r'), std::string::npos);
}

TEST(Progress, PlainLinesByTimeWhenTheTotalIsUnknown) {
  double now = 0;
  std::ostringstream out;
  ProgressOptions o;
  o.plainEverySeconds = 30;
  ProgressReporter p(out, o, [&] { return now; });
  p.start("val", 1, std::nullopt);
  for (int k = 1; k <= 100; ++k) {
    now = k;
    p.update(k);
  }
  p.finish();
  const auto lines = split(out.str(), '\n');
  ASSERT_EQ(lines.size(), 4u) << out.str();
  EXPECT_EQ(lines[0], "Epoch 1 val  30  1.00 it/s  elapsed 00:30");
  EXPECT_EQ(lines[2], "Epoch 1 val  90  1.00 it/s  elapsed 01:30");
  EXPECT_EQ(lines[3], "Epoch 1 val  100  1.00 it/s  in 01:40");
}

TEST(Progress, InPlaceRedrawsOneLine) {
  double now = 0;
  std::ostringstream out;
  ProgressOptions o;
  o.inPlace = true;
  o.redrawSeconds = 0;
  o.barWidth = 0;
  ProgressReporter p(out, o, [&] { return now; });
  p.start("train", 2, 4);
  now = 1;
  p.update(1, {{"loss", 12345.678}});
  now = 2;
  p.update(2, {{"loss", 1}});
  now = 4;
  p.update(4, {{"loss", 1}});
  p.finish();
  const std::string s = out.str();
  EXPECT_EQ(std::count(s.begin(), s.end(), '\n'), 1);
  EXPECT_EQ(s.back(), '\n');
  ASSERT_EQ(s.front(), '\r');
  const auto draws = split(s.substr(1, s.size() - 2), '\r');
  ASSERT_EQ(draws.size(), 5u) << s;  // start, 3 updates, finish
  EXPECT_EQ(draws[0], "Epoch 2 train  0/4   0%  ? it/s  ETA --:--");
  EXPECT_EQ(draws[1], "Epoch 2 train  1/4  25%  loss 1.235e+04  1.00 it/s  ETA 00:03");
  // A shorter line blanks out the rest of the previous one.
  EXPECT_EQ(draws[2].size(), draws[1].size());
  EXPECT_EQ(draws[2].rfind("Epoch 2 train  2/4  50%  loss 1  1.00 it/s  ETA 00:02", 0), 0u) << draws[2];
  EXPECT_EQ(draws[4].rfind("Epoch 2 train  4/4 100%  loss 1  1.00 it/s  in 00:04", 0), 0u) << draws[4];
}

TEST(Progress, InPlaceRedrawsAreRateLimited) {
  double now = 0;
  std::ostringstream out;
  ProgressOptions o;
  o.inPlace = true;
  o.redrawSeconds = 1;
  ProgressReporter p(out, o, [&] { return now; });
  p.start("train", 0, 20);
  for (int k = 1; k <= 20; ++k) {
    now = k / 10.0;
    p.update(k);
  }
  p.finish();
  const std::string s = out.str();
  EXPECT_EQ(std::count(s.begin(), s.end(), '\r'), 4) << s;  // start, t = 1 s, the last step, finish
}

TEST(Progress, DisabledPrintsNothing) {
  std::ostringstream out;
  ProgressOptions o;
  o.enabled = false;
  ProgressReporter p(out, o, [] { return 0.0; });
  p.start("train", 0, 10);
  p.update(5, {{"loss", 1}});
  p.finish();
  EXPECT_EQ(out.str(), "");
  EXPECT_FALSE(ProgressReporter::forStderr(false).enabled());
}

}  // namespace
}  // namespace fmcib::engine
