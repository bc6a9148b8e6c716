#pragma once
/// Pipelines: Compose (monai.transforms.Compose, torchvision.transforms.Compose) and Duplicate
/// (fmcib.transforms.Duplicate, the two-view augmentation of SimCLR-style pre-training).
///
/// Views propagate: Compose::views() applies each transform to every view produced so far, so
/// `Compose([ToTensor, EnsureChannelFirst, Duplicate(t1, t2)])` yields two views, and a transform
/// after the Duplicate is applied to each of them (in view order, drawing from the same generator).
#include <string>
#include <vector>

#include "fmcib/transforms/transform.hpp"

namespace fmcib::transforms {

class Compose final : public Transform {
 public:
  /// `registeredName` is the `_target_` it was built as (both Compose names build this class).
  explicit Compose(std::vector<TransformPtr> transforms,
                   std::string registeredName = "monai.transforms.Compose");
  /// One view in, one view out; throws RuntimeError when a member produces several views.
  at::Tensor operator()(const at::Tensor& x, Generator& gen) const override;
  std::vector<at::Tensor> views(const at::Tensor& x, Generator& gen) const override;
  std::string name() const override { return name_; }
  const std::vector<TransformPtr>& transforms() const { return transforms_; }

 private:
  std::vector<TransformPtr> transforms_;
  std::string name_;
};

/// Two independently augmented copies of one input: views(x) = views of transforms1(x) followed by
/// views of transforms2(x). As in fmcib's Python class, a null transform leaves its copy unchanged
/// (configs write `transforms2: "@#transforms1"` to augment both copies the same way).
class Duplicate final : public Transform {
 public:
  Duplicate(TransformPtr transforms1, TransformPtr transforms2);
  /// Always throws RuntimeError: a Duplicate has two outputs, call views().
  at::Tensor operator()(const at::Tensor& x, Generator& gen) const override;
  std::vector<at::Tensor> views(const at::Tensor& x, Generator& gen) const override;
  std::string name() const override { return "fmcib.transforms.Duplicate"; }

 private:
  TransformPtr transforms1_;
  TransformPtr transforms2_;
};

}  // namespace fmcib::transforms
