// Checkpoint contents, exact resume (end of epoch and mid-epoch), interruption, other-model checkpoints.
#include <gtest/gtest.h>

#include <csignal>
#include <filesystem>

#include "engine/checkpoint_support.hpp"
#include "fmcib/engine/callbacks.hpp"
#include "fmcib/engine/checkpoint.hpp"
#include "fmcib/io/torch_file.hpp"
#include "support/paths.hpp"

namespace fmcib::test {
namespace {

namespace fs = std::filesystem;
using engine::Trainer;

TEST(Checkpoint, HoldsLightningKeys) {
  const fs::path dir = tempDir("engine_ckpt_keys");
  auto sys = statefulSystem();
  Trainer t(quietOptions(2), {checkpointTo(dir)}, {});
  ASSERT_EQ(t.fit(*sys, ctx()), 0);
  ASSERT_TRUE(fs::exists(dir / "epoch=1-step=12.ckpt"));
  ASSERT_TRUE(fs::exists(dir / "epoch=0-step=6.ckpt"));
  auto d = engine::readCheckpoint((dir / "last.ckpt").string());
  EXPECT_EQ(engine::checkpointInt(d, "epoch", "x"), 1);
  EXPECT_EQ(engine::checkpointInt(d, "global_step", "x"), 12);
  for (const char* key : {"pytorch-lightning_version", "optimizer_states", "lr_schedulers", "callbacks",
                          "loops", "fmcib", "config"})
    EXPECT_TRUE(engine::hasField(d, key)) << key;
  EXPECT_EQ(engine::checkpointField(d, "config", "x").toStringRef(), "trainer: {}\n");
  auto names = io::flattenStateDict(engine::checkpointField(d, "state_dict", "x"));
  ASSERT_EQ(names.size(), 4u);
  EXPECT_EQ(names[0].first, "model.fc1.weight");
  EXPECT_TRUE(torch::equal(names[0].second, sys->model->parameters()[0]));
  auto meta = engine::checkpointField(d, "fmcib", "x").toGenericDict();
  EXPECT_EQ(engine::checkpointInt(meta, "seed", "x"), 42);
  auto loop = engine::checkpointField(d, "loops", "x").toGenericDict().at("fmcib").toGenericDict();
  EXPECT_EQ(engine::checkpointInt(loop, "epoch", "x"), 2);  // the next epoch to run
  EXPECT_EQ(engine::checkpointInt(loop, "batches_done", "x"), 0);
}

TEST(Checkpoint, ResumeAtEpochEndIsExact) {
  const fs::path dir = tempDir("engine_resume");
  auto straight = statefulSystem();
  Trainer a(quietOptions(4), {}, {});
  ASSERT_EQ(a.fit(*straight, ctx()), 0);

  auto first = statefulSystem();
  Trainer b(quietOptions(2), {checkpointTo(dir)}, {});
  ASSERT_EQ(b.fit(*first, ctx()), 0);
  auto second = statefulSystem();
  torch::manual_seed(999);  // the RNG state comes back from the checkpoint
  Trainer c(quietOptions(4), {checkpointTo(dir)}, {});
  ASSERT_EQ(c.fit(*second, ctx((dir / "last.ckpt").string())), 0);
  EXPECT_EQ(c.state().globalStep, a.state().globalStep);
  EXPECT_TRUE(sameParameters(*straight->model, *second->model));
  EXPECT_NEAR(second->optimizer->lr(0), straight->optimizer->lr(0), 0);
}

TEST(Checkpoint, ResumeMidEpochIsExact) {
  const fs::path dir = tempDir("engine_resume_mid");
  auto straight = statefulSystem();
  Trainer a(quietOptions(3), {}, {});
  ASSERT_EQ(a.fit(*straight, ctx()), 0);

  // every 4 steps: step 8 is batch 2 of epoch 1 (6 batches per epoch).
  auto first = statefulSystem();
  auto o = quietOptions(3);
  o.maxSteps = 8;
  Trainer b(o, {checkpointTo(dir, 4)}, {});
  ASSERT_EQ(b.fit(*first, ctx()), 0);
  auto d = engine::readCheckpoint((dir / "epoch=1-step=8.ckpt").string());
  auto loop = engine::checkpointField(d, "loops", "x").toGenericDict().at("fmcib").toGenericDict();
  EXPECT_EQ(engine::checkpointInt(loop, "epoch", "x"), 1);
  EXPECT_EQ(engine::checkpointInt(loop, "batches_done", "x"), 2);

  auto second = statefulSystem();
  Trainer c(quietOptions(3), {}, {});
  ASSERT_EQ(c.fit(*second, ctx((dir / "epoch=1-step=8.ckpt").string())), 0);
  EXPECT_EQ(c.state().globalStep, 18);
  EXPECT_TRUE(sameParameters(*straight->model, *second->model));
  // The resumed epoch's logged means include its batches before the checkpoint (loops#fmcib): a
  // run that ends with that epoch logs what the uninterrupted one does.
  auto straight2 = statefulSystem();
  Trainer a2(quietOptions(2), {}, {});
  ASSERT_EQ(a2.fit(*straight2, ctx()), 0);
  auto resumed2 = statefulSystem();
  Trainer c2(quietOptions(2), {}, {});
  ASSERT_EQ(c2.fit(*resumed2, ctx((dir / "epoch=1-step=8.ckpt").string())), 0);
  for (const char* key : {"train/loss/epoch", "train/optimizer/Adam/lr", "val/loss/epoch"})
    EXPECT_DOUBLE_EQ(c2.callbackMetrics().at(key), a2.callbackMetrics().at(key)) << key;
}

/// Raises a signal after a given optimizer step (as `kill` would, from outside the loop's code).
class RaiseAt : public engine::Callback {
 public:
  RaiseAt(int64_t step, int sig) : step_(step), sig_(sig) {}
  std::string name() const override { return "test.RaiseAt"; }
  void onTrainStepEnd(Trainer& t) override {
    if (t.state().globalStep == step_) std::raise(sig_);
  }

