#include "fmcib/losses/criterion.hpp"

#include <torch/torch.h>

#include "fmcib/config/error.hpp"

namespace fmcib::losses {

torch::Tensor Criterion::forwardViews(const Embeddings&) {
  throw RuntimeError(name() + " takes (prediction, target), not the dict of views an SSL model returns");
}

torch::Tensor Criterion::forward(const torch::Tensor&, const torch::Tensor&) {
  throw RuntimeError(name() +
                     " takes the dict of views an SSL model returns ({positive: [...], negative: [...]}), "
                     "not (prediction, target)");
}

}  // namespace fmcib::losses
