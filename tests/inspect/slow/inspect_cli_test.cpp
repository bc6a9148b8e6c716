// check-data, preview, plot and the curves after fit, through the fmcib binary on small demo data.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <fstream>
#include <map>

#include "fmcib/config/config.hpp"
#include "fmcib/data/data_loader.hpp"
#include "fmcib/data/demo_data.hpp"
#include "fmcib/data/ssl_radiomics_dataset.hpp"
#include "fmcib/data/targets.hpp"
#include "fmcib/inspect/curves.hpp"
#include "fmcib/inspect/preview.hpp"
#include "fmcib/transforms/targets.hpp"
#include "support/paths.hpp"
#include "support/process.hpp"

namespace fmcib::inspect {
namespace {

namespace fs = std::filesystem;

struct Demo {
  fs::path dir, data;
};

// Six scans of 96×96×48: two LPI scans (12 pre-training rows: one batch of 8 per epoch) and enough
// lesions for the task 1 train/val/test split.
const Demo& demo() {
  static const Demo d = [] {
    Demo x;
    x.dir = test::tempDir("inspect_cli");
    x.data = x.dir / "data";
    const auto r = test::runFmcib("make-demo-data --out " + x.data.string() +
                                  " --scans 6 --lesions-per-scan 6 --size 96,96,48 --seed 3");
    EXPECT_EQ(r.code, 0) << r.err;
    return x;
  }();
  return d;
}

std::string config(const std::string& name) {
  return (test::sourceDir() / "experiments" / "demo" / name).string();
}

TEST(InspectCli, CheckDataPassesTheDemoConfigs) {
  const Demo& d = demo();
  auto r = test::runFmcib("check-data --config_file " + config("pretrain.yaml") +
                          " --vars#data=" + d.data.string());
  EXPECT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("check-data: OK"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("pretrain.csv"), std::string::npos) << r.out;
  r = test::runFmcib("check-data --config_file " + config("finetune_task1.yaml") +
                     " --datasets train,val --workers 2 --vars#data=" + d.data.string());
  EXPECT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("task1_train.csv"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("task1_val.csv"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("task1_test.csv"), std::string::npos) << r.out;
}

TEST(InspectCli, CheckDataFailsOnPlantedProblems) {
  const Demo& d = demo();
  std::ifstream in(d.data / "task1_train.csv");
  std::string header, first;
  std::getline(in, header);
  std::getline(in, first);
  const std::string csv = (d.dir / "planted.csv").string();
  std::ofstream(csv) << header << "\n"
                     << first << "\n"
                     << d.data.string() << "/missing.nii.gz,1,2,3,0\n"
                     << first.substr(0, first.rfind(',')) << ",12\n";
  const std::string yaml = (d.dir / "planted.yaml").string();
  std::ofstream(yaml) << "system:\n  criterion:\n    _target_: torch.nn.CrossEntropyLoss\n"
                      << "  model:\n    _target_: fmcib.models.LoadModel\n    heads: [8]\n"
                      << "  datasets:\n    train:\n      _target_: fmcib.datasets.SSLRadiomicsDataset\n"
                      << "      path: " << csv << "\n      label: Coarse_lesion_type\n      radius: 6\n";
  auto r = test::runFmcib("check-data --config_file " + yaml);
  EXPECT_EQ(r.code, 1) << r.out << r.err;
  EXPECT_NE(r.out.find("row 1 (line 3): missing scan"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("row 2 (line 4): bad label"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("duplicate row"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("2 of 3 rows have errors"), std::string::npos) << r.out;

  r = test::runFmcib("check-data --config_file " + yaml + " --datasets validation");
  EXPECT_EQ(r.code, 2) << r.out << r.err;
  EXPECT_NE(r.err.find("system#datasets#validation"), std::string::npos) << r.err;
}

TEST(InspectCli, PreviewDrawsWhatTheDatasetGives) {
  const Demo& d = demo();
  const fs::path out = d.dir / "previews";
  const auto r = test::runFmcib("preview --config_file " + config("pretrain.yaml") +
                                " --vars#data=" + d.data.string() + " --n 2 --seed 5 --out " + out.string());
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  ASSERT_TRUE(fs::exists(out / "row00001.png"));
  EXPECT_FALSE(fs::exists(out / "row00002.png"));

  transforms::registerTargets(config::Registry::global());
  data::registerTargets(config::Registry::global());
  const config::Config cfg =
      config::Config::load({config("pretrain.yaml")}, {{"vars#data", d.data.string()}});
  const auto dataset = std::dynamic_pointer_cast<const data::SSLRadiomicsDataset>(
      cfg.resolve("system#datasets#train").as<data::Dataset>());
  ASSERT_TRUE(dataset);
  data::Generator gen(data::itemSeed(5, 0, 1));
  const data::DetailedItem item = dataset->getDetailed(1, gen);
  ASSERT_EQ(item.positiveViews.size(), 2u);
  ASSERT_TRUE(item.negative.has_value());
  std::vector<PreviewPanel> panels;
  const PreviewCaption caption{1, dataset->seed(1), "-", dataset->imagePath(1)};
  const RgbImage expected = renderPreview(item, caption, PreviewOptions{}, &panels);
  const RgbImage png = readPng((out / "row00001.png").string());
  ASSERT_EQ(png.width(), expected.width());
  ASSERT_EQ(png.height(), expected.height());
  EXPECT_EQ(png.bytes(), expected.bytes());
  // The axial panel's centre pixel is the patch's centre voxel in the W 1500 / L -300 window.
  const PreviewPanel& axial = panels.front();
  ASSERT_EQ(axial.row, "POS RAW");
  const auto& a = item.positive.array;
  const float centre = a[a.size(0) / 2][a.size(1) / 2][a.size(2) / 2].item<float>();
  const Color c = png.at(axial.x + static_cast<int>(a.size(2) / 2) * axial.scale,
                         axial.y + static_cast<int>(a.size(1) / 2) * axial.scale);
  EXPECT_EQ(c.r, windowValue(centre, PreviewOptions{}));
  EXPECT_EQ(c.g, c.r);
}

TEST(InspectCli, FitWritesCurvesAndPlotRedrawsThem) {
  const Demo& d = demo();
  const fs::path out = d.dir / "run";
  auto r = test::runFmcib("fit --config_file " + config("pretrain.yaml") + " --vars#data=" + d.data.string() +
                          " --vars#out=" + out.string() + " --trainer#max_epochs=2 --seed 0");
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  const fs::path version = out / "logs" / "pretrain" / "version_0";
  ASSERT_TRUE(fs::exists(version / "metrics.csv"));
  ASSERT_TRUE(fs::exists(version / "curves.png")) << r.err;
  const MetricsLog log = readMetricsCsv((version / "metrics.csv").string());
  const RgbImage expected = plotCurves(log);
  EXPECT_EQ(readPng((version / "curves.png").string()).bytes(), expected.bytes());
  // Two epochs of rows/8 steps (batch 8, drop_last): one loss point per step, one lr point per epoch.
  std::ifstream csv(d.data / "pretrain.csv");
  int64_t rows = -1;
  for (std::string line; std::getline(csv, line);) rows += !line.empty();
  const size_t steps = static_cast<size_t>(2 * (rows / 8));
  ASSERT_GT(steps, 0u);
  std::map<std::string, size_t> points;
  for (const auto& s : log.series) points[s.name] = s.points.size();
  EXPECT_EQ(points["train/loss/step"], steps);
  EXPECT_EQ(points["train/loss/epoch"], 2u);
  EXPECT_EQ(points["lr-LARS"], 2u);
  EXPECT_EQ(log.epochStarts, std::vector<double>{static_cast<double>(steps / 2)});

  const fs::path png = d.dir / "plots" / "curves.png";
  r = test::runFmcib("plot --logs " + (out / "logs").string() + " --out " + png.string());
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_EQ(readPng(png.string()).bytes(), expected.bytes());

  r = test::runFmcib("plot --logs " + (d.dir / "nothing").string() + " --out " + png.string());
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("nothing"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace fmcib::inspect
