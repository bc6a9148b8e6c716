// Checkpoints cross LibTorch versions: the committed fixtures written by the LibTorch 1.13 build
// (Debian 12) and the LibTorch 2.6 build (Debian 13) keep PyTorch's optimizer layout and resume on
// this build to the parameters of the writer's uninterrupted run.
#include <gtest/gtest.h>

#include "engine/compat_checkpoint.hpp"
#include "fmcib/engine/checkpoint.hpp"
#include "fmcib/io/torch_file.hpp"
#include "support/paths.hpp"

namespace fmcib::test {
namespace {

class CheckpointCompat : public ::testing::TestWithParam<std::string> {};

TEST_P(CheckpointCompat, KeepsPyTorchOptimizerLayout) {
  const auto d = engine::readCheckpoint(fixture("checkpoints/" + GetParam() + ".ckpt"));
  EXPECT_EQ(engine::checkpointInt(d, "epoch", "x"), compat::kCheckpointEpochs - 1);
  EXPECT_EQ(engine::checkpointInt(d, "global_step", "x"), 6 * compat::kCheckpointEpochs);
  const auto optimizers = engine::checkpointField(d, "optimizer_states", "x").toList();
  ASSERT_EQ(optimizers.size(), 1u);
  const auto opt = optimizers.get(0).toGenericDict();
  const auto state = opt.at("state").toGenericDict();
  ASSERT_EQ(state.size(), 4u);
  for (int64_t i = 0; i < 4; ++i) {
    ASSERT_TRUE(state.contains(c10::IValue(i))) << "state has no integer key " << i;
    const auto s = state.at(c10::IValue(i)).toGenericDict();
    for (const char* key : {"step", "exp_avg", "exp_avg_sq"})
      EXPECT_TRUE(s.contains(key)) << i << ": " << key;
  }
  const auto groups = opt.at("param_groups").toList();
  ASSERT_EQ(groups.size(), 1u);
  const auto ids = groups.get(0).toGenericDict().at("params").toList();
  ASSERT_EQ(ids.size(), 4u);
  for (int64_t i = 0; i < 4; ++i) EXPECT_EQ(ids.get(i).toInt(), i);
}

TEST_P(CheckpointCompat, ResumesToTheWritersUninterruptedRun) {
  const std::string name = GetParam();
  auto resumed = compat::system();
  torch::manual_seed(999);  // the RNG state comes back from the checkpoint
  engine::Trainer t(quietOptions(compat::kEpochs), {compat::lastCheckpointIn(tempDir("compat_resume"))}, {});
  ASSERT_EQ(t.fit(*resumed, compat::context(fixture("checkpoints/" + name + ".ckpt"))), 0);
  EXPECT_EQ(t.state().globalStep, 6 * compat::kEpochs);

  const auto expected = io::flattenStateDict(io::readTorchFile(fixture("checkpoints/" + name + ".final.pt")));
  const auto actual = resumed->model->named_parameters();
  ASSERT_EQ(expected.size(), actual.size());
  for (const auto& [key, value] : expected) {
    ASSERT_TRUE(actual.contains(key)) << key;
    // The same LibTorch reproduces its own run bit for bit; another version's kernels may round
    // differently in the last bits.
    if (name == compat::buildName())
      EXPECT_TRUE(torch::equal(actual[key], value)) << key;
    else
      EXPECT_TRUE(torch::allclose(actual[key], value, 1e-5, 1e-6))
          << key << ": max diff " << (actual[key] - value).abs().max().item<double>();
  }
}

INSTANTIATE_TEST_SUITE_P(Builds, CheckpointCompat, ::testing::Values("libtorch-1.13", "libtorch-2.6"),
                         [](const ::testing::TestParamInfo<std::string>& p) {
                           std::string n = p.param;
                           for (char& c : n)
                             if (c == '-' || c == '.') c = '_';
                           return n;
                         });

}  // namespace
}  // namespace fmcib::test
