#pragma once
/// fmcib.ssl.modules.ExNegSimCLR: lightly's SimCLR with a two-layer projection head
/// Linear(num_ftrs, num_ftrs/2) → ReLU → Linear(num_ftrs/2, out_dim) (both with bias; keys
/// `projection_head.layers.0` and `.layers.2`) over any backbone (keys `backbone.*`).
///
/// forwardViews maps {"positive": [a, b], "negative": [c, d]} to embeddings of the same shape.
/// Like the reference, every view goes through the backbone in its own pass (batch statistics in
/// train-mode BatchNorm depend on what shares a batch, so concatenating views would change the
/// numbers), and groups are processed "positive", then "negative", then any other key in name
/// order — the order the Python dict has, which matters for BatchNorm running statistics.
#include <torch/nn/module.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "fmcib/models/network.hpp"

namespace fmcib::models {

using Views = std::map<std::string, std::vector<torch::Tensor>>;

class ExNegSimCLR : public Network {
 public:
  /// Throws ConfigError for a null backbone or non-positive sizes.
  ExNegSimCLR(std::shared_ptr<Network> backbone, int64_t numFtrs = 32, int64_t outDim = 128);

  /// Embedding of one batch: projection_head(features(x)).
  torch::Tensor forward(const torch::Tensor& x) override;
  /// backbone(x).flatten(1): the num_ftrs-d features.
  torch::Tensor features(const torch::Tensor& x);
  torch::Tensor project(const torch::Tensor& features);

  Views forwardViews(const Views& views) override;

  /// The reference's `forward(x, return_features=True)`: embeddings and backbone features of
  /// every view, in the same layout.
  struct ViewsWithFeatures {
    Views embeddings;
    Views features;
  };
  ViewsWithFeatures forwardViewsWithFeatures(const Views& views);

  const std::shared_ptr<Network>& backbone() const { return backbone_; }
  int64_t numFtrs() const { return numFtrs_; }
  int64_t outDim() const { return outDim_; }

 private:
  // The head's Sequential (defined in exneg_simclr.cpp, keeps torch.h out of this header).
  struct Head;
  std::shared_ptr<Network> backbone_;
  std::shared_ptr<Head> head_;
  int64_t numFtrs_, outDim_;
};

/// The order forwardViews visits groups: "positive", "negative", then the rest by name.
std::vector<std::string> viewOrder(const Views& views);

}  // namespace fmcib::models
