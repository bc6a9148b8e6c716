#pragma once
/// Percentile bootstrap intervals over test rows, drawn exactly as the usual numpy recipe draws them:
///   rng = np.random.RandomState(seed)
///   for b in range(resamples): idx = rng.randint(0, n, n); ...
/// so the resamples are the ones a Python script with the same seed uses. A resample that misses a
/// class present in the full test set is skipped (the metrics are undefined or change meaning
/// without it) and counted; the interval is np.percentile(scores, [2.5, 97.5]) (linear
/// interpolation) over the resamples kept.
#include <cstdint>
#include <functional>
#include <random>
#include <vector>

namespace fmcib::probe {

/// numpy's legacy RandomState for integer draws: MT19937 seeded with init_genrand(seed) (the same
/// stream as std::mt19937(seed)); randint(0, high) masks each 32-bit draw to the smallest covering
/// power of two and rejects values >= high.
class NumpyRandomState {
 public:
  explicit NumpyRandomState(uint32_t seed) : mt_(seed) {}
  /// One draw of randint(0, high), high in [1, 2^32].
  int64_t randint(int64_t high);

 private:
  std::mt19937 mt_;
};

/// numpy.percentile(values, q) (q in [0, 100], linear interpolation); NaN when values is empty.
double percentile(std::vector<double> values, double q);

struct BootstrapResult {
  std::vector<double> low, high;  ///< per metric; empty when no resample was kept
  int used = 0;
  int skipped = 0;
};

/// Runs `resamples` resamples of n rows. `keep(idx)` says whether a resample counts;
/// `metrics(idx)` returns the metric values on it (always the same count). `level` is the
/// interval's coverage (0.95 gives the 2.5 and 97.5 percentiles).
BootstrapResult bootstrap(int64_t n, int resamples, uint32_t seed, double level,
                          const std::function<bool(const std::vector<int64_t>&)>& keep,
                          const std::function<std::vector<double>(const std::vector<int64_t>&)>& metrics);

}  // namespace fmcib::probe
