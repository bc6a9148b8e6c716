#pragma once
/// fmcib.models.LoadModel: a trunk (any Network) followed by MLP heads, optionally initialized
/// from a torch.save weights file — the published `{"trunk_state_dict", "head_state_dict"}` layout
/// or a Lightning/lighter checkpoint `{"state_dict": {"model.trunk.…", "model.heads.…"}}`.
/// Also the inverse: `exportPublishedWeights` turns a checkpoint into the published layout.
#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/container/sequential.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "fmcib/config/registry.hpp"
#include "fmcib/models/network.hpp"

namespace fmcib::models {

class LoadModel : public Network {
 public:
  /// heads: layer sizes [in, h1, ..., out] → [Sequential(Linear(in,h1), ReLU), ...,
  /// Sequential(Linear(h_k, out))] (Python's nn.Sequential of nn.Sequentials; here a ModuleList,
  /// same keys `heads.0.0.weight`, …); fewer than 2 sizes = no heads.
  /// Throws ConfigError for a null trunk or a non-positive size.
  LoadModel(std::shared_ptr<Network> trunk, const std::vector<int64_t>& heads = {});

  /// heads(trunk(x)).
  torch::Tensor forward(const torch::Tensor& x) override;

  /// Loads weights like Python fmcib's LoadModel.load:
  /// - `trunk_state_dict` → the trunk; `head_state_dict` → the heads (keys "0.0.weight", …);
  /// - `state_dict` (Lightning/lighter): keys with a leading "module." stripped; "model.heads.X" → heads
  ///   "X"; "model.trunk.X" → trunk "X" (when no key has that prefix, "model.backbone.X" — an
  ///   ExNegSimCLR checkpoint — is used instead); other keys are offered to the trunk unchanged.
  /// Missing/unexpected keys are logged (spdlog warn). Throws InputError naming the file when it
  /// cannot be read, when no trunk tensor matched (a silently random trunk gives garbage
  /// features), or when a trunk tensor has the wrong shape. Heads, as upstream:
  /// - a Lightning `state_dict` whose heads do not fit: InputError naming each key with both
  ///   shapes (upstream's load_state_dict raises there);
  /// - a `head_state_dict` that does not fit: logged as an error, the heads keep their initial
  ///   weights (upstream's try/except: starting new heads for another task is legitimate).
  /// Heads left unloaded either way are listed by unloadedWeights(); the trainer refuses them in
  /// validate / test / predict.
  /// `strict` (PyTorch's load_state_dict(strict=True) for the trunk, what fmcib.run.get_features
  /// does): a trunk key the file lacks, or a trunk_state_dict key the trunk lacks, is an InputError
  /// listing them.
  void load(const std::string& weightsPath, bool strict = false);

  /// Head parameters the last load() did not set: "heads.0.0.weight (file [2, 4096], model [8, 4096])"
  /// or "heads.0.0.weight (not in <file>)". Empty without heads, without load() or when all loaded.
  std::vector<std::string> unloadedWeights() const override { return unloaded_; }

  const std::shared_ptr<Network>& trunk() const { return trunk_; }
  /// Null when there are no heads.
  const torch::nn::ModuleList& heads() const { return heads_; }

 private:
  std::shared_ptr<Network> trunk_;
  torch::nn::ModuleList heads_{nullptr};
  std::vector<torch::nn::Sequential> layers_;  // heads_'s elements, typed for forward
  std::vector<std::string> unloaded_;
};

/// What exportPublishedWeights wrote.
struct ExportSummary {
  std::string trunkPrefix;  ///< "model.trunk." or "model.backbone."
  size_t trunkTensors = 0;
  size_t headTensors = 0;  ///< 0: no head_state_dict written
};

/// Reads a checkpoint `{"state_dict": {...}}` and writes `{"trunk_state_dict": ..., "head_state_dict":
/// ...}` (the latter only when the checkpoint has `model.heads.*`) to `out`, atomically, loadable
/// by Python's `torch.load(out, weights_only=True)` and fmcib's LoadModel. The trunk is
/// `model.trunk.*`, or `model.backbone.*` for an ExNegSimCLR checkpoint. InputError (naming the
/// file) when there is no state_dict or no trunk key.
ExportSummary exportPublishedWeights(const std::string& checkpoint, const std::string& out);

/// Registers `fmcib.models.LoadModel` (and its module path `fmcib.models.load_model.LoadModel`):
/// arguments trunk (required model), weights_path (string or null), heads (list of ints). Idempotent.
void registerLoadModelTarget(config::Registry& r);

}  // namespace fmcib::models
