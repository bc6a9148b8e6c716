#pragma once
/// The transform interface (DESIGN §5): a value holding its parameters, called with an explicit
/// random generator. Random transforms draw only from that generator, so a pipeline is
/// reproducible from a seed. Registered configs store every transform as
/// `config::Value::object<transforms::Transform>`.
#include <ATen/Tensor.h>

#include <memory>
#include <random>
#include <string>
#include <vector>

namespace fmcib::transforms {

using Generator = std::mt19937_64;

class Transform {
 public:
  virtual ~Transform() = default;
  /// One output for one input (a tensor in, a tensor out).
  virtual at::Tensor operator()(const at::Tensor& x, Generator& gen) const = 0;
  /// Several views of one input; only Duplicate (and a Compose containing it) returns more than one.
  virtual std::vector<at::Tensor> views(const at::Tensor& x, Generator& gen) const {
    return {(*this)(x, gen)};
  }
  /// The registered name, e.g. "monai.transforms.RandAxisFlip".
  virtual std::string name() const = 0;
};

using TransformPtr = std::shared_ptr<const Transform>;

}  // namespace fmcib::transforms
