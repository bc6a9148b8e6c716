// What lighter 0.0.2a19 over Lightning 2.4 logs, checked in metrics.csv of in-process runs: epoch
// values are the batch-weighted means of the step values, evaluation steps are logged per batch,
// the optimizer's lr and momentum at batch 0 of each epoch, the whole-epoch metric under its own
// key; and validate / test / predict refuse a model whose heads were left random.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <filesystem>
#include <map>
#include <optional>

#include "engine/engine_support.hpp"
#include "fmcib/engine/loggers.hpp"
#include "fmcib/engine/metrics.hpp"
#include "fmcib/io/csv.hpp"
#include "support/errors.hpp"
#include "support/paths.hpp"

namespace fmcib::test {
namespace {

namespace fs = std::filesystem;
using engine::Trainer;

engine::RunContext runContext() {
  engine::RunContext c;
  c.seed = 5;
  return c;
}

/// metrics.csv as rows of column → value (empty cells left out).
std::vector<std::map<std::string, double>> readMetrics(const fs::path& csv) {
  io::CsvTable t = io::CsvTable::read(csv.string());
  std::vector<std::map<std::string, double>> out;
  for (size_t r = 0; r < t.numRows(); ++r) {
    std::map<std::string, double> row;
    for (size_t c = 0; c < t.header().size(); ++c)
      if (!t.cell(r, c).empty()) row[t.header()[c]] = t.number(r, c);
    out.push_back(row);
  }
  return out;
}

std::shared_ptr<engine::System> systemWithMetrics(int64_t batch) {
  // Noisy, overlapping blobs so per-batch metrics vary and differ from the whole-epoch value.
  auto sys = makeSystem(std::make_shared<BlobDataset>(30, 3, 1.5, 11), 3, batch, 0.05);
  sys->datasets["val"] = std::make_shared<BlobDataset>(21, 3, 1.5, 12);
  engine::MetricOptions mo;
  mo.task = engine::MetricTask::kMulticlass;
  mo.numClasses = 2;
  for (const char* mode : {"train", "val"}) {
    sys->metrics[mode].push_back({"MulticlassAUROC", engine::makeAuroc(mo)});
    sys->metrics[mode].push_back({"MulticlassAccuracy", engine::makeAccuracy(mo)});
  }
  return sys;
}

struct Logged {
  std::vector<std::map<std::string, double>> rows;
  /// Values of `key` in row order, with the row's epoch (NaN when the row has none).
  std::vector<std::pair<double, double>> of(const std::string& key) const {
    std::vector<std::pair<double, double>> out;
    for (const auto& r : rows)
      if (r.count(key)) out.emplace_back(r.count("epoch") ? r.at("epoch") : std::nan(""), r.at(key));
    return out;
  }
};

Logged fitAndRead(const std::string& tag, engine::System& sys, int64_t epochs) {
  const fs::path dir = tempDir(tag);
  engine::CsvLoggerOptions lo;
  lo.dir.saveDir = dir.string();
  auto logger = std::make_shared<engine::CsvLogger>(lo);
  engine::TrainerOptions o = quietOptions(epochs);
  o.numSanityValSteps = 0;
  Trainer t(o, {}, {logger});
  EXPECT_EQ(t.fit(sys, runContext()), 0);
  logger->flush();
  return {readMetrics(fs::path(logger->logDir()) / "metrics.csv")};
}

TEST(LighterLogging, EpochValuesAreTheMeansOfTheStepValues) {
  torch::manual_seed(0);
  auto sys = systemWithMetrics(8);  // train: 4 batches of 8, 8, 8, 6 per epoch; val: 8, 8, 5
  const Logged log = fitAndRead("lighter_epoch_means", *sys, 2);
  for (const std::string mode : {"train", "val"}) {
    for (const std::string key : {"loss", "metrics/MulticlassAUROC", "metrics/MulticlassAccuracy"}) {
      const auto steps = log.of(mode + "/" + key + "/step");
      const auto epochs = log.of(mode + "/" + key + "/epoch");
      ASSERT_EQ(epochs.size(), 2u) << mode << " " << key;
      const size_t perEpoch = mode == "train" ? 4 : 3;
      ASSERT_EQ(steps.size(), 2 * perEpoch) << mode << " " << key;
      for (size_t e = 0; e < 2; ++e) {
        // Lightning's on_epoch mean, weighted by the constant batch_size: the plain mean of the steps.
        double sum = 0;
        for (size_t s = 0; s < perEpoch; ++s) sum += steps[e * perEpoch + s].second;
        EXPECT_NEAR(epochs[e].second, sum / static_cast<double>(perEpoch), 1e-9)
            << mode << " " << key << " epoch " << e;
        EXPECT_EQ(epochs[e].first, static_cast<double>(e));
      }
    }
    // The whole-epoch metric is kept under its own key, and here differs from the mean of the steps.
    const auto whole = log.of(mode + "/metrics/MulticlassAUROC/whole_epoch");
    const auto mean = log.of(mode + "/metrics/MulticlassAUROC/epoch");
    ASSERT_EQ(whole.size(), 2u) << mode;
    bool differs = false;
    for (size_t e = 0; e < 2; ++e) differs |= std::abs(whole[e].second - mean[e].second) > 1e-6;
    EXPECT_TRUE(differs) << mode;
  }
  // Training step values carry the epoch; evaluation step values are logged every batch at
  // Lightning's evaluation step count (0, 1, 2, 3, ... over the fit), without an epoch.
  for (const auto& [epoch, v] : log.of("train/loss/step")) EXPECT_FALSE(std::isnan(epoch));
  std::vector<double> valSteps;
  for (const auto& r : log.rows)
    if (r.count("val/loss/step")) {
      EXPECT_EQ(r.count("epoch"), 0u);
      valSteps.push_back(r.at("step"));
    }
  EXPECT_EQ(valSteps, (std::vector<double>{0, 1, 2, 3, 4, 5}));
}

TEST(LighterLogging, OptimizerStatsAtTheFirstBatchOfEachEpoch) {
  torch::manual_seed(0);
  auto sys = makeSystem(std::make_shared<BlobDataset>(16, 3), 3, 8, 0.4);
  engine::SchedulerConfig sc;
  sc.scheduler = std::make_shared<optim::StepLR>(sys->optimizer, 1, 0.5);
  sys->scheduler = sc;
  const Logged log = fitAndRead("lighter_optimizer_stats", *sys, 3);
  const auto lr = log.of("train/optimizer/SGD/lr");
  const auto momentum = log.of("train/optimizer/SGD/momentum");
  ASSERT_EQ(lr.size(), 3u);
  ASSERT_EQ(momentum.size(), 3u);
  for (size_t e = 0; e < 3; ++e) {
    EXPECT_DOUBLE_EQ(lr[e].second, 0.4 * std::pow(0.5, static_cast<double>(e)));  // the epoch's lr at batch 0
    EXPECT_DOUBLE_EQ(momentum[e].second, 0.9);
    EXPECT_EQ(lr[e].first, static_cast<double>(e));
  }
  // Logged with the epoch's other on_epoch values (train/loss/epoch), not as step values.
  for (const auto& r : log.rows)
    if (r.count("train/optimizer/SGD/lr")) {
      EXPECT_EQ(r.count("train/loss/epoch"), 1u);
    }
}

TEST(LighterLogging, AdamLogsBeta1AsMomentumAndGroupsAreNumbered) {
  torch::manual_seed(0);
  auto sys = makeSystem(std::make_shared<BlobDataset>(16, 3), 3, 8);
  auto* mlp = dynamic_cast<Mlp*>(sys->model.get());
  ASSERT_NE(mlp, nullptr);
  optim::AdamOptions ao;
  ao.lr = 0.01;
  ao.beta1 = 0.8;
  sys->optimizer = optim::makeAdam({optim::ParamGroup{mlp->fc1->parameters(), {}},
                                    optim::ParamGroup{mlp->fc2->parameters(), {{"lr", 0.002}}}},
                                   ao);
  const Logged log = fitAndRead("lighter_adam_stats", *sys, 1);
  ASSERT_EQ(log.of("train/optimizer/Adam/lr/group1").size(), 1u);
  EXPECT_DOUBLE_EQ(log.of("train/optimizer/Adam/lr/group1")[0].second, 0.01);
  EXPECT_DOUBLE_EQ(log.of("train/optimizer/Adam/lr/group2")[0].second, 0.002);
  EXPECT_DOUBLE_EQ(log.of("train/optimizer/Adam/momentum/group2")[0].second, 0.8);
  EXPECT_TRUE(log.of("train/optimizer/Adam/lr").empty());
}

/// An MLP whose weights file left some parameters random.
class HalfLoadedMlp : public Mlp {
 public:
  HalfLoadedMlp() : Mlp(3, 8, 2) {}
  std::vector<std::string> unloadedWeights() const override {
    return {"heads.0.0.weight (file [6, 3], model [8, 3])"};
  }
};

TEST(LoadedWeights, EvaluationRefusesRandomHeadsButFitStartsThem) {
  torch::manual_seed(0);
  auto sys = makeSystem(std::make_shared<BlobDataset>(16, 3), 3, 8);
  sys->model = std::make_shared<HalfLoadedMlp>();
  optim::SGDOptions so;
  so.lr = 0.1;
  sys->optimizer = optim::makeSGD({optim::ParamGroup{sys->model->parameters(), {}}}, so);
  sys->datasets["val"] = std::make_shared<BlobDataset>(16, 3);
  sys->datasets["test"] = std::make_shared<BlobDataset>(16, 3);
  sys->datasets["predict"] = std::make_shared<BlobDataset>(16, 3);
  Trainer t(quietOptions(1), {}, {});
  for (const char* stage : {"validate", "test", "predict"}) {
    const std::string e = errorOf<InputError>([&] {
      if (std::string(stage) == "validate") t.validate(*sys, runContext());
      if (std::string(stage) == "test") t.test(*sys, runContext());
      if (std::string(stage) == "predict") t.predict(*sys, runContext());
    });
    EXPECT_NE(e.find(std::string("'") + stage + "'"), std::string::npos) << e;
    EXPECT_NE(e.find("heads.0.0.weight (file [6, 3], model [8, 3])"), std::string::npos) << e;
  }
  EXPECT_EQ(t.fit(*sys, runContext()), 0);  // new heads for a new task: fit trains them
}

}  // namespace
}  // namespace fmcib::test
