#include "fmcib/losses/supervised.hpp"

#include <torch/torch.h>

#include <sstream>

#include "fmcib/config/error.hpp"

namespace fmcib::losses {

namespace {

namespace F = torch::nn::functional;

template <class Options>
void setReduction(Options& o, Reduction r) {
  switch (r) {
    case Reduction::None:
      o.reduction(torch::kNone);
      break;
    case Reduction::Mean:
      o.reduction(torch::kMean);
      break;
    case Reduction::Sum:
      o.reduction(torch::kSum);
      break;
  }
}

}  // namespace

Reduction parseReduction(const std::string& s) {
  if (s == "none") return Reduction::None;
  if (s == "mean") return Reduction::Mean;
  if (s == "sum") return Reduction::Sum;
  throw ConfigError("reduction must be 'none', 'mean' or 'sum', got '" + s + "'");
}

CrossEntropyLoss::CrossEntropyLoss(torch::Tensor weight, int64_t ignoreIndex, Reduction reduction,
                                   double labelSmoothing)
    : ignoreIndex_(ignoreIndex), reduction_(reduction), labelSmoothing_(labelSmoothing) {
  if (labelSmoothing_ < 0.0 || labelSmoothing_ > 1.0)
    throw ConfigError("CrossEntropyLoss: label_smoothing must be in [0, 1], got " +
                      std::to_string(labelSmoothing_));
  if (weight.defined()) weight_ = register_buffer("weight", weight.to(torch::kFloat));
}

torch::Tensor CrossEntropyLoss::forward(const torch::Tensor& input, const torch::Tensor& target) {
  auto o = F::CrossEntropyFuncOptions().ignore_index(ignoreIndex_).label_smoothing(labelSmoothing_);
  setReduction(o, reduction_);
  if (weight_.defined()) o.weight(weight_.to(input.dtype()));
  const bool probabilities = target.is_floating_point() && target.sizes() == input.sizes();
  // Integer-valued labels often arrive as floats from CSV columns; PyTorch wants int64 indices.
  torch::Tensor t = probabilities ? target.to(input.dtype()) : target.to(torch::kLong);
  if (!probabilities && (t.dim() != input.dim() - 1)) {
    std::ostringstream os;
    os << "CrossEntropyLoss: target " << target.sizes() << " does not fit input " << input.sizes()
       << " (class indices [B] or probabilities of the input's shape)";
    throw InputError(os.str());
  }
  return F::cross_entropy(input, t, o);
}

BCEWithLogitsLoss::BCEWithLogitsLoss(torch::Tensor weight, Reduction reduction, torch::Tensor posWeight)
    : reduction_(reduction) {
  if (weight.defined()) weight_ = register_buffer("weight", weight.to(torch::kFloat));
  if (posWeight.defined()) posWeight_ = register_buffer("pos_weight", posWeight.to(torch::kFloat));
}

torch::Tensor BCEWithLogitsLoss::forward(const torch::Tensor& input, const torch::Tensor& target) {
  if (target.sizes() != input.sizes()) {
    std::ostringstream os;
    os << "BCEWithLogitsLoss: target size " << target.sizes() << " must be the same as input size "
       << input.sizes();
    throw InputError(os.str());
  }
  auto o = F::BinaryCrossEntropyWithLogitsFuncOptions();
  setReduction(o, reduction_);
  if (weight_.defined()) o.weight(weight_.to(input.dtype()));
  if (posWeight_.defined()) o.pos_weight(posWeight_.to(input.dtype()));
  return F::binary_cross_entropy_with_logits(input, target.to(input.dtype()), o);
}

}  // namespace fmcib::losses
