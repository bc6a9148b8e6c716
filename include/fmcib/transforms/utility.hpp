#pragma once
/// Utility transforms: ToTensor, EnsureChannelFirst, Transpose (monai.transforms.*).
#include <c10/core/ScalarType.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "fmcib/transforms/transform.hpp"

namespace fmcib::transforms {

/// The data loader already hands over tensors, so ToTensor only converts the dtype when asked
/// (`dtype: null` keeps it) and makes the tensor contiguous.
class ToTensor final : public Transform {
 public:
  explicit ToTensor(std::optional<c10::ScalarType> dtype = std::nullopt) : dtype_(dtype) {}
  at::Tensor operator()(const at::Tensor& x, Generator& gen) const override;
  std::string name() const override { return "monai.transforms.ToTensor"; }

 private:
  std::optional<c10::ScalarType> dtype_;
};

/// `channel_dim="no_channel"` (kNoChannel) adds a leading channel axis; an integer moves that axis
/// to the front. Without channel_dim MONAI reads it from image metadata, which a plain tensor does
/// not have: with strict_check the call fails, otherwise the tensor is returned unchanged.
class EnsureChannelFirst final : public Transform {
 public:
  static constexpr int64_t kNoChannel = INT64_MIN;
  static constexpr int64_t kFromMetadata = INT64_MAX;
  explicit EnsureChannelFirst(int64_t channelDim = kFromMetadata, bool strictCheck = true)
      : channelDim_(channelDim), strictCheck_(strictCheck) {}
  at::Tensor operator()(const at::Tensor& x, Generator& gen) const override;
  std::string name() const override { return "monai.transforms.EnsureChannelFirst"; }

 private:
  int64_t channelDim_;
  bool strictCheck_;
};

/// Permutes all axes (channel included) by `indices`; empty reverses them (numpy's transpose).
class Transpose final : public Transform {
 public:
  explicit Transpose(std::vector<int64_t> indices = {}) : indices_(std::move(indices)) {}
  at::Tensor operator()(const at::Tensor& x, Generator& gen) const override;
  std::string name() const override { return "monai.transforms.Transpose"; }

 private:
  std::vector<int64_t> indices_;
};

}  // namespace fmcib::transforms
