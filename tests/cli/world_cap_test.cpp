// CPU worlds: fmcib starts at most one rank per core unless FMCIB_MAX_CPU_RANKS asks for more.
#include <gtest/gtest.h>

#include <string>

#include "support/paths.hpp"
#include "support/process.hpp"

namespace {

using fmcib::test::runShell;

/// The demo pre-training as DDP on the CPU, its data in a folder that does not exist: a rank that
/// does start fails at once, naming the missing CSV.
std::string config(int devices) {
  const auto dir = fmcib::test::tempDir("cli_world_cap");
  return std::string(FMCIB_SOURCE_DIR) +
         "/experiments/demo/pretrain.yaml --vars#data=" + (dir / "no-data").string() +
         " --vars#out=" + (dir / "out").string() +
         " --trainer#strategy=ddp --trainer#devices=" + std::to_string(devices);
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
  // Asked for explicitly: three ranks start (and each stops at the missing data).
  r = runShell(fit("FMCIB_MAX_CPU_RANKS=3", cfg));
  EXPECT_EQ(r.code, 2) << r.out << r.err;
  EXPECT_NE((r.out + r.err).find("[rank 2]"), std::string::npos) << r.out << r.err;
  EXPECT_NE((r.out + r.err).find("pretrain.csv' does not exist"), std::string::npos) << r.out << r.err;
}

}  // namespace
