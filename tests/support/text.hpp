#pragma once
// Numbers written into test CSVs and configs.
#include <sstream>
#include <string>

namespace fmcib::test {

/// `v` with 12 significant digits, as the fixtures' generators printed it.
inline std::string num(double v) {
  std::ostringstream os;
  os.precision(12);
  os << v;
  return os.str();
}

}  // namespace fmcib::test
