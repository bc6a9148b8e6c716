#pragma once
/// The one type every model `_target_` is stored as (`config::Value::object<models::Network>`), so
/// models compose (ExNegSimCLR wraps any backbone, LoadModel any trunk) and the engine trains any.
#include <torch/nn/module.h>

#include <map>
#include <string>
#include <vector>

namespace fmcib::models {

class Network : public torch::nn::Module {
 public:
  using torch::nn::Module::Module;
  /// Batch in, batch out ([B, C, D, H, W] → [B, F] for trunks).
  virtual torch::Tensor forward(const torch::Tensor& x) = 0;
  /// Several named groups of views (the SSL forward: {"positive": [a, b], "negative": [c, d]}).
  /// Default: forward on each tensor.
  virtual std::map<std::string, std::vector<torch::Tensor>> forwardViews(
      const std::map<std::string, std::vector<torch::Tensor>>& views);
  /// Parameters a weights file was meant to set but did not (e.g. LoadModel's heads whose shapes do
  /// not fit), each "<key> (<why>)"; they keep their random initialization. Empty by default.
  virtual std::vector<std::string> unloadedWeights() const { return {}; }
};

}  // namespace fmcib::models
