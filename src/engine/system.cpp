#include "fmcib/engine/system.hpp"

namespace fmcib::engine {

data::DatasetPtr System::dataset(const std::string& mode) const {
  auto it = datasets.find(mode);
  return it == datasets.end() ? nullptr : it->second;
}

const std::vector<NamedMetric>& System::stageMetrics(const std::string& mode) const {
  static const std::vector<NamedMetric> kNone;
  auto it = metrics.find(mode);
  return it == metrics.end() ? kNone : it->second;
}

}  // namespace fmcib::engine
