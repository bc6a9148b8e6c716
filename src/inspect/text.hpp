#pragma once
// String tests the inspect commands share when they recognise targets and logger names.
#include <string>

namespace fmcib::inspect::detail {

inline bool endsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace fmcib::inspect::detail
