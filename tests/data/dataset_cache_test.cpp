// SSLRadiomicsDataset with `cache_dir` / `cache_bytes`: the same items as without, epoch after
// epoch and on both crop paths; the stage counters see every stage of an item.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>
#include <memory>
#include <utility>
#include <vector>

#include "data/phantom.hpp"
#include "fmcib/config/config.hpp"
#include "fmcib/config/error.hpp"
#include "fmcib/data/data_loader.hpp"
#include "fmcib/data/ssl_radiomics_dataset.hpp"
#include "fmcib/data/stage_timer.hpp"
#include "fmcib/data/targets.hpp"
#include "fmcib/io/csv.hpp"
#include "fmcib/io/image_io.hpp"
#include "support/paths.hpp"

namespace fs = std::filesystem;
using namespace fmcib;
using data::SSLRadiomicsDataset;
using data::SSLRadiomicsOptions;

namespace {

/// Adds one random offset per view (so the draws show).
class Shift : public transforms::Transform {
 public:
  at::Tensor operator()(const at::Tensor& x, transforms::Generator& gen) const override {
    return x.unsqueeze(0) + static_cast<float>(gen() % 100);
  }
  std::vector<at::Tensor> views(const at::Tensor& x, transforms::Generator& gen) const override {
    return {(*this)(x, gen), (*this)(x, gen)};
  }
  std::string name() const override { return "test.Shift"; }
};

// Three phantom scans (every phantom geometry), two seeds each, one near a border.
std::string makeCsv(const fs::path& dir) {
  std::vector<std::vector<std::string>> rows;
  int s = 0;
  for (const auto& [name, g] : test::phantomGeometries({36, 32, 18})) {
    const std::string file = name + ".nii.gz";
    io::writeImage(test::linearPhantom(g, {}, io::PixelType::kInt16), (dir / file).string());
    for (const io::Vec3& idx : {io::Vec3{17.4, 15.2, 9.3}, io::Vec3{2.2, 30.6, 1.4}}) {
      const io::Vec3 p = g.indexToPhysical(idx);
      rows.push_back(
          {file, std::to_string(p[0]), std::to_string(p[1]), std::to_string(p[2]), std::to_string(s++ % 2)});
    }
  }
  const std::string csv = (dir / "rows.csv").string();
  io::writeCsv(csv, {"image_path", "coordX", "coordY", "coordZ", "label"}, rows);
  return csv;
}

void expectSameItems(const SSLRadiomicsDataset& a, const SSLRadiomicsDataset& b, int64_t epoch) {
  ASSERT_EQ(a.size(), b.size());
  for (int64_t i = 0; i < a.size(); ++i) {
    data::Generator g1(data::itemSeed(7, epoch, i)), g2(data::itemSeed(7, epoch, i));
    const data::Item x = a.get(i, g1), y = b.get(i, g2);
    const auto lx = x.input.leaves(), ly = y.input.leaves();
    ASSERT_EQ(lx.size(), 4u);
    ASSERT_EQ(ly.size(), 4u);
    for (size_t k = 0; k < lx.size(); ++k)
      EXPECT_TRUE(torch::equal(lx[k], ly[k])) << "row " << i << " leaf " << k;
    EXPECT_TRUE(torch::equal(x.target.tensor(), y.target.tensor()));
  }
}

}  // namespace

