#pragma once
/// torch.nn.CrossEntropyLoss and torch.nn.BCEWithLogitsLoss with PyTorch's arguments and numerics.
#include <ATen/Tensor.h>

#include <cstdint>
#include <string>

#include "fmcib/losses/criterion.hpp"

namespace fmcib::losses {

enum class Reduction { None, Mean, Sum };
/// "none" | "mean" | "sum"; ConfigError otherwise.
Reduction parseReduction(const std::string& s);

class CrossEntropyLoss : public Criterion {
 public:
  /// `weight`: per-class weights or undefined. ConfigError for label_smoothing outside [0, 1].
  explicit CrossEntropyLoss(torch::Tensor weight = {}, int64_t ignoreIndex = -100,
                            Reduction reduction = Reduction::Mean, double labelSmoothing = 0.0);
  std::string name() const override { return "torch.nn.CrossEntropyLoss"; }
  bool takesViews() const override { return false; }
  /// input [B, C, ...] logits; target: class indices [B, ...] (any integer-valued dtype is taken as
  /// indices) or class probabilities of the input's shape (floating).
  torch::Tensor forward(const torch::Tensor& input, const torch::Tensor& target) override;

 private:
  torch::Tensor weight_;
  int64_t ignoreIndex_;
  Reduction reduction_;
  double labelSmoothing_;
};

class BCEWithLogitsLoss : public Criterion {
 public:
  explicit BCEWithLogitsLoss(torch::Tensor weight = {}, Reduction reduction = Reduction::Mean,
                             torch::Tensor posWeight = {});
  std::string name() const override { return "torch.nn.BCEWithLogitsLoss"; }
  bool takesViews() const override { return false; }
  /// target must have the input's shape (InputError otherwise, as PyTorch); it is converted to
  /// the input's dtype (labels often arrive as integers).
  torch::Tensor forward(const torch::Tensor& input, const torch::Tensor& target) override;

 private:
  torch::Tensor weight_, posWeight_;
  Reduction reduction_;
};

}  // namespace fmcib::losses
