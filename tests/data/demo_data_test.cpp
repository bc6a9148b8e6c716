// The synthetic demo data: files and columns as the issue lists them, CT-like values and geometry,
// labels derived from the lesions, and seeds that land on their lesions through the dataset with
// the settings the configs use (LPI + orient: true; LPS/RAS + orient: false).
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <set>

#include "fmcib/config/error.hpp"
#include "fmcib/data/demo_data.hpp"
#include "fmcib/data/grid_map.hpp"
#include "fmcib/data/ssl_radiomics_dataset.hpp"
#include "fmcib/io/csv.hpp"
#include "fmcib/io/image_io.hpp"
#include "support/paths.hpp"

namespace fs = std::filesystem;
using namespace fmcib;

TEST(DemoData, WritesScansAndCsvsInTheFmcibLayout) {
  data::DemoDataOptions o;
  o.outDir = test::tempDir("demo").string();
  o.scans = 6;
  o.lesionsPerScan = 3;
  o.seed = 5;
  o.size = {112, 112, 36};
  const data::DemoDataResult r = data::makeDemoData(o);
  ASSERT_EQ(r.scans.size(), 6u);
  std::set<std::string> orientations;
  for (const auto& scan : r.scans) {
    const io::Volume v = io::readImage(scan.path);
    EXPECT_EQ(v.pixelType(), io::PixelType::kInt16);
    EXPECT_EQ(v.geometry().size, o.size);
    EXPECT_NEAR(v.geometry().spacing[2], 2.5, 1e-5);
    EXPECT_EQ(data::orientationCode(v.geometry()), scan.orientation);
    EXPECT_GT(std::abs(v.geometry().origin[2]), 1.0);
    orientations.insert(scan.orientation);
    const at::Tensor t = v.toFloatTensor();
    EXPECT_EQ(t[0][0][0].item<float>() < -900, true) << "corner is air";
    EXPECT_GE(t.max().item<float>(), 600) << "spine";
    EXPECT_LE(t.min().item<float>(), -1000);
    EXPECT_EQ(scan.lesions.size(), 3u);
    for (const auto& lesion : scan.lesions) {
      // Around the centre (clear of cavity and calcifications) the lesion holds its density, within
      // its texture's bound and the noise (σ ≤ 25 HU, median of the nearest voxels).
      std::vector<float> near;
      for (int dy = -1; dy <= 1; ++dy)
        for (int dx = -1; dx <= 1; ++dx) {
          const io::Vec3 p{lesion.centre[0] + dx * 0.7, lesion.centre[1] + dy * 0.7, lesion.centre[2]};
          const io::Vec3 ci = v.geometry().physicalToContinuousIndex(p);
          near.push_back(t[std::lround(ci[2])][std::lround(ci[1])][std::lround(ci[0])].item<float>());
        }
      std::nth_element(near.begin(), near.begin() + near.size() / 2, near.end());
      EXPECT_NEAR(near[near.size() / 2], lesion.density, lesion.texture + 40) << scan.path;
      // The annotated point is the centre within a fifth of the smallest radius.
      const double smallest = std::min({lesion.radii[0], lesion.radii[1], lesion.radii[2]});
      EXPECT_LE(std::hypot(lesion.seed[0] - lesion.centre[0], lesion.seed[1] - lesion.centre[1],
                           lesion.seed[2] - lesion.centre[2]),
                0.2 * smallest + 1e-9);
    }
  }
  EXPECT_EQ(orientations, (std::set<std::string>{"LPI", "LPS", "RAS"}));
  std::vector<std::string> names;
  for (const auto& f : r.csvFiles) names.push_back(fs::path(f).filename().string());
  EXPECT_EQ(names,
            (std::vector<std::string>{"pretrain.csv", "task1_train.csv", "task1_val.csv", "task1_test.csv",
                                      "task2_train.csv", "task2_val.csv", "task2_test.csv", "task3_train.csv",
                                      "task3_val.csv", "task3_test.csv"}));
  const io::CsvTable pretrain = io::CsvTable::read((fs::path(o.outDir) / "pretrain.csv").string());
  EXPECT_EQ(pretrain.header(), (std::vector<std::string>{"image_path", "coordX", "coordY", "coordZ"}));
  EXPECT_EQ(pretrain.numRows(), 4u * 3u);  // 6 scans: 4 LPI, 1 LPS, 1 RAS
  const std::pair<const char*, std::pair<const char*, int>> tasks[] = {
      {"task1", {"Coarse_lesion_type", 7}}, {"task2", {"malignancy", 1}}, {"task3", {"survival", 1}}};
  for (const auto& [task, label] : tasks) {
    size_t rows = 0;
    for (const char* split : {"train", "val", "test"}) {
      const io::CsvTable t =
          io::CsvTable::read((fs::path(o.outDir) / (std::string(task) + "_" + split + ".csv")).string());
      EXPECT_EQ(t.header().back(), label.first);
      EXPECT_GE(t.numRows(), 1u);
      rows += t.numRows();
      for (size_t i = 0; i < t.numRows(); ++i) {
        const double y = t.number(i, t.column(label.first));
        EXPECT_GE(y, 0);
        EXPECT_LE(y, label.second);
      }
    }
    EXPECT_EQ(rows, std::string(task) == "task1" ? 12u : 3u) << task;
  }
}

