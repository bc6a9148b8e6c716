#include "common.hpp"

#include <torch/torch.h>

#include <map>
#include <sstream>

namespace fmcib::transforms::detail {

void checkProb(double prob, const std::string& arg) {
  if (!(prob >= 0.0 && prob <= 1.0)) {
    std::ostringstream msg;
    msg << "must be a probability in [0, 1], got " << prob;
    throw ArgumentError(arg, msg.str());
  }
}

int64_t spatialDims(const at::Tensor& x, const std::string& who, int64_t expected) {
  if (!x.defined()) throw RuntimeError(who + ": got an undefined tensor");
  const int64_t n = x.dim() - 1;
  if (n < 1)
    throw RuntimeError(who + ": expected a channel-first tensor [C, spatial...], got shape " +
                       c10::str(x.sizes()));
  if (expected > 0 && n != expected)
    throw RuntimeError(who + ": expected " + std::to_string(expected) +
                       " spatial axes, got tensor of shape " + c10::str(x.sizes()));
  return n;
}

std::vector<int64_t> fallBack(const std::vector<int64_t>& user, at::IntArrayRef shape,
                              const std::string& who) {
  std::vector<int64_t> out(shape.begin(), shape.end());
  if (user.size() != 1 && user.size() != out.size())
    throw RuntimeError(who + ": has " + std::to_string(user.size()) + " sizes for an image of shape " +
                       c10::str(shape));
  for (size_t i = 0; i < out.size(); ++i) {
    const int64_t u = user.size() == 1 ? user[0] : user[i];
    if (u > 0) out[i] = u;
  }
  return out;
}

std::vector<double> perAxis(const std::vector<double>& v, size_t n, const std::string& arg) {
  if (v.size() == 1) return std::vector<double>(n, v[0]);
  if (v.size() != n)
    throw ArgumentError(arg, "needs one value or " + std::to_string(n) +
                                 " values (one per spatial axis), got " + std::to_string(v.size()));
  return v;
}

c10::ScalarType parseDtype(const std::string& name, const std::string& arg) {
  static const std::map<std::string, c10::ScalarType> kTypes = {
      {"float32", at::kFloat}, {"float", at::kFloat}, {"float64", at::kDouble},   {"double", at::kDouble},
      {"float16", at::kHalf},  {"half", at::kHalf},   {"int16", at::kShort},      {"int32", at::kInt},
      {"int", at::kInt},       {"int64", at::kLong},  {"long", at::kLong},        {"uint8", at::kByte},
      {"int8", at::kChar},     {"bool", at::kBool},   {"bfloat16", at::kBFloat16}};
  std::string key = name;
  for (const char* prefix : {"$", "torch.", "np.", "numpy."})
    if (key.rfind(prefix, 0) == 0) key = key.substr(std::string(prefix).size());
  auto it = kTypes.find(key);
  if (it == kTypes.end()) {
    std::vector<std::string> names;
    for (const auto& kv : kTypes) names.push_back(kv.first);
    throw ArgumentError(arg, "unknown dtype '" + name + "'; accepted: " + joined(names) +
                                 " (optionally prefixed torch. or np.)");
  }
  return it->second;
}

at::Tensor castTo(const at::Tensor& x, const std::optional<c10::ScalarType>& dtype) {
  if (!dtype || x.scalar_type() == *dtype) return x;
  return x.to(*dtype);
}

at::Tensor cpuFloat(const at::Tensor& x) {
  return x.to(torch::TensorOptions().device(torch::kCPU).dtype(torch::kFloat)).contiguous();
}

std::string joined(const std::vector<std::string>& items) {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) out += (i ? ", " : "") + items[i];
  return out;
}

}  // namespace fmcib::transforms::detail
