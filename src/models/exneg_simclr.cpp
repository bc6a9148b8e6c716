#include "fmcib/models/exneg_simclr.hpp"

#include <torch/torch.h>

#include "fmcib/config/error.hpp"

namespace fmcib::models {

namespace {

// lightly's ProjectionHead keeps its layers in a Sequential named `layers`; this module exists
// only so the parameter names are `projection_head.layers.{0,2}.*`.
class ProjectionHeadImpl : public torch::nn::Module {
 public:
  ProjectionHeadImpl(int64_t in, int64_t hidden, int64_t out)
      : layers(
            register_module("layers", torch::nn::Sequential(torch::nn::Linear(in, hidden), torch::nn::ReLU(),
                                                            torch::nn::Linear(hidden, out)))) {}
  torch::Tensor forward(const torch::Tensor& x) { return layers->forward(x); }
  torch::nn::Sequential layers;
};

}  // namespace

struct ExNegSimCLR::Head {
  std::shared_ptr<ProjectionHeadImpl> module;
};

std::vector<std::string> viewOrder(const Views& views) {
  std::vector<std::string> order;
  for (const char* first : {"positive", "negative"})
    if (views.count(first)) order.emplace_back(first);
  for (const auto& kv : views)
    if (kv.first != "positive" && kv.first != "negative") order.push_back(kv.first);
  return order;
}

ExNegSimCLR::ExNegSimCLR(std::shared_ptr<Network> backbone, int64_t numFtrs, int64_t outDim)
    : backbone_(std::move(backbone)), head_(std::make_shared<Head>()), numFtrs_(numFtrs), outDim_(outDim) {
  if (!backbone_) throw ConfigError("ExNegSimCLR: backbone is null");
  if (numFtrs_ < 2 || outDim_ < 1)
    throw ConfigError("ExNegSimCLR: num_ftrs must be >= 2 and out_dim >= 1 (got " + std::to_string(numFtrs_) +
                      ", " + std::to_string(outDim_) + ")");
  register_module("backbone", backbone_);
  head_->module = register_module("projection_head",
                                  std::make_shared<ProjectionHeadImpl>(numFtrs_, numFtrs_ / 2, outDim_));
}

torch::Tensor ExNegSimCLR::features(const torch::Tensor& x) {
  return backbone_->forward(x).flatten(1);
}

torch::Tensor ExNegSimCLR::project(const torch::Tensor& f) {
  if (f.dim() != 2 || f.size(1) != numFtrs_)
    throw InputError("ExNegSimCLR: the backbone emits " +
                     std::to_string(f.dim() == 2 ? f.size(1) : f.numel()) +
                     " features per sample but num_ftrs is " + std::to_string(numFtrs_));
  return head_->module->forward(f);
}

torch::Tensor ExNegSimCLR::forward(const torch::Tensor& x) {
  return project(features(x));
}

Views ExNegSimCLR::forwardViews(const Views& views) {
  return forwardViewsWithFeatures(views).embeddings;
}

ExNegSimCLR::ViewsWithFeatures ExNegSimCLR::forwardViewsWithFeatures(const Views& views) {
  ViewsWithFeatures out;
  for (const std::string& key : viewOrder(views)) {
    for (const torch::Tensor& view : views.at(key)) {
      torch::Tensor f = features(view);
      out.embeddings[key].push_back(project(f));
      out.features[key].push_back(f);
    }
  }
  return out;
}

}  // namespace fmcib::models