TEST(DemoData, ScansAreDeterministicForASeed) {
  std::vector<data::DemoLesion> a, b, c;
  const io::Volume va = data::makeSyntheticCt({48, 40, 12}, {0.7, 0.7, 2.5}, "RAS", {2, 5}, 42, a);
  const io::Volume vb = data::makeSyntheticCt({48, 40, 12}, {0.7, 0.7, 2.5}, "RAS", {2, 5}, 42, b);
  const io::Volume vc = data::makeSyntheticCt({48, 40, 12}, {0.7, 0.7, 2.5}, "RAS", {2, 5}, 43, c);
  EXPECT_TRUE(torch::equal(va.toFloatTensor(), vb.toFloatTensor()));
  EXPECT_FALSE(torch::equal(va.toFloatTensor(), vc.toFloatTensor()));
  ASSERT_EQ(a.size(), 2u);
  EXPECT_EQ(a[1].centre, b[1].centre);
  EXPECT_EQ(a[0].coarseType(), 2);
  EXPECT_EQ(a[1].coarseType(), 5);
}

TEST(DemoData, SeedsLandOnTheirLesionsWithTheConfigsSettings) {
  data::DemoDataOptions o;
  o.outDir = test::tempDir("demo_seeds").string();
  o.scans = 3;
  o.lesionsPerScan = 3;
  o.seed = 8;
  o.size = {96, 96, 30};
  const data::DemoDataResult demo = data::makeDemoData(o);
  auto lesionAt = [&](const io::Vec3& seed) -> const data::DemoLesion* {
    for (const auto& scan : demo.scans)
      for (const auto& l : scan.lesions)
        if (std::hypot(l.seed[0] - seed[0], l.seed[1] - seed[1], l.seed[2] - seed[2]) < 1e-6) return &l;
    return nullptr;
  };
  for (const auto& [csv, orient] : {std::pair{"pretrain.csv", true}, std::pair{"task2_train.csv", false},
                                    std::pair{"task3_test.csv", false}}) {
    for (bool resample : {false, true}) {
      data::SSLRadiomicsOptions d;
      d.path = (fs::path(o.outDir) / csv).string();
      d.orient = orient;
      if (resample) d.resampleSpacing = io::Vec3{1, 1, 1};
      d.radius = 6;
      d.enableNegatives = false;
      data::SSLRadiomicsDataset ds(d);
      for (int64_t i = 0; i < ds.size(); ++i) {
        data::Generator gen(0);
        const data::DetailedItem item = ds.getDetailed(i, gen);
        // The seed sits in the middle of its patch: [c - r, c + r) around the truncated index,
        // one voxel lower along axes the patch reorientation flipped.
        const io::Vec3 at = item.positive.geometry.physicalToContinuousIndex(ds.seed(i));
        for (int a = 0; a < 3; ++a) {
          EXPECT_GE(at[a], 4.0) << csv << " row " << i;
          EXPECT_LT(at[a], 7.0) << csv << " row " << i;
        }
        const data::DemoLesion* lesion = lesionAt(ds.seed(i));
        ASSERT_NE(lesion, nullptr) << csv << " row " << i;
        // Cavities and calcifications sit off the centre, but the voxel nearest the seed can be
        // 1.25 mm away along z: those lesions are left out of the density check.
        if (resample || lesion->cavitated || lesion->calcified) continue;
        // Without resampling the voxel nearest the seed is an original voxel of the lesion
        // (−55..125 HU before calibration, ± texture and noise), not lung, air or bone.
        const float hu =
            item.positive.array[std::lround(at[2])][std::lround(at[1])][std::lround(at[0])].item<float>();
        EXPECT_GT(hu, -300) << csv << " row " << i;
        EXPECT_LT(hu, 350) << csv << " row " << i;
      }
    }
  }
}

TEST(DemoData, RejectsUnusableOptions) {
  data::DemoDataOptions o;
  o.outDir = test::tempDir("demo_bad").string();
  o.scans = 2;
  try {
    data::makeDemoData(o);
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_STREQ(e.what(), "--scans must be at least 3 (one per orientation group), got 2");
  }
  o.scans = 3;
  o.lesionsPerScan = 2;
  o.size = {64, 64, 16};
  try {
    data::makeDemoData(o);
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_STREQ(
        e.what(),
        "task1 has 2 lesions; it needs at least 3 (train/val/test): raise --scans or --lesions-per-scan");
  }
}
