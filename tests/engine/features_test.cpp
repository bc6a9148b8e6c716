// The `fmcib features` loop with a small trunk: output layout and order, bad rows (reported, empty
// cells, or --strict), and the errors that end a run before it starts.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>
#include <fstream>

#include "fmcib/engine/features.hpp"
#include "fmcib/io/csv.hpp"
#include "fmcib/models/load_model.hpp"
#include "fmcib/models/resnet.hpp"
#include "support/errors.hpp"
#include "support/paths.hpp"

namespace fmcib::engine {
namespace {

namespace fs = std::filesystem;

std::shared_ptr<models::Network> smallTrunk() {
  torch::manual_seed(11);
  models::ResNetOptions o = models::resnetPreset(18);
  o.nInputChannels = 1;
  o.widenFactor = 0.125;
  o.conv1TStride = {2, 2, 2};
  o.feedForward = false;
  return std::make_shared<models::LoadModel>(std::make_shared<models::ResNet>(o));
}

std::string volume(const std::string& name) {
  return fs::absolute(test::fixture("get_features/volumes/" + name)).string();
}

/// A CSV of seeds with extra columns: rows of the fixture scans, and the given bad rows.
std::string writeCsv(const fs::path& dir, const std::vector<std::string>& rows) {
  const fs::path p = dir / "seeds.csv";
  std::ofstream out(p);
  out << "id,image_path,coordX,coordY,coordZ,label\n";
  for (const auto& r : rows) out << r << "\n";
  return p.string();
}

std::vector<std::string> goodRows() {
  return {"a," + volume("lps_aniso.nii.gz") + ",-6.0,5.6,-70.0,0",
          "b," + volume("ras_stored.nii.gz") + ",0.4,-2.5,70.0,1",
          "c," + volume("oblique.nii.gz") + ",-2.442965,2.397842,10.0,1",
          "d,\"" + volume("deeplesion.nii.gz") + "\",26.25,24.0,40.0,0"};
}

FeaturesOptions options(const std::string& csv, const fs::path& dir) {
  FeaturesOptions o;
  o.csv = csv;
  o.out = (dir / "out" / "features.csv").string();
  o.batchSize = 2;
  o.workers = 1;
  o.device = "cpu";
  o.progress = false;
  return o;
}

TEST(Features, WritesInputColumnsThenFeaturesInInputOrder) {
  const fs::path dir = test::tempDir("features");
  std::vector<std::string> rows = goodRows();
  rows.insert(rows.begin() + 1, "bad1," + volume("missing.nii.gz") + ",0,0,0,1");
  rows.insert(rows.begin() + 3, "bad2," + volume("lps_aniso.nii.gz") + ",abc,0,0,1");
  rows.push_back("bad3," + volume("lps_aniso.nii.gz") + ",5000,0,0,1");
  const std::string csv = writeCsv(dir, rows);
  auto model = smallTrunk();
  const FeaturesSummary s = extractFeatures(options(csv, dir), model);
  EXPECT_EQ(s.rows, 7);
  EXPECT_EQ(s.failed, 3);
  EXPECT_EQ(s.width, 64);
  ASSERT_EQ(s.problems.size(), 3u);
  EXPECT_NE(s.problems[0].find(csv + " row 1 (line 3)"), std::string::npos) << s.problems[0];
  EXPECT_NE(s.problems[0].find("missing.nii.gz"), std::string::npos) << s.problems[0];
  EXPECT_NE(s.problems[1].find("row 3 (line 5)"), std::string::npos) << s.problems[1];
  EXPECT_NE(s.problems[1].find("column 'coordX': 'abc' is not a number"), std::string::npos) << s.problems[1];
  EXPECT_NE(s.problems[2].find("row 6 (line 8)"), std::string::npos) << s.problems[2];
  EXPECT_NE(s.problems[2].find("crop range is empty"), std::string::npos) << s.problems[2];

  const io::CsvTable out = io::CsvTable::read((dir / "out" / "features.csv").string());
  ASSERT_EQ(out.header().size(), 6u + 64u);
  EXPECT_EQ(out.header()[1], "image_path");
  EXPECT_EQ(out.header()[6], "pred_0");
  EXPECT_EQ(out.header().back(), "pred_63");
  ASSERT_EQ(out.numRows(), 7u);
  const std::vector<std::string> ids = {"a", "bad1", "b", "bad2", "c", "d", "bad3"};
  for (size_t r = 0; r < ids.size(); ++r) {
    EXPECT_EQ(out.cell(r, 0), ids[r]);
    const bool bad = ids[r].rfind("bad", 0) == 0;
    for (size_t c = 6; c < out.header().size(); ++c) {
      if (bad) {
        ASSERT_EQ(out.cell(r, c), "") << r;
      } else {
        ASSERT_NO_THROW(out.number(r, c)) << r;
      }
    }
  }
  EXPECT_FALSE(fs::exists(dir / "out" / "features.csv.tmp"));
}

TEST(Features, EqualTheTrunkOnThePatches) {
  // The features of a row are the trunk's output on that row's get_features patch.
  const fs::path dir = test::tempDir("features_values");
  const std::string csv = writeCsv(dir, goodRows());
  auto model = smallTrunk();
  FeaturesOptions o = options(csv, dir);
  o.batchSize = 3;  // a full batch and a partial one
  extractFeatures(o, model);
  const io::CsvTable out = io::CsvTable::read(o.out);
  std::ifstream in(test::fixture("get_features/patches.pt"), std::ios::binary);
  std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const at::Tensor patches = torch::pickle_load(bytes).toGenericDict().at("patches").toTensor();
  torch::NoGradGuard noGrad;
  model->eval();
  const std::vector<int64_t> fixtureRow = {0, 3, 6, 9};  // the same seeds in seeds.csv
  const at::Tensor expected = model->forward(patches.index_select(0, torch::tensor(fixtureRow)));
  for (size_t r = 0; r < 4; ++r)
    for (int64_t j = 0; j < 64; ++j) {
      const double e = expected[static_cast<int64_t>(r)][j].item<double>();
      ASSERT_NEAR(out.number(r, 6 + static_cast<size_t>(j)), e, 1e-4 * (std::abs(e) + 1e-2)) << r << "," << j;
    }
}

TEST(Features, StrictStopsAtTheFirstBadRow) {
  const fs::path dir = test::tempDir("features_strict");
  std::vector<std::string> rows = goodRows();
  rows.insert(rows.begin() + 2, "bad," + volume("missing.nii.gz") + ",0,0,0,1");
  FeaturesOptions o = options(writeCsv(dir, rows), dir);
  o.strict = true;
  const std::string e = test::errorOf([&] { extractFeatures(o, smallTrunk()); });
  EXPECT_NE(e.find("row 2 (line 4)"), std::string::npos) << e;
  EXPECT_FALSE(fs::exists(o.out));
  EXPECT_FALSE(fs::exists(o.out + ".tmp"));
  // A non-numeric seed fails before any scan is read.
  rows = goodRows();
  rows.push_back("bad," + volume("lps_aniso.nii.gz") + ",1,two,3,0");
  o.csv = writeCsv(dir, rows);
  const std::string n = test::errorOf([&] { extractFeatures(o, smallTrunk()); });
  EXPECT_NE(n.find("row 4 (line 6), column 'coordY': 'two' is not a number"), std::string::npos) << n;
}

TEST(Features, NoUsableRowIsAnErrorAndWritesNothing) {
  const fs::path dir = test::tempDir("features_none");
  FeaturesOptions o = options(writeCsv(dir, {"x," + volume("missing.nii.gz") + ",0,0,0,1"}), dir);
  const std::string e = test::errorOf([&] { extractFeatures(o, smallTrunk()); });
  EXPECT_NE(e.find("no row of"), std::string::npos) << e;
  EXPECT_NE(e.find("missing.nii.gz"), std::string::npos) << e;
  EXPECT_FALSE(fs::exists(o.out));
}

TEST(Features, BadInputEndsTheRunBeforeItStarts) {
  const fs::path dir = test::tempDir("features_input");
  {
    std::ofstream(dir / "cols.csv") << "image_path,coordX,coordZ\n" << volume("lps_aniso.nii.gz") << ",1,2\n";
    const std::string e =
        test::errorOf([&] { extractFeatures(options((dir / "cols.csv").string(), dir), smallTrunk()); });
    EXPECT_NE(e.find("coordY"), std::string::npos) << e;
  }
  {
    std::ofstream(dir / "preds.csv") << "image_path,coordX,coordY,coordZ,pred_0\n"
                                     << volume("lps_aniso.nii.gz") << ",1,2,3,0.5\n";
    const std::string e =
        test::errorOf([&] { extractFeatures(options((dir / "preds.csv").string(), dir), smallTrunk()); });
    EXPECT_NE(e.find("pred_0"), std::string::npos) << e;
  }
  const std::string csv = writeCsv(dir, goodRows());
  FeaturesOptions same = options(csv, dir);
  same.out = csv;
  EXPECT_NE(test::errorOf<ConfigError>([&] { extractFeatures(same, smallTrunk()); }).find("is the input CSV"),
            std::string::npos);
  FeaturesOptions badBatch = options(csv, dir);
  badBatch.batchSize = 0;
  EXPECT_THROW(extractFeatures(badBatch, smallTrunk()), ConfigError);
  // Weights: none (where they come from), a missing file, another architecture.
  const std::string none = test::errorOf<ConfigError>([&] { featureTrunk("", 0); });
  EXPECT_NE(none.find("Zenodo record 10528450"), std::string::npos) << none;
  EXPECT_NE(none.find("model_weights.torch"), std::string::npos) << none;
  const std::string missing = test::errorOf([&] { featureTrunk((dir / "nope.torch").string(), 0); });
  EXPECT_NE(missing.find("nope.torch: no such file"), std::string::npos) << missing;
}

TEST(Features, PrecroppedPatches) {
  const fs::path dir = test::tempDir("features_precropped");
  {
    std::ofstream(dir / "p.csv") << "image_path\n"
                                 << volume("precropped.nii.gz") << "\n"
                                 << volume("precropped.nii.gz") << "\n";
  }
  FeaturesOptions o = options((dir / "p.csv").string(), dir);
  o.precropped = true;
  const FeaturesSummary s = extractFeatures(o, smallTrunk());
  EXPECT_EQ(s.failed, 0);
  const io::CsvTable out = io::CsvTable::read(o.out);
  ASSERT_EQ(out.numRows(), 2u);
  EXPECT_EQ(out.header().size(), 1u + 64u);
  EXPECT_EQ(out.cell(0, 5), out.cell(1, 5));
}

}  // namespace
}  // namespace fmcib::engine
