#include "fmcib/engine/checkpoint.hpp"

#include <torch/torch.h>

#include <map>
#include <set>

#include "fmcib/config/error.hpp"
#include "fmcib/io/torch_file.hpp"
#include "fmcib/models/state_dict.hpp"

namespace fmcib::engine {

bool hasField(const c10::impl::GenericDict& d, const std::string& key) {
  return d.contains(c10::IValue(key));
}

c10::IValue checkpointField(const c10::impl::GenericDict& d, const std::string& key,
                            const std::string& path) {
  auto it = d.find(c10::IValue(key));
  if (it == d.end()) throw InputError(path + ": the checkpoint has no '" + key + "'");
  return it->value();
}

int64_t checkpointInt(const c10::impl::GenericDict& d, const std::string& key, const std::string& path) {
  const c10::IValue& v = checkpointField(d, key, path);
  if (!v.isInt()) throw InputError(path + ": checkpoint field '" + key + "' is not an int");
  return v.toInt();
}

c10::impl::GenericDict readCheckpoint(const std::string& path) {
  c10::IValue v = io::readTorchFile(path);
  if (!v.isGenericDict()) throw InputError(path + ": not a checkpoint (expected a dict with 'state_dict')");
  c10::impl::GenericDict d = v.toGenericDict();
  const c10::IValue& sd = checkpointField(d, "state_dict", path);
  if (!sd.isGenericDict()) throw InputError(path + ": 'state_dict' is not a dict");
  return d;
}

c10::IValue modelStateDict(const torch::nn::Module& model) {
  io::NamedTensors out;
  for (const auto& [name, t] : models::stateDict(model)) out.emplace_back("model." + name, t.detach().cpu());
  return io::toStateDict(out);
}

namespace {
std::string shapeText(const at::Tensor& t) {
  std::string s = "[";
  for (int64_t i = 0; i < t.dim(); ++i) s += (i ? ", " : "") + std::to_string(t.size(i));
  return s + "]";
}

/// Why `t` cannot be copied into `own` (dtype family, layout, values), or "".
std::string unfit(const at::Tensor& t, const at::Tensor& own) {
  if (!t.defined()) return "undefined";
  if (t.layout() != at::kStrided || t.is_quantized()) return "not a dense tensor";
  const bool floating = at::isFloatingType(own.scalar_type());
  const bool ok = floating ? at::isFloatingType(t.scalar_type())
                           : at::isIntegralType(t.scalar_type(), /*includeBool=*/false);
  if (!ok)
    return std::string("dtype ") + c10::toString(t.scalar_type()) + ", model " +
           c10::toString(own.scalar_type());
  if (floating && t.numel() > 0 && !torch::isfinite(t).all().item<bool>())
    return "holds NaN or infinite values";
  return "";
}
}  // namespace

std::function<void()> prepareModelState(torch::nn::Module& model, const c10::impl::GenericDict& checkpoint,
                                        const std::string& path) {
  io::NamedTensors all = io::flattenStateDict(checkpointField(checkpoint, "state_dict", path));
  std::map<std::string, at::Tensor> own;
  for (const auto& [name, t] : models::stateDict(model)) own.emplace(name, t);
  auto mine = std::make_shared<io::NamedTensors>();
  std::vector<std::string> unexpected, mismatched, unusable;
  std::set<std::string> seen;
  for (auto& [name, t] : all) {
    std::string key = name;
    if (key.rfind("module.", 0) == 0) key = key.substr(7);
    if (key.rfind("model.", 0) != 0) {
      unexpected.push_back(name);
      continue;
    }
    key = key.substr(6);
    auto it = own.find(key);
    if (it == own.end()) {
      unexpected.push_back(name);
      continue;
    }
    seen.insert(key);
    if (!t.defined() || it->second.sizes() != t.sizes())
      mismatched.push_back(name + " (checkpoint " + (t.defined() ? shapeText(t) : "undefined") + ", model " +
                           shapeText(it->second) + ")");
    else if (const std::string why = unfit(t, it->second); !why.empty())
      unusable.push_back(name + " (" + why + ")");
    mine->emplace_back(key, t);
  }
  std::vector<std::string> missing;
  for (const auto& [name, t] : models::stateDict(model))
    if (!seen.count(name)) missing.push_back("model." + name);
  if (!unusable.empty())
    throw InputError(path + ": state_dict: unusable tensors (" + std::to_string(unusable.size()) +
                     "): " + models::joinKeys(unusable, 8));
  if (!mismatched.empty() || !missing.empty() || !unexpected.empty()) {
    std::string msg = path + ": the checkpoint was written for a different model";
    if (!mismatched.empty())
      msg += "; shape mismatches (" + std::to_string(mismatched.size()) +
             "): " + models::joinKeys(mismatched, 8);
    if (!missing.empty())
      msg += "; missing keys (" + std::to_string(missing.size()) + "): " + models::joinKeys(missing);
    if (!unexpected.empty())
      msg += "; unexpected keys (" + std::to_string(unexpected.size()) + "): " + models::joinKeys(unexpected);
    throw InputError(msg);
  }
  return [&model, mine, path] { models::loadStateDict(model, *mine, path + " (state_dict)"); };
}

void loadModelState(torch::nn::Module& model, const c10::impl::GenericDict& checkpoint,
                    const std::string& path) {
  prepareModelState(model, checkpoint, path)();
}

}  // namespace fmcib::engine
