#include "fmcib/models/load_model.hpp"

#include <spdlog/spdlog.h>
#include <torch/torch.h>

#include <algorithm>

#include "fmcib/config/error.hpp"
#include "fmcib/io/torch_file.hpp"
#include "fmcib/models/state_dict.hpp"

namespace fmcib::models {
namespace {

bool startsWith(const std::string& s, const std::string& prefix) {
  return s.rfind(prefix, 0) == 0;
}

bool endsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::vector<std::string> namesOf(const io::NamedTensors& tensors) {
  std::vector<std::string> out;
  for (const auto& t : tensors) out.push_back(t.first);
  return out;
}

/// The file's top-level dict (InputError naming the file otherwise).
c10::impl::GenericDict readTopLevel(const std::string& path) {
  const c10::IValue root = io::readTorchFile(path);
  if (!root.isGenericDict())
    throw InputError(path + ": expected a dict at the top level of the weights file, got " + root.tagKind());
  return root.toGenericDict();
}

std::string topLevelKeys(const c10::impl::GenericDict& dict) {
  std::vector<std::string> keys;
  for (const auto& e : dict) keys.push_back(e.key().isString() ? e.key().toStringRef() : e.key().tagKind());
  return "[" + joinKeys(keys) + "]";
}

/// A Lightning state dict split the way Python fmcib's LoadModel does (plus the ExNegSimCLR trunk).
struct SplitCheckpoint {
  std::string trunkPrefix;
  io::NamedTensors trunk, heads, other;  // other: keys with neither prefix
};

SplitCheckpoint splitCheckpoint(const io::NamedTensors& stateDictTensors) {
  SplitCheckpoint s;
  io::NamedTensors tensors = stateDictTensors;
  for (auto& [name, t] : tensors)
    if (startsWith(name, "module.")) name = name.substr(7);  // DistributedDataParallel wrapping
  bool hasTrunk = false, hasBackbone = false;
  for (const auto& [name, t] : tensors) {
    hasTrunk = hasTrunk || startsWith(name, "model.trunk.");
    hasBackbone = hasBackbone || startsWith(name, "model.backbone.");
  }
  s.trunkPrefix = !hasTrunk && hasBackbone ? "model.backbone." : "model.trunk.";
  for (const auto& [name, t] : tensors) {
    if (startsWith(name, "model.heads."))
      s.heads.emplace_back(name.substr(12), t);
    else if (startsWith(name, s.trunkPrefix))
      s.trunk.emplace_back(name.substr(s.trunkPrefix.size()), t);
    else
      s.other.emplace_back(name, t);
  }
  return s;
}

void logReport(const std::string& path, const char* part, const LoadReport& r) {
  if (r.missing.empty() && r.unexpected.empty()) {
    spdlog::info("{}: {}: loaded all {} tensors", path, part, r.loaded.size());
  } else {
    spdlog::warn("{}: {}: loaded {} tensors; missing keys: {}; unexpected keys: {}", path, part,
                 r.loaded.size(), joinKeys(r.missing), joinKeys(r.unexpected));
  }
}

/// "key: file [a, b], model [c, d]" for every offered tensor whose shape differs from the module's.
std::vector<std::string> shapeMismatches(const torch::nn::Module& module, const io::NamedTensors& tensors,
                                         const std::string& keyPrefix) {
  std::vector<std::string> out;
  const io::NamedTensors own = stateDict(module);
  for (const auto& [name, t] : tensors)
    for (const auto& [ownName, ownTensor] : own)
      if (ownName == name && (!t.defined() || t.sizes() != ownTensor.sizes()))
        out.push_back(keyPrefix + name + ": file " + (t.defined() ? c10::str(t.sizes()) : "undefined") +
                      ", model " + c10::str(ownTensor.sizes()));
  return out;
}

std::string joinAll(const std::vector<std::string>& parts) {
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) out += (i ? "; " : "") + parts[i];
  return out;
}

}  // namespace

