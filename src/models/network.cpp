#include "fmcib/models/network.hpp"

namespace fmcib::models {

std::map<std::string, std::vector<torch::Tensor>> Network::forwardViews(
    const std::map<std::string, std::vector<torch::Tensor>>& views) {
  std::map<std::string, std::vector<torch::Tensor>> out;
  for (const auto& [key, tensors] : views)
    for (const auto& t : tensors) out[key].push_back(forward(t));
  return out;
}

}  // namespace fmcib::models
