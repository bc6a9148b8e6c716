#pragma once
// A registry of small test targets shared by the config tests.
#include <memory>

#include "fmcib/config/config.hpp"
#include "fmcib/config/registry.hpp"

namespace fmcib::test {

/// Counts how many times it was built.
struct Thing {
  int64_t a = 0;
  double b = 0;
  config::Value items;
  std::shared_ptr<Thing> child;
};

/// A "dataset" with a length, for len(@...).
struct FakeDataset {
  int64_t n = 0;
};

/// Registry with test.Thing(a: int required, b: float=1.5, items: list|null, child: object|null),
/// test.Dataset(n: int), the method __len__ on FakeDataset and the function math.twice(x).
config::Registry& testRegistry();
/// Builds of test.Thing so far.
int& thingBuilds();

inline config::Config load(const std::string& yaml) {
  return config::Config::fromString(yaml, "test.yaml", testRegistry());
}

}  // namespace fmcib::test
