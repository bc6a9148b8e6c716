#pragma once
// Peak resident memory of this process, resettable (Linux: /proc/self/clear_refs "5" resets VmHWM),
// for tests asserting that refusing an input never needed much memory.
#include <cstdint>
#include <fstream>
#include <string>

namespace fmcib::test {

/// Resets the peak to the current resident size; false where the kernel does not allow it.
inline bool resetPeakMemory() {
  std::ofstream out("/proc/self/clear_refs");
  out << "5";
  out.flush();
  return static_cast<bool>(out);
}

/// The peak resident size (VmHWM) in bytes since the process started or the last reset.
inline uint64_t peakMemoryBytes() {
  std::ifstream in("/proc/self/status");
  std::string key;
  while (in >> key) {
    if (key == "VmHWM:") {
      uint64_t kb = 0;
      in >> kb;
      return kb * 1024;
    }
    std::getline(in, key);
  }
  return 0;
}

inline constexpr uint64_t kRefusalMemoryBudget = uint64_t{1} << 30;

}  // namespace fmcib::test
