// Hostile checkpoints through the binary: a tampered best_model_path deletes nothing, a resume into
// another output folder keeps the source run's files, and a tampered counter exits 2 naming it.
#include <gtest/gtest.h>

#include <fstream>
#include <limits>

#include "demo_run.hpp"
#include "engine/checkpoint_support.hpp"
#include "fmcib/io/torch_file.hpp"

namespace fmcib::test {
namespace {

/// The callbacks entry of the config's ModelCheckpoint.
std::string modelCheckpointKey(const c10::IValue& ckpt) {
  for (const auto& e : fieldAt(ckpt, {"callbacks"}).toGenericDict())
    if (e.key().toStringRef().rfind("ModelCheckpoint", 0) == 0) return e.key().toStringRef();
  ADD_FAILURE() << "no ModelCheckpoint state";
  return "";
}

TEST(SafetyCli, TamperedCheckpointsTouchNothingOutsideTheRun) {
  const fs::path data = demoData(20, 6);
  const fs::path first = tempDir("engine_safety_first"), second = tempDir("engine_safety_second");
  const fs::path elsewhere = tempDir("engine_safety_elsewhere");
  const fs::path precious = elsewhere / "precious.txt";
  std::ofstream(precious) << "do not touch\n";
  const std::string common = "fit --config_file " + exp("demo/pretrain.yaml") +
                             " --trainer#limit_train_batches=2 --system#num_workers=1";
  auto r = runFmcib(common + demoArgs(data, first) + " --trainer#max_epochs=1");
  ASSERT_EQ(r.code, 0) << r.err;
  const fs::path ckptDir = first / "checkpoints" / "pretrain";
  ASSERT_TRUE(fs::exists(ckptDir / "epoch=0-step=2.ckpt"));

  c10::IValue ckpt = io::readTorchFile((ckptDir / "last.ckpt").string());
  setField(ckpt, {"callbacks", modelCheckpointKey(ckpt), "best_model_path"}, precious.string());
  const fs::path tampered = elsewhere / "tampered.ckpt";
  io::writeTorchFile(tampered.string(), ckpt);
  r = runFmcib(common + demoArgs(data, second) + " --trainer#max_epochs=3 --ckpt_path " + q(tampered));
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(fs::exists(precious));
  EXPECT_TRUE(fs::exists(ckptDir / "epoch=0-step=2.ckpt")) << "the source run's checkpoint was deleted";
  EXPECT_TRUE(fs::exists(second / "checkpoints" / "pretrain" / "epoch=2-step=6.ckpt"));

  setField(ckpt, {"loops", "fmcib", "epoch"}, std::numeric_limits<int64_t>::max());
  io::writeTorchFile(tampered.string(), ckpt);
  r = runFmcib(common + demoArgs(data, second) + " --trainer#max_epochs=3 --ckpt_path " + q(tampered));
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_NE(r.err.find("fmcib: input error: " + tampered.string() + ": loops.fmcib.epoch: expected an int"),
            std::string::npos)
      << r.err;
}

}  // namespace
}  // namespace fmcib::test