LoadModel::LoadModel(std::shared_ptr<Network> trunk, const std::vector<int64_t>& heads)
    : trunk_(std::move(trunk)) {
  if (!trunk_) throw ConfigError("LoadModel: a trunk network is required");
  register_module("trunk", trunk_);
  if (heads.size() < 2) return;  // Python: nn.Identity, which has no state
  for (int64_t size : heads)
    if (size < 1) throw ConfigError("LoadModel: head sizes must be positive, got " + std::to_string(size));
  heads_ = torch::nn::ModuleList();
  for (size_t i = 0; i + 1 < heads.size(); ++i) {
    torch::nn::Sequential layer;
    layer->push_back(torch::nn::Linear(torch::nn::LinearOptions(heads[i], heads[i + 1]).bias(true)));
    if (i + 2 != heads.size()) layer->push_back(torch::nn::ReLU(torch::nn::ReLUOptions(true)));
    heads_->push_back(layer);
    layers_.push_back(layer);
  }
  register_module("heads", heads_);
}

torch::Tensor LoadModel::forward(const torch::Tensor& x) {
  torch::Tensor out = trunk_->forward(x);
  for (auto& layer : layers_) out = layer->forward(out);
  return out;
}

void LoadModel::load(const std::string& path, bool strict) {
  const auto file = readTopLevel(path);
  size_t trunkLoaded = 0;
  size_t trunkOffered = 0;
  std::vector<std::string> offeredNames, loadedNames, unexpected;

  auto loadTrunk = [&](const io::NamedTensors& tensors, const char* part) {
    const LoadReport r = loadStateDict(*trunk_, tensors, path + " (" + part + ")");
    logReport(path, part, r);
    trunkLoaded += r.loaded.size();
    trunkOffered += tensors.size();
    for (const auto& n : namesOf(tensors)) offeredNames.push_back(n);
    loadedNames.insert(loadedNames.end(), r.loaded.begin(), r.loaded.end());
    // A checkpoint's state_dict also holds the rest of the training model; only the published
    // trunk_state_dict is the trunk alone.
    if (std::string(part) == "trunk_state_dict")
      unexpected.insert(unexpected.end(), r.unexpected.begin(), r.unexpected.end());
  };
  unloaded_.clear();
  std::vector<std::string> headsLoaded;
  auto loadHeads = [&](const io::NamedTensors& tensors, const std::string& part, const std::string& keyPrefix,
                       bool shapesMustFit) {
    if (!heads_) {
      if (!tensors.empty())
        spdlog::warn("{}: {}: the model has no heads; ignoring {} head tensors", path, part, tensors.size());
      return;
    }
    const std::vector<std::string> mismatches = shapeMismatches(*heads_, tensors, keyPrefix);
    if (!mismatches.empty()) {
      if (shapesMustFit)  // upstream: load_state_dict raises on a size mismatch (no try around it)
        throw InputError(path + " (" + part + "): the heads do not fit the weights: " + joinAll(mismatches) +
                         " (set system#model#heads to the checkpoint's sizes)");
      // As upstream's try/except: heads shaped for another task stay as initialized, loudly.
      spdlog::error(
          "{} ({}): the heads do not fit the weights: {} — the heads keep their initial weights "
          "(expected if the models do not match)",
          path, part, joinAll(mismatches));
      for (const auto& [name, t] : stateDict(*heads_)) {
        std::string why = "not loaded: the other heads did not fit";
        for (const auto& m : mismatches)
          if (m.rfind(keyPrefix + name + ": ", 0) == 0) why = m.substr(keyPrefix.size() + name.size() + 2);
        unloaded_.push_back("heads." + name + " (" + why + ")");
      }
      return;
    }
    const LoadReport r = loadStateDict(*heads_, tensors, path + " (" + part + ")");
    logReport(path, part.c_str(), r);
    headsLoaded.insert(headsLoaded.end(), r.loaded.begin(), r.loaded.end());
  };

  if (file.contains("trunk_state_dict"))
    loadTrunk(io::flattenStateDict(file.at("trunk_state_dict")), "trunk_state_dict");
  if (file.contains("head_state_dict"))
    loadHeads(io::flattenStateDict(file.at("head_state_dict")), "head_state_dict", "",
              /*shapesMustFit=*/false);
  if (file.contains("state_dict")) {
    SplitCheckpoint s = splitCheckpoint(io::flattenStateDict(file.at("state_dict")));
    io::NamedTensors trunkTensors = s.trunk;
    trunkTensors.insert(trunkTensors.end(), s.other.begin(), s.other.end());
    loadTrunk(trunkTensors, ("state_dict " + s.trunkPrefix + "*").c_str());
    loadHeads(s.heads, "state_dict model.heads.*", "model.heads.", /*shapesMustFit=*/true);
  }
  if (heads_ && unloaded_.empty())
    for (const auto& [name, t] : stateDict(*heads_))
      if (std::find(headsLoaded.begin(), headsLoaded.end(), name) == headsLoaded.end())
        unloaded_.push_back("heads." + name + " (not in " + path + ")");

  if (trunkLoaded == 0) {
    std::string msg =
        path + ": no trunk weights matched the model, refusing to continue with a random trunk. ";
    if (trunkOffered == 0) {
      msg += "The file has no trunk_state_dict or state_dict; top-level keys: " + topLevelKeys(file);
    } else {
      msg += "File keys: [" + joinKeys(offeredNames, 6) + "]; the trunk expects: [" +
             joinKeys(namesOf(stateDict(*trunk_)), 6) + "]";
    }
    throw InputError(msg);
  }
  if (strict) {
    std::vector<std::string> missing;
    // As load_state_dict(strict=True) for a state dict without version metadata: a batch-norm
    // step counter the file lacks keeps its value (it does not enter an eval-mode forward).
    for (const auto& name : namesOf(stateDict(*trunk_)))
      if (std::find(loadedNames.begin(), loadedNames.end(), name) == loadedNames.end() &&
          !endsWith(name, ".num_batches_tracked") && name != "num_batches_tracked")
        missing.push_back(name);
    if (!missing.empty() || !unexpected.empty())
      throw InputError(path + ": the weights do not fit the model (another architecture?): " +
                       std::to_string(missing.size()) + " model keys missing from the file [" +
                       joinKeys(missing, 6) + "], " + std::to_string(unexpected.size()) +
                       " file keys the model does not have [" + joinKeys(unexpected, 6) + "]");
  }
}

