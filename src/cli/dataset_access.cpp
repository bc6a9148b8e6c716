#include "dataset_access.hpp"

#include <spdlog/spdlog.h>

#include <cstdlib>

#include "fmcib/common/parse_number.hpp"
#include "fmcib/data/data_loader.hpp"

namespace fmcib::cli {

std::shared_ptr<const data::SSLRadiomicsDataset> resolveSslDataset(const config::Config& cfg,
                                                                   const std::string& name) {
  const std::string path = "system#datasets#" + name;
  if (!cfg.contains(path)) throw ConfigError("the config has no dataset at " + path);
  const config::Value value = cfg.resolve(path);
  if (!value.holds<data::Dataset>()) throw ConfigError(path + " is " + value.kindName() + ", not a dataset");
  auto dataset = std::dynamic_pointer_cast<const data::SSLRadiomicsDataset>(value.as<data::Dataset>());
  if (!dataset) throw ConfigError(path + " is not an fmcib.datasets.SSLRadiomicsDataset");
  return dataset;
}

uint64_t inspectionSeed(const ConfigOptions& options) {
  if (const char* env = std::getenv("PL_GLOBAL_SEED"); env && *env)
    return static_cast<uint64_t>(requireInt(env, "environment variable PL_GLOBAL_SEED", 0));
  return options.seed >= 0 ? static_cast<uint64_t>(options.seed) : 0;
}

std::optional<data::DetailedItem> detailedItemOrSkip(const data::SSLRadiomicsDataset& dataset, int64_t i,
                                                     uint64_t seed) {
  data::Generator gen(data::itemSeed(seed, 0, i));
  try {
    return dataset.getDetailed(i, gen);
  } catch (const data::UnusableRowError& e) {
    spdlog::error("{} — skipped (fmcib check-data lists such rows)", e.what());
    return std::nullopt;
  }
}

}  // namespace fmcib::cli
