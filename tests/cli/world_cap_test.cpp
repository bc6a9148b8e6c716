// CPU worlds: fmcib starts at most one rank per core unless FMCIB_MAX_CPU_RANKS asks for more.
#include <gtest/gtest.h>

#include <fstream>

#include "support/paths.hpp"
#include "support/process.hpp"

namespace {

using fmcib::test::runShell;

std::string config(int devices) {
  const auto path = fmcib::test::tempDir("cli_world_cap") / "ddp.yaml";
  // No model: a rank that does start fails at once with a config error.
  std::ofstream(path)
      << "trainer:\n  _target_: pytorch_lightning.Trainer\n  accelerator: cpu\n  strategy: ddp\n"
      << "  devices: " << devices << "\n  enable_progress_bar: false\n"
      << "system:\n  _target_: lighter.LighterSystem\n  batch_size: 1\n";
  return path.string();
}

std::string fit(const std::string& env, const std::string& cfg) {
  return "env -u RANK -u WORLD_SIZE -u LOCAL_RANK -u SLURM_NTASKS -u SLURM_PROCID " + env + " " +
         std::string(FMCIB_BINARY) + " fit --config_file " + cfg;
}

TEST(WorldCap, MoreCpuRanksThanCoresAreRefusedBeforeAnyStarts) {
  const auto r = runShell(fit("", config(1000)));
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_NE(r.err.find("trainer#devices: 1000 CPU ranks requested"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("FMCIB_MAX_CPU_RANKS=1000"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("launching"), std::string::npos) << r.err;
  EXPECT_EQ((r.out + r.err).find("[rank "), std::string::npos) << r.out << r.err;
}

TEST(WorldCap, TheVariableSetsTheCap) {
  const std::string cfg = config(3);
  auto r = runShell(fit("FMCIB_MAX_CPU_RANKS=2", cfg));
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_NE(r.err.find("more than FMCIB_MAX_CPU_RANKS=2"), std::string::npos) << r.err;
  r = runShell(fit("FMCIB_MAX_CPU_RANKS=two", cfg));
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_NE(r.err.find("FMCIB_MAX_CPU_RANKS='two' is not a positive integer"), std::string::npos) << r.err;
  // Asked for explicitly: three ranks start (and each stops at the missing model).
  r = runShell(fit("FMCIB_MAX_CPU_RANKS=3", cfg));
  EXPECT_EQ(r.code, 2) << r.out << r.err;
  EXPECT_NE((r.out + r.err).find("[rank 2]"), std::string::npos) << r.out << r.err;
  EXPECT_NE(r.err.find("system#model is null"), std::string::npos) << r.err;
}

}  // namespace
