#pragma once
/// The one place where LibTorch 1.13 (Debian 12) and 2.x (Debian 13, PyTorch's CUDA builds) differ
/// for fmcib. Areas call these names and never test the LibTorch version themselves.
#include <ATen/autocast_mode.h>
#include <torch/optim/optimizer.h>
#include <torch/version.h>

#include <sstream>
#include <string>
#include <type_traits>

#define FMCIB_TORCH_AT_LEAST(major, minor) \
  (TORCH_VERSION_MAJOR > (major) || (TORCH_VERSION_MAJOR == (major) && TORCH_VERSION_MINOR >= (minor)))

namespace fmcib::compat {

/// Key of `torch::optim::Optimizer::state()`: a string in 1.13, the TensorImpl pointer from 2.0 on.
using OptimizerStateKey =
    typename std::decay_t<decltype(std::declval<torch::optim::Optimizer&>().state())>::key_type;

inline OptimizerStateKey optimizerStateKey(const at::Tensor& p) {
#if FMCIB_TORCH_AT_LEAST(2, 0)
  return p.unsafeGetTensorImpl();
#else
  std::ostringstream key;  // 1.13's own key: the TensorImpl address as a stream prints it
  key << p.unsafeGetTensorImpl();
  return key.str();
#endif
}

// LibTorch 2.4 replaced the CUDA-specific autocast calls by per-device ones (the old ones warn on
// every call there).
inline bool cudaAutocastEnabled() {
#if FMCIB_TORCH_AT_LEAST(2, 4)
  return at::autocast::is_autocast_enabled(at::kCUDA);
#else
  return at::autocast::is_enabled();
#endif
}
inline void setCudaAutocastEnabled(bool on) {
#if FMCIB_TORCH_AT_LEAST(2, 4)
  at::autocast::set_autocast_enabled(at::kCUDA, on);
#else
  at::autocast::set_enabled(on);
#endif
}
inline c10::ScalarType cudaAutocastDtype() {
#if FMCIB_TORCH_AT_LEAST(2, 4)
  return at::autocast::get_autocast_dtype(at::kCUDA);
#else
  return at::autocast::get_autocast_gpu_dtype();
#endif
}
inline void setCudaAutocastDtype(c10::ScalarType t) {
#if FMCIB_TORCH_AT_LEAST(2, 4)
  at::autocast::set_autocast_dtype(at::kCUDA, t);
#else
  at::autocast::set_autocast_gpu_dtype(t);
#endif
}

// LibTorch 2.4 made libuv the TCPStore's default backend; Debian's LibTorch is built without it and
// refuses such a store, so the classic backend is asked for wherever the option exists.
template <class StoreOptions, class = void>
struct HasUseLibUV : std::false_type {};
template <class StoreOptions>
struct HasUseLibUV<StoreOptions, std::void_t<decltype(std::declval<StoreOptions&>().useLibUV)>>
    : std::true_type {};
template <class StoreOptions>
void useClassicTcpStore(StoreOptions& options) {
  if constexpr (HasUseLibUV<StoreOptions>::value) options.useLibUV = false;
}

}  // namespace fmcib::compat
