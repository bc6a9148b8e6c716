#pragma once
// What the commands that look at a dataset without training share (export-patches, preview): the
// SSLRadiomicsDataset at system#datasets#<name>, and the seed its items are drawn with.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "config_options.hpp"
#include "fmcib/data/ssl_radiomics_dataset.hpp"

namespace fmcib::cli {

/// Builds system#datasets#<name>; ConfigError when it is missing or not an SSLRadiomicsDataset.
std::shared_ptr<const data::SSLRadiomicsDataset> resolveSslDataset(const config::Config& cfg,
                                                                   const std::string& name);

/// The seed items are drawn with (item i uses data::itemSeed(seed, 0, i), as epoch 0 of training):
/// PL_GLOBAL_SEED when set, else --seed, else 0.
uint64_t inspectionSeed(const ConfigOptions& options);

/// Row `i` drawn with data::itemSeed(seed, 0, i); none (logged as an error) for an unusable row,
/// which training would replace and predict skip.
std::optional<data::DetailedItem> detailedItemOrSkip(const data::SSLRadiomicsDataset& dataset, int64_t i,
                                                     uint64_t seed);

}  // namespace fmcib::cli
