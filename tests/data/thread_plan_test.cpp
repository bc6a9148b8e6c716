// Thread budgeting: how cores split between loader threads and torch intra-op threads.
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

#include "fmcib/config/error.hpp"
#include "fmcib/data/thread_plan.hpp"

using namespace fmcib;
using data::planThreads;
using data::ThreadRequest;

TEST(ThreadPlan, GpuAutoGivesEveryCoreButOneToTheLoader) {
  ThreadRequest r;
  r.cores = 16;
  r.localRanks = 2;
  r.gpu = true;
  const data::ThreadPlan p = planThreads(r);
  EXPECT_EQ(p.coresPerRank, 8);
  EXPECT_EQ(p.loaderThreads, 7);
  EXPECT_EQ(p.torchThreads, 1);
  EXPECT_FALSE(p.oversubscribed);
  EXPECT_EQ(
      p.summary(r),
      "threads: 16 cores, 2 ranks on this node → 8 per rank: 7 loader (auto) + 1 torch intra-op (auto)");
}

TEST(ThreadPlan, CpuAutoKeepsMostCoresForTheStep) {
  ThreadRequest r;
  r.cores = 16;
  const data::ThreadPlan p = planThreads(r);
  EXPECT_EQ(p.loaderThreads, 4);
  EXPECT_EQ(p.torchThreads, 12);
  r.cores = 2;  // never zero loader or torch threads
  EXPECT_EQ(planThreads(r).loaderThreads, 1);
  EXPECT_EQ(planThreads(r).torchThreads, 1);
}

TEST(ThreadPlan, ConfiguredWorkersAndOverridesWin) {
  ThreadRequest r;
  r.cores = 8;
  r.numWorkers = 3;
  EXPECT_EQ(planThreads(r).loaderThreads, 3);
  EXPECT_EQ(planThreads(r).torchThreads, 5);
  r.numWorkers = 0;  // loading in the training thread: the step gets every core
  EXPECT_EQ(planThreads(r).torchThreads, 8);
  r.numWorkers = 6;
  r.torchThreads = 4;
  const data::ThreadPlan p = planThreads(r);
  EXPECT_EQ(p.torchThreads, 4);
  EXPECT_TRUE(p.oversubscribed);
  EXPECT_NE(p.summary(r).find("(num_workers)"), std::string::npos);
  EXPECT_NE(p.summary(r).find("(override)"), std::string::npos);
  EXPECT_NE(p.summary(r).find("contention"), std::string::npos);
}

TEST(ThreadPlan, MoreRanksThanCoresStillGetOneCoreEach) {
  ThreadRequest r;
  r.cores = 2;
  r.localRanks = 4;
  r.gpu = true;
  const data::ThreadPlan p = planThreads(r);
  EXPECT_EQ(p.coresPerRank, 1);
  EXPECT_EQ(p.loaderThreads, 1);
  EXPECT_EQ(p.torchThreads, 1);
  EXPECT_TRUE(p.oversubscribed);
}

TEST(ThreadPlan, BadRequestsAreConfigErrors) {
  ThreadRequest r;
  r.cores = 0;
  EXPECT_THROW(planThreads(r), ConfigError);
  r.cores = 4;
  r.localRanks = 0;
  EXPECT_THROW(planThreads(r), ConfigError);
  EXPECT_GE(data::availableCores(), 1);
}

TEST(ThreadPlan, OmpNumThreadsIsTheTorchThreadsDefault) {
  const char* saved = std::getenv("OMP_NUM_THREADS");
  const std::string keep = saved ? saved : "";
  setenv("OMP_NUM_THREADS", "3", 1);
  EXPECT_EQ(data::torchThreadsFromEnv(), 3);
  setenv("OMP_NUM_THREADS", "x", 1);
  EXPECT_EQ(data::torchThreadsFromEnv(), 0);
  unsetenv("OMP_NUM_THREADS");
  EXPECT_EQ(data::torchThreadsFromEnv(), 0);
  if (saved) setenv("OMP_NUM_THREADS", keep.c_str(), 1);
}