 private:
  int64_t step_;
  int sig_;
};

TEST(Checkpoint, SignalStopsAfterTheStepWithLastCkpt) {
  for (int sig : {SIGTERM, SIGINT}) {
    const fs::path dir = tempDir("engine_sigterm");
    auto sys = statefulSystem();
    Trainer t(quietOptions(5), {checkpointTo(dir), std::make_shared<RaiseAt>(9, sig)}, {});
    EXPECT_EQ(t.fit(*sys, ctx()), 128 + sig);
    EXPECT_EQ(t.state().globalStep, 9);
    auto d = engine::readCheckpoint((dir / "last.ckpt").string());
    EXPECT_EQ(engine::checkpointInt(d, "global_step", "x"), 9);
    // The default handler is back once the run returned.
    struct sigaction sa {};
    sigaction(sig, nullptr, &sa);
    EXPECT_EQ(sa.sa_handler, SIG_DFL);
    // And the interrupted run resumes to the same result as an uninterrupted one.
    auto straight = statefulSystem();
    Trainer a(quietOptions(5), {}, {});
    a.fit(*straight, ctx());
    auto resumed = statefulSystem();
    Trainer c(quietOptions(5), {}, {});
    ASSERT_EQ(c.fit(*resumed, ctx((dir / "last.ckpt").string())), 0);
    EXPECT_TRUE(sameParameters(*straight->model, *resumed->model));
  }
}

TEST(Checkpoint, OtherModelIsRejectedWithShapes) {
  const fs::path dir = tempDir("engine_other_model");
  auto sys = statefulSystem();
  Trainer t(quietOptions(1), {checkpointTo(dir)}, {});
  ASSERT_EQ(t.fit(*sys, ctx()), 0);
  auto other = makeSystem(std::make_shared<BlobDataset>(8, 3), 3, 4, 0.1, /*classes=*/5);
  other->datasets["predict"] = other->datasets["train"];
  Trainer p(quietOptions(1), {}, {});
  try {
    p.predict(*other, ctx((dir / "last.ckpt").string()));
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("model.fc2.weight (checkpoint [2, 8], model [5, 8])"), std::string::npos) << msg;
    EXPECT_NE(msg.find("last.ckpt"), std::string::npos) << msg;
  }
  EXPECT_THROW(p.predict(*other, ctx((dir / "missing.ckpt").string())), InputError);
}

TEST(Checkpoint, WrittenFilesAreTorchFiles) {
  const fs::path dir = tempDir("engine_ckpt_io");
  auto sys = statefulSystem();
  Trainer t(quietOptions(1), {checkpointTo(dir)}, {});
  ASSERT_EQ(t.fit(*sys, ctx()), 0);
  // What a Python torch.load sees: the archive's pickle names only allowed globals.
  c10::IValue v = io::readTorchFile((dir / "last.ckpt").string());
  ASSERT_TRUE(v.isGenericDict());
  auto opt = v.toGenericDict().at("optimizer_states").toList().get(0).toGenericDict();
  EXPECT_TRUE(opt.contains("state"));
  EXPECT_TRUE(opt.contains("param_groups"));
  auto sched = v.toGenericDict().at("lr_schedulers").toList().get(0).toGenericDict();
  EXPECT_EQ(sched.at("last_epoch").toInt(), 1);
}

}  // namespace
}  // namespace fmcib::test
