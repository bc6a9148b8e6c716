#pragma once
// Helpers shared by the transform implementations (not part of the public interface).
#include <ATen/Tensor.h>
#include <c10/core/ScalarType.h>

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "fmcib/config/error.hpp"

namespace fmcib::transforms::detail {

/// A bad constructor argument. It is a ConfigError (what C++ callers catch); the `_target_` builders
/// catch it to re-raise through `Args::fail`, which adds the YAML file, line and path.
class ArgumentError : public ConfigError {
 public:
  ArgumentError(std::string arg, const std::string& message)
      : ConfigError(arg + ": " + message), arg_(std::move(arg)), message_(message) {}
  const std::string& arg() const { return arg_; }
  const std::string& message() const { return message_; }

 private:
  std::string arg_;
  std::string message_;
};

/// prob must lie in [0, 1] (MONAI clamps silently; a negative prob is almost surely a typo).
void checkProb(double prob, const std::string& arg = "prob");

/// Number of spatial axes of a channel-first tensor; throws RuntimeError naming `who` when the
/// tensor has no spatial axis or (with `expected` > 0) not that many.
int64_t spatialDims(const at::Tensor& x, const std::string& who, int64_t expected = 0);

/// MONAI's fall_back_tuple: a non-positive entry takes the image size. `user` has one entry per
/// axis, or one for all.
std::vector<int64_t> fallBack(const std::vector<int64_t>& user, at::IntArrayRef shape,
                              const std::string& who);

/// Repeats a one-element list to `n` entries; otherwise checks the length is `n`.
std::vector<double> perAxis(const std::vector<double>& v, size_t n, const std::string& arg);

/// "float32", "torch.float32", "np.float32", "float", "double", ... → dtype; throws ArgumentError.
c10::ScalarType parseDtype(const std::string& name, const std::string& arg = "dtype");

/// Converts to `dtype` when given (MONAI's `dtype` output argument).
at::Tensor castTo(const at::Tensor& x, const std::optional<c10::ScalarType>& dtype);

/// A contiguous float32 CPU copy (or x itself when it already is one).
at::Tensor cpuFloat(const at::Tensor& x);

/// Joins strings for messages: "a, b, c".
std::string joined(const std::vector<std::string>& items);

}  // namespace fmcib::transforms::detail
