#pragma once
// State-dict key names of a torch.save fixture, read without a pickle interpreter: the keys are
// the pickle's BINUNICODE strings that end like a parameter or buffer name. (The OrderedDict
// `_metadata` holds module names, which never end that way.) Used only to check key layout.
#include <caffe2/serialize/inline_container.h>
#include <torch/torch.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace fmcib::test {

inline bool endsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

inline std::vector<std::string> fixtureStateKeys(const std::string& path) {
  caffe2::serialize::PyTorchStreamReader reader(path);
  auto [data, size] = reader.getRecord("data.pkl");
  const auto* p = static_cast<const unsigned char*>(data.get());
  std::vector<std::string> keys;
  for (size_t i = 0; i + 5 <= size; ++i) {
    if (p[i] != 'X') continue;  // BINUNICODE: 'X', uint32 little-endian length, UTF-8 bytes
    uint32_t len = 0;
    std::memcpy(&len, p + i + 1, 4);
    if (len == 0 || len > 256 || i + 5 + len > size) continue;
    std::string s(reinterpret_cast<const char*>(p + i + 5), len);
    for (const char* suffix : {".weight", ".bias", ".running_mean", ".running_var", ".num_batches_tracked"})
      if (endsWith(s, suffix)) {
        keys.push_back(s);
        i += 4 + len;
        break;
      }
  }
  return keys;
}

/// PyTorch's state_dict order: modules in pre-order, each module's own parameters, then its own
/// buffers.
inline std::vector<std::pair<std::string, torch::Tensor>> stateDictOrder(const torch::nn::Module& m,
                                                                         const std::string& prefix = "") {
  std::vector<std::pair<std::string, torch::Tensor>> out;
  for (const auto& p : m.named_parameters(false)) out.emplace_back(prefix + p.key(), p.value());
  for (const auto& b : m.named_buffers(false)) out.emplace_back(prefix + b.key(), b.value());
  for (const auto& item : m.named_modules("", /*include_self=*/false)) {
    const std::string base = prefix + item.key() + ".";
    for (const auto& p : item.value()->named_parameters(false)) out.emplace_back(base + p.key(), p.value());
    for (const auto& b : item.value()->named_buffers(false)) out.emplace_back(base + b.key(), b.value());
  }
  return out;
}

inline std::vector<std::string> stateDictKeys(const torch::nn::Module& m, const std::string& prefix = "") {
  std::vector<std::string> keys;
  for (const auto& kv : stateDictOrder(m, prefix)) keys.push_back(kv.first);
  return keys;
}

}  // namespace fmcib::test
