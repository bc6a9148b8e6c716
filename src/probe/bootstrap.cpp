#include "fmcib/probe/bootstrap.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace fmcib::probe {

int64_t NumpyRandomState::randint(int64_t high) {
  const auto range = static_cast<uint32_t>(high - 1);
  if (range == 0) return 0;  // numpy draws nothing for a single value
  uint32_t mask = range;
  mask |= mask >> 1;
  mask |= mask >> 2;
  mask |= mask >> 4;
  mask |= mask >> 8;
  mask |= mask >> 16;
  uint32_t v;
  do {
    v = static_cast<uint32_t>(mt_()) & mask;
  } while (v > range);
  return static_cast<int64_t>(v);
}

double percentile(std::vector<double> values, double q) {
  if (values.empty()) return std::numeric_limits<double>::quiet_NaN();
  std::sort(values.begin(), values.end());
  const double pos = (static_cast<double>(values.size()) - 1) * (q / 100.0);  // numpy divides q first
  const auto lo = static_cast<size_t>(std::floor(pos));
  const size_t hi = std::min(lo + 1, values.size() - 1);
  const double frac = pos - static_cast<double>(lo);
  // numpy's _lerp: a + (b - a) * t, switched to b - (b - a) * (1 - t) for t >= 0.5.
  const double a = values[lo], b = values[hi], diff = b - a;
  return frac >= 0.5 ? b - diff * (1 - frac) : a + diff * frac;
}

BootstrapResult bootstrap(int64_t n, int resamples, uint32_t seed, double level,
                          const std::function<bool(const std::vector<int64_t>&)>& keep,
                          const std::function<std::vector<double>(const std::vector<int64_t>&)>& metrics) {
  BootstrapResult result;
  NumpyRandomState rng(seed);
  std::vector<std::vector<double>> scores;
  std::vector<int64_t> idx(static_cast<size_t>(n));
  for (int b = 0; b < resamples; ++b) {
    for (auto& i : idx) i = rng.randint(n);
    if (!keep(idx)) {
      ++result.skipped;
      continue;
    }
    const std::vector<double> m = metrics(idx);
    if (scores.empty()) scores.resize(m.size());
    for (size_t k = 0; k < m.size(); ++k) scores[k].push_back(m[k]);
    ++result.used;
  }
  const double tail = (1 - level) / 2 * 100;
  for (const auto& s : scores) {
    result.low.push_back(percentile(s, tail));
    result.high.push_back(percentile(s, 100 - tail));
  }
  return result;
}

}  // namespace fmcib::probe
