#pragma once
/// The loss interface (DESIGN §6). Every `criterion` `_target_` is stored in configs as
/// `config::Value::object<losses::Criterion>`. A criterion either takes the model's view dict
/// (the SSL losses: `{"positive": [z0, z1], "negative": [z2, z3]}` from ExNegSimCLR) or a
/// (prediction, target) pair (the supervised losses); `takesViews()` says which, so the engine
/// calls the right overload. It is a torch Module so its tensors (class weights) move with `to()`.
#include <torch/nn/module.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace fmcib::losses {

/// The model's output for a batch of views (the same type as Network::forwardViews returns).
using Embeddings = std::map<std::string, std::vector<torch::Tensor>>;

class Criterion : public torch::nn::Module {
 public:
  /// The registered name, e.g. "torch.nn.CrossEntropyLoss".
  virtual std::string name() const = 0;
  /// True when the criterion is called with forwardViews, false with forward(input, target).
  virtual bool takesViews() const = 0;
  /// SSL losses. Default: RuntimeError naming the criterion (it needs a prediction and a target).
  virtual torch::Tensor forwardViews(const Embeddings& out);
  /// Supervised losses. Default: RuntimeError naming the criterion (it needs the view dict).
  virtual torch::Tensor forward(const torch::Tensor& input, const torch::Tensor& target);
};

using CriterionPtr = std::shared_ptr<Criterion>;

}  // namespace fmcib::losses