TEST(DatasetCache, CachedRunsEqualTheUncachedRunItemForItem) {
  const fs::path dir = test::tempDir("ds_cache");
  SSLRadiomicsOptions o;
  o.path = makeCsv(dir);
  o.label = "label";
  o.radius = 7;
  o.orient = true;
  o.resampleSpacing = io::Vec3{1, 1, 1};
  o.transform = std::make_shared<Shift>();
  for (data::CropMode mode : {data::CropMode::kRegion, data::CropMode::kWholeImage}) {
    SCOPED_TRACE(data::cropModeName(mode));
    o.cropMode = mode;
    o.cacheDir.clear();
    o.cacheBytes = 0;
    const SSLRadiomicsDataset plain(o);
    EXPECT_FALSE(plain.cache());
    o.cacheDir = (dir / (std::string("cache_") + data::cropModeName(mode))).string();
    const SSLRadiomicsDataset cached(o);
    o.cacheBytes = 1 << 20;  // holds every scan: later epochs hit memory
    const SSLRadiomicsDataset both(o);
    for (int64_t epoch = 0; epoch < 2; ++epoch) {
      expectSameItems(plain, cached, epoch);
      expectSameItems(plain, both, epoch);
    }
    const data::ScanCacheStats s = cached.cache()->stats();
    EXPECT_EQ(s.decodes, 3);  // once per scan
    EXPECT_EQ(s.fileHits, 2 * plain.size() - 3);
    EXPECT_EQ(both.cache()->stats().decodes, 0);  // `cached` wrote every entry already
    EXPECT_EQ(both.cache()->stats().memoryHits, 0);
  }
}

// Seeds at -2.4, size + 1 and -30 voxels of every phantom geometry: the partial patches are the same
// with and without the scan cache, on both crop paths; the far row is unusable alike everywhere.
TEST(DatasetCache, BorderSeedsAgreeWithAndWithoutCacheOnBothCropPaths) {
  const fs::path dir = test::tempDir("ds_cache_border");
  std::vector<std::vector<std::string>> rows;
  std::vector<bool> usable;
  for (const auto& [name, g] : test::phantomGeometries({36, 32, 18})) {
    const std::string file = name + ".nii.gz";
    io::writeImage(test::linearPhantom(g, {}, io::PixelType::kInt16), (dir / file).string());
    const double n0 = static_cast<double>(g.size[0]), n1 = static_cast<double>(g.size[1]);
    for (const auto& [idx, ok] : std::vector<std::pair<io::Vec3, bool>>{{{-2.4, 15.2, 9.3}, true},
                                                                        {{17.4, n1 + 1, 9.3}, true},
                                                                        {{n0 + 1, 15.2, -2.4}, true},
                                                                        {{17.4, 15.2, -30}, false}}) {
      const io::Vec3 p = g.indexToPhysical(idx);
      rows.push_back({file, std::to_string(p[0]), std::to_string(p[1]), std::to_string(p[2]), "1"});
      usable.push_back(ok);
    }
  }
  const std::string csv = (dir / "border.csv").string();
  io::writeCsv(csv, {"image_path", "coordX", "coordY", "coordZ", "label"}, rows);
  SSLRadiomicsOptions o;
  o.path = csv;
  o.label = "label";
  o.radius = 7;
  o.transform = std::make_shared<Shift>();
  for (bool orient : {false, true}) {
    o.orient = orient;
    std::vector<std::unique_ptr<SSLRadiomicsDataset>> variants;
    for (data::CropMode mode : {data::CropMode::kRegion, data::CropMode::kWholeImage}) {
      o.cropMode = mode;
      o.cacheDir.clear();
      variants.push_back(std::make_unique<SSLRadiomicsDataset>(o));
      o.cacheDir = (dir / ("cache_" + std::to_string(orient) + data::cropModeName(mode))).string();
      variants.push_back(std::make_unique<SSLRadiomicsDataset>(o));
    }
    for (int64_t i = 0; i < variants[0]->size(); ++i) {
      SCOPED_TRACE("orient " + std::to_string(orient) + " row " + std::to_string(i));
      std::vector<std::vector<at::Tensor>> leaves;
      for (const auto& ds : variants) {
        data::Generator gen(data::itemSeed(7, 0, i));
        try {
          leaves.push_back(ds->get(i, gen).input.leaves());
        } catch (const data::UnusableRowError& e) {
          leaves.push_back({});
          EXPECT_NE(std::string(e.what()).find("row " + std::to_string(i) + " (line " +
                                               std::to_string(i + 2) + ")"),
                    std::string::npos)
              << e.what();
        }
      }
      if (usable[static_cast<size_t>(i)] && !orient) {
        ASSERT_EQ(leaves[0].size(), 4u);  // a partial patch, not an error
        EXPECT_LT(leaves[0][0].numel(), 14 * 14 * 14);
      }
      if (!usable[static_cast<size_t>(i)]) {
        EXPECT_TRUE(leaves[0].empty());
      }
      for (size_t v = 1; v < leaves.size(); ++v) {
        ASSERT_EQ(leaves[v].size(), leaves[0].size()) << "variant " << v;
        for (size_t k = 0; k < leaves[0].size(); ++k)
          EXPECT_TRUE(torch::equal(leaves[v][k], leaves[0][k])) << "variant " << v << " leaf " << k;
      }
    }
  }
}

