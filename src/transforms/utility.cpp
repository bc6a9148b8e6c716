#include "fmcib/transforms/utility.hpp"

#include <torch/torch.h>

#include "common.hpp"

namespace fmcib::transforms {

at::Tensor ToTensor::operator()(const at::Tensor& x, Generator&) const {
  if (!x.defined()) throw RuntimeError("monai.transforms.ToTensor: got an undefined tensor");
  return detail::castTo(x, dtype_).contiguous();
}

at::Tensor EnsureChannelFirst::operator()(const at::Tensor& x, Generator&) const {
  if (!x.defined()) throw RuntimeError("monai.transforms.EnsureChannelFirst: got an undefined tensor");
  if (channelDim_ == kNoChannel) return x.unsqueeze(0);
  if (channelDim_ == kFromMetadata) {
    if (strictCheck_)
      throw RuntimeError(
          "monai.transforms.EnsureChannelFirst: a plain tensor carries no channel metadata; set channel_dim "
          "(e.g. channel_dim: no_channel for a [D, H, W] patch)");
    return x;
  }
  const int64_t n = x.dim();
  if (channelDim_ < -n || channelDim_ >= n)
    throw RuntimeError("monai.transforms.EnsureChannelFirst: channel_dim " + std::to_string(channelDim_) +
                       " is out of range for a tensor of shape " + c10::str(x.sizes()));
  return x.movedim(channelDim_, 0);
}

at::Tensor Transpose::operator()(const at::Tensor& x, Generator&) const {
  if (indices_.empty()) {
    std::vector<int64_t> rev(x.dim());
    for (int64_t i = 0; i < x.dim(); ++i) rev[i] = x.dim() - 1 - i;
    return x.permute(rev).contiguous();
  }
  if (static_cast<int64_t>(indices_.size()) != x.dim())
    throw RuntimeError("monai.transforms.Transpose: indices " + c10::str(at::IntArrayRef(indices_)) +
                       " do not match a tensor of shape " + c10::str(x.sizes()));
  return x.permute(indices_).contiguous();
}

}  // namespace fmcib::transforms