ExportSummary exportPublishedWeights(const std::string& checkpoint, const std::string& out) {
  const auto file = readTopLevel(checkpoint);
  if (!file.contains("state_dict"))
    throw InputError(checkpoint +
                     ": not a training checkpoint (no 'state_dict'); top-level keys: " + topLevelKeys(file));
  const SplitCheckpoint s = splitCheckpoint(io::flattenStateDict(file.at("state_dict")));
  if (s.trunk.empty())
    throw InputError(checkpoint +
                     ": the state_dict has no 'model.trunk.*' or 'model.backbone.*' keys; found [" +
                     joinKeys(namesOf(s.other), 6) + "]");
  auto published = io::makeStringDict();
  published.insert("trunk_state_dict", io::toStateDict(s.trunk));
  if (!s.heads.empty()) published.insert("head_state_dict", io::toStateDict(s.heads));
  io::writeTorchFile(out, published);
  return {s.trunkPrefix, s.trunk.size(), s.heads.size()};
}

void registerLoadModelTarget(config::Registry& r) {
  using namespace config;
  for (const char* name : {"fmcib.models.LoadModel", "fmcib.models.load_model.LoadModel"}) {
    if (r.find(name)) continue;
    TargetSpec spec;
    spec.name = name;
    spec.doc =
        "A trunk followed by MLP heads (Linear+ReLU, none after the last), optionally loading "
        "published FMCIB weights or a Lightning/lighter checkpoint";
    spec.args = {
        required("trunk", kObject, "the trunk network (e.g. monai.networks.nets.resnet50)"),
        arg("weights_path", kString | kNull, Value(),
            "torch.save file with trunk_state_dict / head_state_dict / state_dict"),
        arg("heads", kList, Value(List{}), "head layer sizes [in, hidden..., out]; [] = trunk features only"),
    };
    spec.build = [](const Args& a) {
      auto trunk = a.getObject<Network>("trunk");
      if (!trunk) a.fail("trunk", "a trunk network is required");
      const std::vector<int64_t> heads = a.getInts("heads");
      for (int64_t h : heads)
        if (h < 1) a.fail("heads", "layer sizes must be positive, got " + std::to_string(h));
      auto model = std::make_shared<LoadModel>(trunk, heads);
      const Value weights = a.get("weights_path");
      if (!weights.isNull()) model->load(weights.asString());
      return Value::object<Network>(model, a.target());
    };
    r.add(std::move(spec));
  }
}

}  // namespace fmcib::models