TEST(DatasetCache, ConfigArgumentsAndErrors) {
  const fs::path dir = test::tempDir("ds_cache_cfg");
  const std::string csv = makeCsv(dir);
  config::Registry reg;
  data::registerTargets(reg);
  auto build = [&](const std::string& extra) {
    config::Config c = config::Config::fromString(
        "ds:\n  _target_: fmcib.datasets.SSLRadiomicsDataset\n  path: " + csv + "\n" + extra, "c.yaml", reg);
    return std::dynamic_pointer_cast<const SSLRadiomicsDataset>(c.resolve("ds").as<data::Dataset>());
  };
  const auto ds = build("  cache_dir: " + (dir / "cache").string() + "\n  cache_bytes: 1000000\n");
  ASSERT_TRUE(ds);
  EXPECT_EQ(ds->options().cacheDir, (dir / "cache").string());
  EXPECT_EQ(ds->options().cacheBytes, 1000000);
  ASSERT_TRUE(ds->cache());
  EXPECT_TRUE(fs::is_directory(dir / "cache"));
  EXPECT_FALSE(build("")->cache());
  try {
    build("  cache_dir: " + csv + "/sub\n");
    ADD_FAILURE() << "no error for a cache_dir under a file";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("cache_dir"), std::string::npos) << e.what();
  }
  EXPECT_THROW(build("  cache_bytes: -1\n"), ConfigError);
}

TEST(DatasetCache, StageCountersSeeEveryStageOnlyWhenEnabled) {
  const fs::path dir = test::tempDir("ds_stages");
  SSLRadiomicsOptions o;
  o.path = makeCsv(dir);
  o.radius = 5;
  o.resampleSpacing = io::Vec3{1, 1, 1};
  o.transform = std::make_shared<Shift>();
  o.cacheDir = (dir / "cache").string();
  const auto ds = std::make_shared<const SSLRadiomicsDataset>(o);
  data::DataLoaderOptions lo;
  lo.batchSize = 1;  // the border seeds give smaller patches, which do not stack
  data::DataLoader loader(ds, lo);
  data::resetStageTotals();
  data::enableStageTiming(false);
  loader.epoch(0)->next();
  for (int s = 0; s < data::kNumStages; ++s) EXPECT_EQ(data::stageTotals().calls[s], 0);
  data::enableStageTiming(true);
  auto epoch = loader.epoch(1);
  while (epoch->next()) {
  }
  data::enableStageTiming(false);
  const data::StageTotals t = data::stageTotals();
  const auto calls = [&](data::Stage s) { return t.calls[static_cast<int>(s)]; };
  // 6 items, one scan open each; a scan read from its cache file adds a region read per patch.
  // Scan 0 was cached in epoch 0 (its 2 items × 3 reads); scans 1 and 2 are decoded by their first item
  // (1 read) and read from the file by the second (3 reads).
  EXPECT_EQ(calls(data::Stage::kRead), 2 * 3 + 2 * (1 + 3));
  EXPECT_EQ(calls(data::Stage::kResample), 12);  // positive + negative
  EXPECT_EQ(calls(data::Stage::kCrop), 12);
  EXPECT_EQ(calls(data::Stage::kAugment), 12);
  EXPECT_EQ(calls(data::Stage::kCollate), 6);
  for (int s = 0; s < data::kNumStages; ++s) {
    EXPECT_GE(t.cpuSeconds[s], 0.0);
    EXPECT_GE(t.wallSeconds[s], 0.0);
  }
  EXPECT_STREQ(data::stageName(data::Stage::kAugment), "augment");
}
