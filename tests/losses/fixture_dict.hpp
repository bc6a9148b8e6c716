#pragma once
// Reads a plain-dict torch.save fixture (losses.pt, lars.pt) with LibTorch's pickle_load.
#include <torch/torch.h>

#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <vector>

#include "support/paths.hpp"

namespace fmcib::test {

class FixtureDict {
 public:
  explicit FixtureDict(const std::string& name) {
    std::ifstream in(fixture(name), std::ios::binary);
    if (!in) throw std::runtime_error("missing fixture " + fixture(name));
    std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    dict_ = torch::pickle_load(bytes).toGenericDict();
  }
  torch::Tensor operator[](const std::string& key) const {
    if (!dict_.contains(key)) throw std::runtime_error("fixture has no key " + key);
    return dict_.at(key).toTensor();
  }

 private:
  c10::impl::GenericDict dict_{c10::AnyType::get(), c10::AnyType::get()};
};

}  // namespace fmcib::test
