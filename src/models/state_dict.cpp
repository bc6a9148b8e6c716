#include "fmcib/models/state_dict.hpp"

#include <torch/torch.h>

#include <unordered_map>
#include <unordered_set>

#include "fmcib/config/error.hpp"

namespace fmcib::models {
namespace {

void collect(const torch::nn::Module& module, const std::string& prefix, io::NamedTensors& out) {
  for (const auto& p : module.named_parameters(/*recurse=*/false))
    if (p.value().defined()) out.emplace_back(prefix + p.key(), p.value());
  for (const auto& b : module.named_buffers(/*recurse=*/false))
    if (b.value().defined()) out.emplace_back(prefix + b.key(), b.value());
  for (const auto& child : module.named_children()) collect(*child.value(), prefix + child.key() + ".", out);
}

std::string shapeOf(const at::Tensor& t) {
  return c10::str(t.sizes());
}

}  // namespace

io::NamedTensors stateDict(const torch::nn::Module& module) {
  io::NamedTensors out;
  collect(module, "", out);
  return out;
}

LoadReport loadStateDict(torch::nn::Module& module, const io::NamedTensors& tensors,
                         const std::string& source) {
  const io::NamedTensors own = stateDict(module);
  std::unordered_map<std::string, at::Tensor> byName;
  for (const auto& [name, t] : own) byName.emplace(name, t);

  LoadReport report;
  std::vector<std::pair<at::Tensor, at::Tensor>> copies;  // (destination, source)
  std::unordered_set<std::string> seen;
  std::string mismatches;
  for (const auto& [name, src] : tensors) {
    auto it = byName.find(name);
    if (it == byName.end()) {
      report.unexpected.push_back(name);
      continue;
    }
    if (!seen.insert(name).second) continue;  // a duplicate name: the first one wins
    if (!src.defined() || it->second.sizes() != src.sizes()) {
      mismatches += "\n  " + name + ": file " + (src.defined() ? shapeOf(src) : "undefined") + ", model " +
                    shapeOf(it->second);
      continue;
    }
    copies.emplace_back(it->second, src);
    report.loaded.push_back(name);
  }
  if (!mismatches.empty())
    throw InputError(source +
                     ": shape mismatch between the weights and the model (nothing was loaded):" + mismatches);
  for (const auto& [name, t] : own)
    if (!seen.count(name)) report.missing.push_back(name);

  torch::NoGradGuard noGrad;
  for (auto& [dst, src] : copies) dst.copy_(src);
  return report;
}

std::string joinKeys(const std::vector<std::string>& keys, size_t limit) {
  std::string out;
  for (size_t i = 0; i < keys.size() && i < limit; ++i) out += (i ? ", " : "") + keys[i];
  if (keys.size() > limit) out += " … (" + std::to_string(keys.size() - limit) + " more)";
  return out.empty() ? "none" : out;
}

}  // namespace fmcib::models
