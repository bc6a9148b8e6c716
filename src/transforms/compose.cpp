#include "fmcib/transforms/compose.hpp"

#include <torch/torch.h>

#include "fmcib/config/error.hpp"

namespace fmcib::transforms {

Compose::Compose(std::vector<TransformPtr> transforms, std::string registeredName)
    : transforms_(std::move(transforms)), name_(std::move(registeredName)) {
  for (const auto& t : transforms_)
    if (!t) throw ConfigError("transforms: a Compose member is null");
}

at::Tensor Compose::operator()(const at::Tensor& x, Generator& gen) const {
  at::Tensor y = x;
  for (const auto& t : transforms_) y = (*t)(y, gen);
  return y;
}

std::vector<at::Tensor> Compose::views(const at::Tensor& x, Generator& gen) const {
  std::vector<at::Tensor> current{x};
  for (const auto& t : transforms_) {
    std::vector<at::Tensor> next;
    next.reserve(current.size());
    for (const auto& v : current) {
      auto produced = t->views(v, gen);
      next.insert(next.end(), std::make_move_iterator(produced.begin()),
                  std::make_move_iterator(produced.end()));
    }
    current = std::move(next);
  }
  return current;
}

Duplicate::Duplicate(TransformPtr transforms1, TransformPtr transforms2)
    : transforms1_(std::move(transforms1)), transforms2_(std::move(transforms2)) {}

at::Tensor Duplicate::operator()(const at::Tensor&, Generator&) const {
  throw RuntimeError(
      "fmcib.transforms.Duplicate produces two views; call views() on the pipeline that contains it");
}

std::vector<at::Tensor> Duplicate::views(const at::Tensor& x, Generator& gen) const {
  // The untransformed copy is a clone (Python deep-copies it), so the two views never share storage.
  auto one = [&](const TransformPtr& t) { return t ? t->views(x, gen) : std::vector<at::Tensor>{x.clone()}; };
  std::vector<at::Tensor> out = one(transforms1_);
  std::vector<at::Tensor> second = one(transforms2_);
  out.insert(out.end(), std::make_move_iterator(second.begin()), std::make_move_iterator(second.end()));
  return out;
}

}  // namespace fmcib::transforms
