// metrics.csv reading, the curve panels, and finding a fit's CSV log from its config.
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <thread>

#include "fmcib/config/config.hpp"
#include "fmcib/config/error.hpp"
#include "fmcib/inspect/curves.hpp"
#include "support/paths.hpp"

namespace fmcib::inspect {
namespace {

namespace fs = std::filesystem;

void writeText(const fs::path& path, const std::string& text) {
  fs::create_directories(path.parent_path());
  std::ofstream(path) << text;
}

// What the engine's CSVLogger writes: epoch-level and step-level keys in one file, empty cells where
// a row did not log a key.
const char* kMetrics =
    "lr-LARS,step,train/loss/step,epoch,train/loss/epoch,val/loss/epoch,val/metrics/AUROC/epoch\n"
    "0.1,0,,,,,\n"
    ",0,2.5,0,,,\n"
    "0.09,1,,,,,\n"
    ",1,2.25,0,,,\n"
    ",1,,0,2.375,2.4,0.5\n"
    "0.05,2,,,,,\n"
    ",2,1.5,1,,,\n"
    ",3,nan,1,,,\n"
    ",3,,1,1.5,1.9,0.75\n";

TEST(InspectCurves, ReadsLightningMetricsCsv) {
  const auto dir = test::tempDir("inspect_curves_read");
  writeText(dir / "metrics.csv", kMetrics);
  const MetricsLog log = readMetricsCsv((dir / "metrics.csv").string());
  ASSERT_EQ(log.series.size(), 5u);
  EXPECT_EQ(log.series[0].name, "lr-LARS");
  EXPECT_EQ(log.series[0].points, (std::vector<std::pair<double, double>>{{0, 0.1}, {1, 0.09}, {2, 0.05}}));
  EXPECT_EQ(log.series[1].name, "train/loss/step");
  // The nan at step 3 is dropped.
  EXPECT_EQ(log.series[1].points, (std::vector<std::pair<double, double>>{{0, 2.5}, {1, 2.25}, {2, 1.5}}));
  EXPECT_EQ(log.series[4].name, "val/metrics/AUROC/epoch");
  EXPECT_EQ(log.series[4].points, (std::vector<std::pair<double, double>>{{1, 0.5}, {3, 0.75}}));
  EXPECT_EQ(log.epochStarts, std::vector<double>{2});
}

TEST(InspectCurves, BadFilesNameTheFileAndCell) {
  const auto dir = test::tempDir("inspect_curves_bad");
  writeText(dir / "nostep.csv", "epoch,loss\n0,1\n");
  try {
    readMetricsCsv((dir / "nostep.csv").string());
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("'step'"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("nostep.csv"), std::string::npos) << e.what();
  }
  writeText(dir / "text.csv", "step,loss\n0,1\n1,abc\n");
  try {
    readMetricsCsv((dir / "text.csv").string());
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("'abc'"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("row 1"), std::string::npos) << e.what();
  }
  EXPECT_THROW(readMetricsCsv((dir / "missing.csv").string()), InputError);
}

int countColor(const RgbImage& img, Color c, int y0, int y1) {
  int n = 0;
  for (int y = y0; y < y1; ++y)
    for (int x = 0; x < img.width(); ++x) n += img.at(x, y) == c;
  return n;
}

TEST(InspectCurves, OnePanelPerKindOfSeries) {
  const auto dir = test::tempDir("inspect_curves_plot");
  writeText(dir / "metrics.csv", kMetrics);
  const RgbImage img = plotCurves(readMetricsCsv((dir / "metrics.csv").string()), 600);
  EXPECT_EQ(img.width(), 600);
  const int header = 2 * textHeight() + 6, panel = 230;
  ASSERT_EQ(img.height(), header + 3 * panel);
  // Loss panel: series 0 (train/loss/step) and 1, 2; lr panel: series 0 only; metrics: series 0 only.
  EXPECT_GT(countColor(img, seriesColor(0), header, header + panel), 50);
  EXPECT_GT(countColor(img, seriesColor(2), header, header + panel), 10);
  EXPECT_GT(countColor(img, seriesColor(0), header + panel, header + 2 * panel), 50);
  EXPECT_EQ(countColor(img, seriesColor(1), header + panel, header + 2 * panel), 0);
  EXPECT_GT(countColor(img, seriesColor(0), header + 2 * panel, header + 3 * panel), 10);

  writeText(dir / "empty" / "metrics.csv", "step,epoch,train/loss/step\n0,0,\n");
  const RgbImage none = plotCurves(readMetricsCsv((dir / "empty" / "metrics.csv").string()), 400);
  EXPECT_EQ(none.height(), header + panel);

  writeCurves((dir / "metrics.csv").string(), (dir / "curves.png").string());
  const RgbImage back = readPng((dir / "curves.png").string());
  EXPECT_EQ(back.bytes(), plotCurves(readMetricsCsv((dir / "metrics.csv").string())).bytes());
}

config::Config loggerConfig(const std::string& logger) {
  return config::Config::fromString("trainer:\n  _target_: pytorch_lightning.Trainer\n  logger:\n" + logger);
}

TEST(InspectCurves, FindsTheMetricsCsvAFitWrote) {
  const auto dir = test::tempDir("inspect_curves_find");
  const auto before = fs::file_time_type::clock::now() - std::chrono::seconds(2);
  writeText(dir / "logs" / "run" / "version_0" / "metrics.csv", "step\n0\n");
  std::this_thread::sleep_for(std::chrono::milliseconds(20));  // distinct modification times
  writeText(dir / "logs" / "run" / "version_1" / "metrics.csv", "step\n0\n");
  const std::string saveDir = (dir / "logs").string();
  const config::Config csv = loggerConfig(
      "    _target_: pytorch_lightning.loggers.CSVLogger\n    save_dir: " + saveDir + "\n    name: run\n");
  EXPECT_EQ(findFitMetricsCsv(csv, before), (dir / "logs" / "run" / "version_1" / "metrics.csv").string());
  // Nothing written since: no curves (an old run's log is not this run's).
  EXPECT_EQ(findFitMetricsCsv(csv, fs::file_time_type::clock::now() + std::chrono::hours(1)), std::nullopt);

  const config::Config pinned = loggerConfig(
      "    - _target_: pytorch_lightning.loggers.TensorBoardLogger\n"
      "      save_dir: " +
      saveDir +
      "\n"
      "    - _target_: pytorch_lightning.loggers.CSVLogger\n"
      "      save_dir: " +
      saveDir + "\n      name: run\n      version: 0\n");
  EXPECT_EQ(findFitMetricsCsv(pinned, before), (dir / "logs" / "run" / "version_0" / "metrics.csv").string());

  const config::Config tensorboard = loggerConfig(
      "    _target_: pytorch_lightning.loggers.TensorBoardLogger\n"
      "    save_dir: " +
      saveDir + "\n    name: run\n");
  EXPECT_EQ(findFitMetricsCsv(tensorboard, before), std::nullopt);
  EXPECT_EQ(findFitMetricsCsv(loggerConfig("    false\n"), before), std::nullopt);

  const auto png = writeFitCurves(csv, before);
  ASSERT_TRUE(png.has_value());
  EXPECT_EQ(*png, (dir / "logs" / "run" / "version_1" / "curves.png").string());
  EXPECT_GT(readPng(*png).width(), 0);
}

}  // namespace
}  // namespace fmcib::inspect
