#pragma once
/// Typed errors of fmcib. They are caught once, in main, which maps them to exit codes:
/// ConfigError and InputError (bad config, CLI, CSV, image, weights) exit 2, anything else 1.
#include <stdexcept>
#include <string>

namespace fmcib {

/// Base of every error fmcib throws on purpose.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// A configuration or command-line problem. The message already names file, key path and line.
class ConfigError : public Error {
 public:
  using Error::Error;
};

/// Bad user data: a CSV row, an image, a weights file.
class InputError : public Error {
 public:
  using Error::Error;
};

/// The run could not go on (I/O failure, non-finite loss, a rank that died).
class RuntimeError : public Error {
 public:
  using Error::Error;
};

}  // namespace fmcib
