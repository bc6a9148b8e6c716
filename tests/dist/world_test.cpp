// The world a process joins, read from torchrun / SLURM variables.
#include <gtest/gtest.h>

#include <cstdlib>
#include <map>
#include <string>

#include "fmcib/config/error.hpp"
#include "fmcib/dist/world.hpp"

namespace {

const char* kVars[] = {"RANK",          "WORLD_SIZE",     "LOCAL_RANK",   "LOCAL_WORLD_SIZE",
                       "MASTER_ADDR",   "MASTER_PORT",    "SLURM_NTASKS", "SLURM_PROCID",
                       "SLURM_LOCALID", "SLURM_NODELIST", "SLURM_JOB_ID", "SLURM_NTASKS_PER_NODE"};

// Sets exactly `vars` (all others of kVars unset) for the scope.
class EnvScope {
 public:
  explicit EnvScope(const std::map<std::string, std::string>& vars) {
    for (const char* v : kVars) {
      if (const char* old = std::getenv(v)) saved_[v] = old;
      unsetenv(v);
    }
    for (const auto& [k, v] : vars) setenv(k.c_str(), v.c_str(), 1);
  }
  ~EnvScope() {
    for (const char* v : kVars) unsetenv(v);
    for (const auto& [k, v] : saved_) setenv(k.c_str(), v.c_str(), 1);
  }

 private:
  std::map<std::string, std::string> saved_;
};

using fmcib::dist::worldFromEnvironment;

}  // namespace

TEST(World, PlainProcessHasNoWorld) {
  EnvScope env({});
  EXPECT_FALSE(worldFromEnvironment().has_value());
  EnvScope oneTask({{"SLURM_NTASKS", "1"}, {"SLURM_PROCID", "0"}});
  EXPECT_FALSE(worldFromEnvironment().has_value());
}

TEST(World, TorchrunVariables) {
  EnvScope env({{"RANK", "3"},
                {"WORLD_SIZE", "4"},
                {"LOCAL_RANK", "1"},
                {"LOCAL_WORLD_SIZE", "2"},
                {"MASTER_ADDR", "node7"},
                {"MASTER_PORT", "29400"}});
  auto w = worldFromEnvironment();
  ASSERT_TRUE(w.has_value());
  EXPECT_EQ(w->rank, 3);
  EXPECT_EQ(w->worldSize, 4);
  EXPECT_EQ(w->localRank, 1);
  EXPECT_EQ(w->localWorldSize, 2);
  EXPECT_EQ(w->masterAddr, "node7");
  EXPECT_EQ(w->masterPort, 29400);
  EXPECT_EQ(w->source, "torchrun");
}

TEST(World, SlurmVariables) {
  EnvScope env({{"SLURM_NTASKS", "8"},
                {"SLURM_PROCID", "5"},
                {"SLURM_LOCALID", "1"},
                {"SLURM_NTASKS_PER_NODE", "4(x2)"},
                {"SLURM_NODELIST", "gpu[03-04]"},
                {"SLURM_JOB_ID", "123456"}});
  auto w = worldFromEnvironment();
  ASSERT_TRUE(w.has_value());
  EXPECT_EQ(w->rank, 5);
  EXPECT_EQ(w->worldSize, 8);
  EXPECT_EQ(w->localRank, 1);
  EXPECT_EQ(w->localWorldSize, 4);
  EXPECT_EQ(w->masterAddr, "gpu03");
  EXPECT_EQ(w->masterPort, 15000 + 123456 % 10000);
  EXPECT_EQ(w->source, "slurm");
}

TEST(World, BadVariablesNameTheVariable) {
  auto message = [](const std::map<std::string, std::string>& vars) {
    EnvScope env(vars);
    try {
      worldFromEnvironment();
    } catch (const fmcib::ConfigError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(message({{"RANK", "0"}, {"WORLD_SIZE", "2"}, {"MASTER_PORT", "1"}}).find("MASTER_ADDR"),
            std::string::npos);
  EXPECT_NE(message({{"RANK", "x"}, {"WORLD_SIZE", "2"}, {"MASTER_ADDR", "a"}, {"MASTER_PORT", "1"}})
                .find("RANK='x'"),
            std::string::npos);
  EXPECT_NE(message({{"RANK", "2"}, {"WORLD_SIZE", "2"}, {"MASTER_ADDR", "a"}, {"MASTER_PORT", "1"}})
                .find("not below WORLD_SIZE"),
            std::string::npos);
  EXPECT_NE(message({{"RANK", "0"}, {"WORLD_SIZE", "2"}, {"MASTER_ADDR", "a"}, {"MASTER_PORT", "70000"}})
                .find("MASTER_PORT"),
            std::string::npos);
}
