#pragma once
// tests/fixtures/probe/protocol_reference.json (written by make_probe_reference.py with
// scikit-learn 1.2.1 / numpy 1.24), read with yaml-cpp (JSON is YAML).
#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <vector>

#include "support/paths.hpp"

namespace fmcib::probe::test {

inline const YAML::Node& protocolReference() {
  static const YAML::Node node = YAML::LoadFile(fmcib::test::fixture("probe/protocol_reference.json"));
  return node;
}

template <class T>
std::vector<T> asVector(const YAML::Node& node) {
  std::vector<T> out;
  for (const auto& v : node) out.push_back(v.as<T>());
  return out;
}

}  // namespace fmcib::probe::test
