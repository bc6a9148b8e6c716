// ModelCheckpoint, EarlyStopping, LearningRateMonitor and SavePredictions.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "engine/engine_support.hpp"
#include "fmcib/engine/callbacks.hpp"
#include "fmcib/engine/loggers.hpp"
#include "fmcib/io/csv.hpp"
#include "support/paths.hpp"

namespace fmcib::test {
namespace {

namespace fs = std::filesystem;
using engine::RunContext;
using engine::Trainer;

RunContext callbackCtx() {
  RunContext c;
  c.seed = 5;
  return c;
}

std::vector<std::string> ckptFiles(const fs::path& dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(dir)) out.push_back(e.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

TEST(ModelCheckpoint, FormatsNamesLikeLightning) {
  engine::ModelCheckpointOptions o;
  o.filename = "{epoch:03d}-{val/loss:.2f}-x";
  engine::ModelCheckpoint c(o);
  EXPECT_EQ(c.formatName({{"epoch", 7}, {"val/loss", 0.12345}}, o.filename),
            "epoch=007-val/loss=0.12-x.ckpt");
  EXPECT_EQ(c.formatName({{"epoch", 2}, {"step", 40}}, "{epoch}-{step}"), "epoch=2-step=40.ckpt");
  o.autoInsertMetricName = false;
  engine::ModelCheckpoint plain(o);
  EXPECT_EQ(plain.formatName({{"epoch", 3}}, "e{epoch:02d}"), "e03.ckpt");
  EXPECT_NE(c.stateKey().find("ModelCheckpoint{'monitor': None, 'mode': 'min'"), std::string::npos);
  o.monitor.reset();
  o.saveTopK = 3;
  EXPECT_THROW(engine::ModelCheckpoint{o}, ConfigError);
}

/// Records a logged value after every validation.
class Recorder : public engine::Callback {
 public:
  explicit Recorder(std::string key) : key_(std::move(key)) {}
  std::string name() const override { return "test.Recorder"; }
  void onValidationEnd(Trainer& t) override { values.push_back(t.callbackMetrics().at(key_)); }
  std::vector<double> values;

 private:
  std::string key_;
};

TEST(ModelCheckpoint, KeepsTheBestKByMonitor) {
  for (const std::string mode : {"min", "max"}) {
    torch::manual_seed(0);
    const fs::path dir = tempDir("engine_topk");
    auto sys = makeSystem(std::make_shared<BlobDataset>(32, 3), 3, 8, 0.3);
    sys->datasets["val"] = std::make_shared<BlobDataset>(32, 3, 0.0, 99);
    engine::ModelCheckpointOptions o;
    o.dirpath = dir.string();
    o.monitor = "val/loss/epoch";
    o.mode = mode;
    o.saveTopK = 2;
    o.filename = "{epoch}";
    auto cb = std::make_shared<engine::ModelCheckpoint>(o);
    auto rec = std::make_shared<Recorder>("val/loss/epoch");
    Trainer t(quietOptions(6), {rec, cb}, {});
    ASSERT_EQ(t.fit(*sys, callbackCtx()), 0);
    ASSERT_EQ(rec->values.size(), 6u);
    std::vector<int> order{0, 1, 2, 3, 4, 5};
    std::stable_sort(order.begin(), order.end(), [&](int a, int b) {
      return mode == "min" ? rec->values[a] < rec->values[b] : rec->values[a] > rec->values[b];
    });
    std::vector<std::string> expected{"epoch=" + std::to_string(order[0]) + ".ckpt",
                                      "epoch=" + std::to_string(order[1]) + ".ckpt"};
    std::sort(expected.begin(), expected.end());
    EXPECT_EQ(ckptFiles(dir), expected) << mode;
    EXPECT_EQ(cb->bestModelPath(), (dir / ("epoch=" + std::to_string(order[0]) + ".ckpt")).string());
  }
}

TEST(ModelCheckpoint, LatestOnlyWithoutMonitorAndEveryNEpochs) {
  torch::manual_seed(0);
  const fs::path dir = tempDir("engine_latest");
  auto sys = makeSystem(std::make_shared<BlobDataset>(16, 3), 3, 8);
  engine::ModelCheckpointOptions o;
  o.dirpath = dir.string();
  o.everyNEpochs = 2;
  o.saveLast = true;
  Trainer t(quietOptions(5), {std::make_shared<engine::ModelCheckpoint>(o)}, {});
  ASSERT_EQ(t.fit(*sys, callbackCtx()), 0);
  EXPECT_EQ(ckptFiles(dir), (std::vector<std::string>{"epoch=3-step=8.ckpt", "last.ckpt"}));
}

TEST(ModelCheckpoint, MissingMonitorIsAnError) {
  torch::manual_seed(0);
  const fs::path dir = tempDir("engine_nomonitor");
  auto sys = makeSystem(std::make_shared<BlobDataset>(16, 3), 3, 8);
  engine::ModelCheckpointOptions o;
  o.dirpath = dir.string();
  o.monitor = "val/loss/epoch";  // no val dataset
  o.saveOnTrainEpochEnd = true;
  Trainer t(quietOptions(1), {std::make_shared<engine::ModelCheckpoint>(o)}, {});
  EXPECT_THROW(t.fit(*sys, callbackCtx()), ConfigError);
}

TEST(EarlyStopping, StopsAfterPatienceChecksWithoutImprovement) {
  torch::manual_seed(0);
  auto sys = makeSystem(std::make_shared<BlobDataset>(16, 3), 3, 8, /*lr=*/0.0);  // nothing improves
  sys->datasets["val"] = std::make_shared<BlobDataset>(16, 3);
  engine::EarlyStoppingOptions o;
  o.monitor = "val/loss/epoch";
  o.patience = 2;
  auto es = std::make_shared<engine::EarlyStopping>(o);
  Trainer t(quietOptions(20), {es}, {});
  ASSERT_EQ(t.fit(*sys, callbackCtx()), 0);
  EXPECT_EQ(t.state().epoch, 3);  // epoch 0 sets the best, epochs 1 and 2 do not improve
  EXPECT_EQ(es->waitCount(), 2);

  engine::EarlyStoppingOptions bad = o;
  bad.monitor = "val/nothing";
  auto sys2 = makeSystem(std::make_shared<BlobDataset>(16, 3), 3, 8);
  sys2->datasets["val"] = std::make_shared<BlobDataset>(16, 3);
  Trainer t2(quietOptions(2), {std::make_shared<engine::EarlyStopping>(bad)}, {});
  try {
    t2.fit(*sys2, callbackCtx());
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("val/loss/epoch"), std::string::npos) << e.what();
  }
}

std::vector<std::vector<std::string>> readCsv(const fs::path& p) {
  io::CsvTable t = io::CsvTable::read(p.string());
  std::vector<std::vector<std::string>> rows{t.header()};
  for (size_t i = 0; i < t.numRows(); ++i) rows.push_back(t.row(i));
  return rows;
}

TEST(LearningRateMonitor, LogsLrOfTheOptimizerClass) {
  torch::manual_seed(0);
  const fs::path dir = tempDir("engine_lrmon");
  auto sys = makeSystem(std::make_shared<BlobDataset>(16, 3), 3, 8, 0.5);
  engine::SchedulerConfig sc;
  sc.scheduler = std::make_shared<optim::StepLR>(sys->optimizer, 1, 0.5);
  sys->scheduler = sc;
  engine::CsvLoggerOptions lo;
  lo.dir.saveDir = dir.string();
  auto logger = std::make_shared<engine::CsvLogger>(lo);
  Trainer t(quietOptions(3), {std::make_shared<engine::LearningRateMonitor>("")}, {logger});
  ASSERT_EQ(t.fit(*sys, callbackCtx()), 0);
  logger->flush();
  auto rows = readCsv(fs::path(logger->logDir()) / "metrics.csv");
  const auto& header = rows.front();
  auto col = [&](const std::string& name) {
    return static_cast<size_t>(std::find(header.begin(), header.end(), name) - header.begin());
  };
  ASSERT_LT(col("lr-SGD"), header.size());
  ASSERT_LT(col("train/loss/step"), header.size());
  ASSERT_LT(col("train/loss/epoch"), header.size());
  std::vector<double> lrs;
  for (size_t r = 1; r < rows.size(); ++r)
    if (!rows[r][col("lr-SGD")].empty()) lrs.push_back(std::stod(rows[r][col("lr-SGD")]));
  EXPECT_EQ(lrs, (std::vector<double>{0.5, 0.25, 0.125}));  // once per epoch (the scheduler's interval)
}

TEST(SavePredictions, WritesInputColumnsAndPredictionsInDatasetOrder) {
  torch::manual_seed(0);
  const fs::path dir = tempDir("engine_savepred");
  auto sys = makeSystem(std::make_shared<BlobDataset>(10, 3), 3, 4, 0.1, 3);
  sys->datasets["predict"] = std::make_shared<BlobDataset>(10, 3);
  const fs::path out = dir / "sub" / "preds.csv";
  Trainer t(quietOptions(1), {std::make_shared<engine::SavePredictions>(out.string(), 2)}, {});
  ASSERT_EQ(t.predict(*sys, callbackCtx()), 0);
  auto rows = readCsv(out);
  ASSERT_EQ(rows.size(), 11u);
  // pandas' to_csv: an unnamed index column first.
  EXPECT_EQ(rows[0], (std::vector<std::string>{"", "id", "group", "pred_0", "pred_1", "pred_2"}));
  torch::NoGradGuard g;
  sys->model->eval();
  data::Generator gen(0);
  for (int64_t i = 0; i < 10; ++i) {
    EXPECT_EQ(rows[static_cast<size_t>(i + 1)][0], std::to_string(i));
    EXPECT_EQ(rows[static_cast<size_t>(i + 1)][1], "id" + std::to_string(i));
    at::Tensor x = sys->datasets["predict"]->get(i, gen).input.tensor().unsqueeze(0);
    at::Tensor y = sys->model->forward(x)[0];
    for (int64_t j = 0; j < 3; ++j)
      EXPECT_NEAR(std::stod(rows[static_cast<size_t>(i + 1)][static_cast<size_t>(3 + j)]),
                  y[j].item<double>(), 1e-6);
  }
  EXPECT_TRUE(fs::exists(dir / "sub" / "previews" / "0.png"));
  EXPECT_TRUE(fs::exists(dir / "sub" / "previews" / "1.png"));
  EXPECT_FALSE(fs::exists(dir / "sub" / "previews" / "2.png"));
}

}  // namespace
}  // namespace fmcib::test
