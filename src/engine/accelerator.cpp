#include "fmcib/engine/accelerator.hpp"

#include "fmcib/common/torch_compat.hpp"

#include <torch/torch.h>

#include <cctype>
#include <climits>
#include <cstdlib>
#include <sstream>

#include "fmcib/common/parse_number.hpp"

namespace fmcib::engine {

namespace {

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

/// devices → (count, explicit indices).
std::pair<int64_t, std::vector<int64_t>> parseDevices(const config::Value& devices,
                                                      const std::string& where) {
  auto bad = [&](const std::string& why) -> ConfigError {
    return ConfigError(where + "#devices: " + why +
                       " (expected a positive int, a list of device indices, or 'auto')");
  };
  if (devices.isNull()) return {1, {}};
  if (devices.isInt()) {
    if (devices.asInt() == -1) return {-1, {}};  // Lightning: all devices
    if (devices.asInt() < 1) throw bad("got " + devices.repr());
    return {devices.asInt(), {}};
  }
  if (devices.isList()) {
    std::vector<int64_t> ids;
    for (const auto& v : devices.asList()) {
      if (!v.isInt() || v.asInt() < 0) throw bad("got " + devices.repr());
      ids.push_back(v.asInt());
    }
    if (ids.empty()) throw bad("the list is empty");
    return {static_cast<int64_t>(ids.size()), ids};
  }
  if (devices.isString()) {
    const std::string s = lower(devices.asString());
    if (s == "auto") return {0, {}};  // resolved by the accelerator
    if (s == "-1") return {-1, {}};
    // "2" (a count) or "0,1" (indices), as Lightning parses strings.
    if (s.find(',') == std::string::npos) {
      if (const std::optional<int64_t> n = parseInt64(s); n && *n >= 1) return {*n, {}};
      throw bad("got '" + devices.asString() + "'");
    }
    std::vector<int64_t> ids;
    std::stringstream in(s);
    std::string part;
    while (std::getline(in, part, ',')) {
      if (part.empty()) continue;
      const std::optional<int64_t> id = parseInt64(part);
      if (!id || *id < 0) throw bad("got '" + devices.asString() + "'");
      ids.push_back(*id);
    }
    if (ids.empty()) throw bad("got '" + devices.asString() + "'");
    return {static_cast<int64_t>(ids.size()), ids};
  }
  throw bad("got " + devices.kindName());
}

/// Lightning's precision spellings → canonical name.
std::string canonicalPrecision(const config::Value& p, const std::string& where) {
  std::string s;
  if (p.isNull()) return "32-true";
  if (p.isInt())
    s = std::to_string(p.asInt());
  else if (p.isString())
    s = lower(p.asString());
  else
    throw ConfigError(where + "#precision: expected 32, 64, 16, 'bf16' or '<n>-mixed', got " + p.repr());
  if (s == "32" || s == "32-true") return "32-true";
  if (s == "64" || s == "64-true" || s == "double") return "64-true";
  if (s == "16" || s == "16-mixed") return "16-mixed";
  if (s == "bf16" || s == "bf16-mixed") return "bf16-mixed";
  throw ConfigError(
      where + "#precision: '" + s +
      "' is not supported (accepted: 32, '32-true', 64, '64-true', 16, '16-mixed', 'bf16', 'bf16-mixed')");
}

}  // namespace

int localRankFromEnv() {
  const char* env = std::getenv("LOCAL_RANK");
  if (!env || !*env) return 0;
  return static_cast<int>(requireInt(env, "environment variable LOCAL_RANK", 0, INT_MAX));
}

DeviceChoice resolveDevice(const std::string& acceleratorIn, const config::Value& devices,
                           const config::Value& precision, int localRank, const std::string& where) {
  DeviceChoice out;
  const std::string accelerator = lower(acceleratorIn);
  auto [count, ids] = parseDevices(devices, where);
  const bool cudaAvailable = torch::cuda::is_available();
  bool useCuda = false;
  if (accelerator == "cpu") {
    useCuda = false;
  } else if (accelerator == "gpu" || accelerator == "cuda") {
    if (!cudaAvailable) {
      throw ConfigError(
          where + "#accelerator: '" + acceleratorIn + "' was requested" +
          (count > 1 ? " with devices: " + std::to_string(count) : std::string()) +
          ", but no CUDA GPU is available on this machine (or this LibTorch build has no CUDA); "
          "use accelerator: cpu (or auto)");
    }
    useCuda = true;
  } else if (accelerator == "auto") {
    useCuda = cudaAvailable;
  } else {
    throw ConfigError(where + "#accelerator: '" + acceleratorIn +
                      "' is not supported (accepted: cpu, gpu, cuda, auto)");
  }
  if (useCuda) {
    const int64_t available = static_cast<int64_t>(torch::cuda::device_count());
    if (count == 0 || count == -1) count = (count == 0 && accelerator == "auto") ? 1 : available;
    for (int64_t id : ids)
      if (id >= available)
        throw ConfigError(where + "#devices: GPU " + std::to_string(id) +
                          " does not exist (this machine has " + std::to_string(available) + ")");
    if (ids.empty() && count > available)
      throw ConfigError(where + "#devices: " + std::to_string(count) + " GPUs requested, this machine has " +
                        std::to_string(available));
    const int64_t index = ids.empty() ? localRank : ids.at(static_cast<size_t>(localRank) % ids.size());
    out.device = c10::Device(c10::kCUDA, static_cast<c10::DeviceIndex>(index));
  } else {
    if (count == 0 || count == -1) count = 1;
    out.device = c10::Device(c10::kCPU);
  }
  out.requestedDevices = count;
  out.precision = canonicalPrecision(precision, where);
  if (out.precision != "32-true" && out.precision != "64-true") {
    if (!useCuda)
      throw ConfigError(where + "#precision: '" + out.precision +
                        "' needs a CUDA GPU, and this run computes on the CPU; use precision: 32");
    out.autocastDtype = out.precision == "16-mixed" ? c10::ScalarType::Half : c10::ScalarType::BFloat16;
    out.scaleLoss = out.precision == "16-mixed";
  }
  return out;
}

AutocastScope::AutocastScope(std::optional<c10::ScalarType> dtype) {
  if (!dtype) return;
  active_ = true;
  prevEnabled_ = compat::cudaAutocastEnabled();
  prevDtype_ = compat::cudaAutocastDtype();
  compat::setCudaAutocastEnabled(true);
  compat::setCudaAutocastDtype(*dtype);
  at::autocast::increment_nesting();
}

AutocastScope::~AutocastScope() {
  if (!active_) return;
  // As torch.autocast's __exit__: the cast cache lives as long as the outermost region.
  if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
  compat::setCudaAutocastEnabled(prevEnabled_);
  compat::setCudaAutocastDtype(prevDtype_);
}

bool GradScaler::unscale(const std::vector<at::Tensor>& params) const {
  torch::NoGradGuard noGrad;
  bool finite = true;
  const double inv = 1.0 / scale_;
  for (const auto& p : params) {
    at::Tensor g = p.grad();
    if (!g.defined()) continue;
    g.mul_(inv);
    if (finite && !torch::isfinite(g).all().item<bool>()) finite = false;
  }
  return finite;
}

void GradScaler::update(bool finite) {
  if (!finite) {
    scale_ *= 0.5;
    growthTracker_ = 0;
    return;
  }
  if (++growthTracker_ >= 2000) {
    scale_ *= 2.0;
    growthTracker_ = 0;
  }
}

}  // namespace fmcib::engine
