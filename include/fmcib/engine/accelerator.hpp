#pragma once
/// Where and in which precision a run computes: Lightning's `accelerator`, `devices` and
/// `precision`, resolved against what this machine (and this LibTorch build) has.
///   accelerator: cpu | gpu | cuda | auto (CUDA when torch::cuda::is_available(), else the CPU);
///   precision: 32 / "32" / "32-true"; on CUDA also 16 / "16" / "16-mixed" (autocast to float16 with
///   dynamic loss scaling) and "bf16" / "bf16-mixed" (autocast to bfloat16).
/// Asking for a GPU (or mixed precision) where there is none is a ConfigError naming the key.
#include <ATen/Tensor.h>
#include <c10/core/Device.h>
#include <c10/core/ScalarType.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "fmcib/config/value.hpp"

namespace fmcib::engine {

struct DeviceChoice {
  c10::Device device{c10::kCPU};
  /// Devices the config asked for (devices: N, or the length of a list).
  int64_t requestedDevices = 1;
  /// The autocast dtype for mixed precision (nullopt: full float32).
  std::optional<c10::ScalarType> autocastDtype;
  /// float16 mixed precision needs loss scaling.
  bool scaleLoss = false;
  /// Lightning's canonical precision name: "32-true", "16-mixed", "bf16-mixed".
  std::string precision = "32-true";
};

/// `devices` is an int, a list of device indices, a string ("auto", "1", "0,1") or null.
/// `localRank` picks this process's device among several. Throws ConfigError (prefixed by `where`).
DeviceChoice resolveDevice(const std::string& accelerator, const config::Value& devices,
                           const config::Value& precision, int localRank,
                           const std::string& where = "trainer");

/// LOCAL_RANK (this process's device among several), 0 when unset or empty; ConfigError naming the
/// variable when it is not a non-negative int.
int localRankFromEnv();

/// RAII: CUDA autocast to `dtype` while alive (nothing when dtype is nullopt).
class AutocastScope {
 public:
  explicit AutocastScope(std::optional<c10::ScalarType> dtype);
  ~AutocastScope();
  AutocastScope(const AutocastScope&) = delete;
  AutocastScope& operator=(const AutocastScope&) = delete;

 private:
  bool active_ = false;
  bool prevEnabled_ = false;
  c10::ScalarType prevDtype_ = c10::ScalarType::Half;
};

/// torch.cuda.amp.GradScaler's dynamic loss scaling (init 2^16, growth 2 every 2000 good steps,
/// backoff 0.5), for float16 mixed precision.
class GradScaler {
 public:
  double scale() const { return scale_; }
  int64_t growthTracker() const { return growthTracker_; }
  void setState(double scale, int64_t growthTracker) {
    scale_ = scale;
    growthTracker_ = growthTracker;
  }
  /// Divides the gradients by the scale; false when any is inf/NaN (the step must be skipped).
  bool unscale(const std::vector<at::Tensor>& params) const;
  /// After a step (or a skipped one): adjusts the scale.
  void update(bool finite);

 private:
  double scale_ = 65536.0;
  int64_t growthTracker_ = 0;
};

}  // namespace fmcib::engine
