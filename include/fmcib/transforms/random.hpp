#pragma once
/// The draws random transforms make from their Generator. Written out here instead of using the
/// <random> distributions, whose results differ between standard libraries: the same seed gives
/// the same augmentations with libstdc++ and libc++.
#include <cstdint>
#include <limits>

#include "fmcib/transforms/transform.hpp"

namespace fmcib::transforms {

/// Uniform in [0, 1) with 53 random bits.
inline double uniform01(Generator& gen) {
  return static_cast<double>(gen() >> 11) * 0x1.0p-53;
}

/// Uniform in [lo, hi) (numpy's `RandomState.uniform(lo, hi)`; lo == hi gives lo).
inline double uniform(Generator& gen, double lo, double hi) {
  return lo + (hi - lo) * uniform01(gen);
}

/// Uniform integer in [lo, hi) (numpy's `randint(lo, hi)`); requires lo < hi. Unbiased (rejection).
inline int64_t randint(Generator& gen, int64_t lo, int64_t hi) {
  const uint64_t range = static_cast<uint64_t>(hi - lo);
  const uint64_t limit = std::numeric_limits<uint64_t>::max() - std::numeric_limits<uint64_t>::max() % range;
  uint64_t r = gen();
  while (r >= limit) r = gen();
  return lo + static_cast<int64_t>(r % range);
}

/// True with probability `prob` (MONAI's `R.rand() < prob`): prob 0 never fires, prob 1 always.
inline bool fires(Generator& gen, double prob) {
  return uniform01(gen) < prob;
}

}  // namespace fmcib::transforms
