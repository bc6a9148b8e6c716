// The fit loop's counting rules, scheduler stepping, clipping, fast_dev_run and non-finite losses.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>

#include "engine/engine_support.hpp"
#include "fmcib/engine/callbacks.hpp"
#include "fmcib/engine/checkpoint.hpp"
#include "fmcib/io/torch_file.hpp"
#include "fmcib/losses/contrastive.hpp"
#include "support/paths.hpp"

namespace fmcib::test {
namespace {

namespace fs = std::filesystem;
using engine::RunContext;
using engine::Trainer;

engine::RunContext seededCtx(uint64_t seed = 1) {
  RunContext c;
  c.seed = seed;
  return c;
}

int64_t stepsAfterFit(engine::TrainerOptions o, int64_t n = 20, int64_t batch = 4) {
  torch::manual_seed(0);
  auto sys = makeSystem(std::make_shared<BlobDataset>(n, 3), 3, batch);
  Trainer t(o, {}, {});
  EXPECT_EQ(t.fit(*sys, seededCtx()), 0);
  return t.state().globalStep;
}

TEST(Trainer, CountsStepsLikeLightning) {
  EXPECT_EQ(stepsAfterFit(quietOptions(3)), 15);  // 5 batches x 3 epochs
  auto o = quietOptions(3);
  o.accumulateGradBatches = 2;  // steps after batches 2, 4 and the epoch's last (5)
  EXPECT_EQ(stepsAfterFit(o), 9);
  o = quietOptions(3);
  o.limitTrain.isFraction = false;
  o.limitTrain.count = 2;
  EXPECT_EQ(stepsAfterFit(o), 6);
  o = quietOptions(3);
  o.limitTrain.fraction = 0.5;  // int(0.5 * 5) = 2
  EXPECT_EQ(stepsAfterFit(o), 6);
  o = quietOptions(100);
  o.maxSteps = 7;
  EXPECT_EQ(stepsAfterFit(o), 7);
  o = quietOptions(5);
  o.fastDevRun = 2;  // 2 batches, one epoch
  EXPECT_EQ(stepsAfterFit(o), 2);
}

TEST(Trainer, DropLastBatchDropsTheIncompleteBatch) {
  torch::manual_seed(0);
  auto sys = makeSystem(std::make_shared<BlobDataset>(22, 3), 3, 4);
  sys->options.dropLastBatch = true;
  Trainer t(quietOptions(2), {}, {});
  t.fit(*sys, seededCtx());
  EXPECT_EQ(t.state().globalStep, 10);
}

TEST(Trainer, LearnsASeparableProblemAndLogsLightningKeys) {
  torch::manual_seed(0);
  auto data = std::make_shared<BlobDataset>(64, 4);
  auto sys = makeSystem(data, 4, 8, 0.2);
  sys->datasets["val"] = std::make_shared<BlobDataset>(64, 4);  // same points: val loss must fall too
  Trainer t(quietOptions(15), {}, {});
  ASSERT_EQ(t.fit(*sys, seededCtx()), 0);
  const auto& m = t.callbackMetrics();
  ASSERT_TRUE(m.count("train/loss/epoch"));
  ASSERT_TRUE(m.count("train/loss/step"));
  ASSERT_TRUE(m.count("val/loss/epoch"));
  EXPECT_LT(m.at("val/loss/epoch"), 0.25);  // chance is log 2 = 0.69
}

TEST(Trainer, BareSchedulerStepsPerEpochDictFormPerStep) {
  for (bool perStep : {false, true}) {
    torch::manual_seed(0);
    auto sys = makeSystem(std::make_shared<BlobDataset>(20, 3), 3, 4, 1.0);
    engine::SchedulerConfig sc;
    sc.scheduler = std::make_shared<optim::StepLR>(sys->optimizer, 1, 0.5);
    if (perStep) sc.interval = engine::SchedulerConfig::Interval::kStep;
    sys->scheduler = sc;
    Trainer t(quietOptions(3), {}, {});
    t.fit(*sys, seededCtx());
    const double expected = std::pow(0.5, perStep ? 15 : 3);
    EXPECT_NEAR(sys->optimizer->lr(0), expected, 1e-12) << (perStep ? "step" : "epoch");
  }
}

TEST(Trainer, SchedulerFrequencyCountsEpochsFromOne) {
  torch::manual_seed(0);
  auto sys = makeSystem(std::make_shared<BlobDataset>(20, 3), 3, 4, 1.0);
  engine::SchedulerConfig sc;
  sc.scheduler = std::make_shared<optim::StepLR>(sys->optimizer, 1, 0.5);
  sc.frequency = 2;
  sys->scheduler = sc;
  Trainer t(quietOptions(5), {}, {});
  t.fit(*sys, seededCtx());
  EXPECT_NEAR(sys->optimizer->lr(0), 0.25, 1e-12);  // after epochs 2 and 4
}

TEST(Trainer, GradientClippingBoundsTheUpdate) {
  for (double clip : {0.0, 1e-3}) {
    torch::manual_seed(0);
    auto sys = makeSystem(std::make_shared<BlobDataset>(4, 3), 3, 4);
    optim::SGDOptions so;
    so.lr = 1.0;
    sys->optimizer = optim::makeSGD({optim::ParamGroup{sys->model->parameters(), {}}}, so);
    std::vector<at::Tensor> before;
    for (const auto& p : sys->model->parameters()) before.push_back(p.detach().clone());
    auto o = quietOptions(1);
    if (clip > 0) o.gradientClipVal = clip;
    Trainer t(o, {}, {});
    t.fit(*sys, seededCtx());
    double sq = 0;
    auto after = sys->model->parameters();
    for (size_t i = 0; i < after.size(); ++i) sq += (after[i] - before[i]).pow(2).sum().item<double>();
    if (clip > 0)
      EXPECT_NEAR(std::sqrt(sq), clip, 1e-6);  // lr 1: the update is the clipped gradient
    else
      EXPECT_GT(std::sqrt(sq), 1e-2);
  }
}

TEST(Trainer, NonFiniteLossStopsWithTheStep) {
  torch::manual_seed(0);
  auto sys = makeSystem(std::make_shared<BlobDataset>(16, 3, 0.0, 7, 13), 3, 4);  // item 13 is NaN
  Trainer t(quietOptions(3), {}, {});
  try {
    t.fit(*sys, seededCtx());
    FAIL() << "expected a RuntimeError";
  } catch (const RuntimeError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("NaN"), std::string::npos) << msg;
    EXPECT_NE(msg.find("at step " + std::to_string(t.state().globalStep)), std::string::npos) << msg;
  }
  EXPECT_LT(t.state().globalStep, 4);  // the first epoch has the NaN item
}

TEST(Trainer, NonFiniteLossAfterGoodEpochsKeepsTheirCheckpoint) {
  // A clean epoch writes last.ckpt; resuming it on data with a NaN item fails and leaves it as is.
  torch::manual_seed(0);
  const fs::path dir = tempDir("engine_nan2");
  auto good = makeSystem(std::make_shared<BlobDataset>(16, 3), 3, 4);
  engine::ModelCheckpointOptions mo;
  mo.dirpath = dir.string();
  mo.saveLast = true;
  Trainer t1(quietOptions(1), {std::make_shared<engine::ModelCheckpoint>(mo)}, {});
  ASSERT_EQ(t1.fit(*good, seededCtx()), 0);
  ASSERT_TRUE(fs::exists(dir / "last.ckpt"));
  const auto before = fs::last_write_time(dir / "last.ckpt");
  torch::manual_seed(0);
  auto bad = makeSystem(std::make_shared<BlobDataset>(16, 3, 0.0, 7, 5), 3, 4);
  RunContext c = seededCtx();
  c.ckptPath = (dir / "last.ckpt").string();
  Trainer t2(quietOptions(3), {std::make_shared<engine::ModelCheckpoint>(mo)}, {});
  EXPECT_THROW(t2.fit(*bad, c), RuntimeError);
  EXPECT_EQ(fs::last_write_time(dir / "last.ckpt"), before);
  auto d = engine::readCheckpoint((dir / "last.ckpt").string());
  EXPECT_EQ(engine::checkpointInt(d, "global_step", "last.ckpt"), 4);
}

TEST(Trainer, FastDevRunWritesNoCheckpoint) {
  torch::manual_seed(0);
  const fs::path dir = tempDir("engine_fdr");
  auto sys = makeSystem(std::make_shared<BlobDataset>(20, 3), 3, 4);
  engine::ModelCheckpointOptions mo;
  mo.dirpath = dir.string();
  mo.saveLast = true;
  auto o = quietOptions(5);
  o.fastDevRun = 1;
  Trainer t(o, {std::make_shared<engine::ModelCheckpoint>(mo)}, {});
  ASSERT_EQ(t.fit(*sys, seededCtx()), 0);
  EXPECT_EQ(t.state().globalStep, 1);
  EXPECT_TRUE(fs::is_empty(dir));
}

TEST(Trainer, SslStepTrainsOnViews) {
  torch::manual_seed(0);
  auto sys = std::make_shared<engine::System>();
  sys->options.batchSize = 4;
  sys->options.dropLastBatch = true;
  sys->model = std::make_shared<Mlp>(3, 8, 4);
  sys->criterion = std::make_shared<losses::NegativeMiningInfoNCECriterion>(4, 4, 1);
  optim::SGDOptions so;
  so.lr = 0.05;
  sys->optimizer = optim::makeSGD({optim::ParamGroup{sys->model->parameters(), {}}}, so);
  sys->datasets["train"] = std::make_shared<ViewsDataset>(18, 3);
  Trainer t(quietOptions(2), {}, {});
  ASSERT_EQ(t.fit(*sys, seededCtx()), 0);
  EXPECT_EQ(t.state().globalStep, 8);  // 18 // 4 = 4 batches per epoch
  EXPECT_TRUE(std::isfinite(t.callbackMetrics().at("train/loss/epoch")));
}

TEST(Trainer, MissingPartsAreConfigErrors) {
  auto sys = makeSystem(std::make_shared<BlobDataset>(8, 3), 3, 4);
  sys->optimizer = nullptr;
  Trainer t(quietOptions(1), {}, {});
  EXPECT_THROW(t.fit(*sys, seededCtx()), ConfigError);
  auto sys2 = makeSystem(std::make_shared<BlobDataset>(8, 3), 3, 4);
  EXPECT_THROW(t.test(*sys2, seededCtx()), ConfigError);  // no test dataset
}

}  // namespace
}  // namespace fmcib::test
