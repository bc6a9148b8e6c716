#pragma once
// Runs the fmcib binary (or any command) for CLI-level tests.
#include <string>
#include <vector>

namespace fmcib::test {

struct ProcessResult {
  int code = -1;
  std::string out;
  std::string err;
};

/// Runs `command` through /bin/sh, capturing stdout and stderr.
ProcessResult runShell(const std::string& command);

#ifdef FMCIB_BINARY
/// Runs the built fmcib with the given (already shell-quoted where needed) arguments.
inline ProcessResult runFmcib(const std::string& args) {
  return runShell(std::string(FMCIB_BINARY) + " " + args);
}
#endif

}  // namespace fmcib::test
