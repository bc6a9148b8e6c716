#pragma once
/// `fmcib features`: fmcib.run.get_features — FMCIB features (4096 per seed) for every row of a CSV
/// of seeds: the get_features preprocessing (data/get_features_transforms.hpp) and the published
/// trunk, resnet50(n_input_channels=1, widen_factor=2, conv1_t_stride=2, feed_forward=False,
/// bias_downsample=True) in LoadModel, in eval mode without gradients. The output is the input
/// CSV's columns plus pred_0 … pred_{F-1} (float32, printed to round-trip), rows in input order,
/// written atomically.
///
/// Bad rows (an unreadable or missing scan, a non-numeric coordinate, a seed whose crop is empty)
/// are reported with their row and line, and their pred_ cells are left empty (pandas reads NaN);
/// with `strict` the first one is an InputError. When no row can be processed nothing is written
/// and the first problem is the error.
#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "fmcib/models/network.hpp"
#include "fmcib/models/resnet.hpp"

namespace fmcib::engine {

/// `--weights random`: a seeded random trunk (a baseline for comparisons, not FMCIB).
constexpr const char* kRandomWeights = "random";

struct FeaturesOptions {
  std::string csv;
  /// model_weights.torch (or a lighter checkpoint), or kRandomWeights; empty: an error saying where
  /// the published weights come from.
  std::string weights;
  /// The seed of the random trunk.
  uint64_t seed = 0;
  std::string out;
  int64_t batchSize = 4;
  /// Loader threads; < 0: the trainer's automatic plan.
  int64_t workers = -1;
  /// auto | cpu | cuda
  std::string device = "auto";
  bool precropped = false;
  /// The model input's [z, y, x] size.
  std::array<int64_t, 3> spatialSize{50, 50, 50};
  bool strict = false;
  /// In-memory LRU of decoded scans (bytes), so rows of one scan decode it once.
  int64_t cacheBytes = int64_t{1} << 30;
  bool progress = true;
};

struct FeaturesSummary {
  int64_t rows = 0;
  int64_t failed = 0;
  int64_t width = 0;
  double seconds = 0;
  /// One line per bad row: "<csv> row R (line L): what failed".
  std::vector<std::string> problems;
  std::string device;
};

/// resnet50(n_input_channels=1, widen_factor=2, conv1_t_stride=2, feed_forward=False,
/// bias_downsample=True): the trunk of the published weights (4096 features).
models::ResNetOptions publishedTrunkOptions();

/// The published trunk with `weights` loaded strictly (InputError naming missing / unexpected /
/// mismatched keys on one line), or randomly initialized from `seed` for kRandomWeights.
std::shared_ptr<models::Network> featureTrunk(const std::string& weights, uint64_t seed);

/// Runs the extraction; `model` replaces the published trunk (tests use a small one). Throws
/// ConfigError / InputError for bad options or input (CSV columns, weights, all rows bad).
FeaturesSummary extractFeatures(const FeaturesOptions& options,
                                std::shared_ptr<models::Network> model = nullptr);

/// `<csv stem>_features.csv` in the current directory.
std::string defaultFeaturesOut(const std::string& csv);

/// The message when no weights are given: where the published ones come from.
std::string missingWeightsMessage();

}  // namespace fmcib::engine
