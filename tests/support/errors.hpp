#pragma once
// The message of the error a call throws, for tests that assert what an error names.
#include <gtest/gtest.h>

#include <string>

#include "fmcib/config/error.hpp"

namespace fmcib::test {

inline constexpr auto npos = std::string::npos;

/// What `f()` throws as an `E` (InputError by default); a test failure and "" when it throws none.
template <class E = InputError, class F>
std::string errorOf(F&& f) {
  try {
    f();
  } catch (const E& e) {
    return e.what();
  }
  ADD_FAILURE() << "no error thrown";
  return "";
}

}  // namespace fmcib::test
