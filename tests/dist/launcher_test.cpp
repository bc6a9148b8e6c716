// The launcher never leaves a rank (or what a rank started) behind: not when it is killed with
// SIGKILL, not when starting a rank fails half-way, not when the ranks exit and leave processes.
//
// The launcher under test is this test binary itself: started with FMCIB_TEST_LAUNCHER=N it runs
// launchLocalRanks with N ranks of `sh -c "$FMCIB_TEST_SCRIPT"` before main (no threads yet) and
// exits with its status; on a launch error it writes the message and the children it still has to
// $FMCIB_TEST_DIR/launcher.txt.
#include <dirent.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>
#include <vector>

#include "fmcib/dist/launcher.hpp"
#include "support/paths.hpp"

extern char** environ;

namespace {

namespace fs = std::filesystem;

/// Processes whose parent is this one (read from /proc), zombies included.
std::vector<long> childrenOfThisProcess() {
  std::vector<long> out;
  DIR* d = opendir("/proc");
  if (!d) return out;
  while (dirent* e = readdir(d)) {
    const long pid = std::atol(e->d_name);
    if (pid <= 0) continue;
    std::ifstream stat("/proc/" + std::string(e->d_name) + "/stat");
    std::string line;
    std::getline(stat, line);
    const size_t close = line.rfind(')');
    if (close == std::string::npos) continue;
    std::istringstream rest(line.substr(close + 2));
    char state = 0;
    long ppid = 0;
    rest >> state >> ppid;
    if (ppid == ::getpid()) out.push_back(pid);
  }
  closedir(d);
  return out;
}

int runAsLauncher() {
  const char* n = std::getenv("FMCIB_TEST_LAUNCHER");
  if (!n) return 0;
  const std::string dir = std::getenv("FMCIB_TEST_DIR");
  if (const char* extra = std::getenv("FMCIB_TEST_SPARE_FDS")) {
    // Room for a few ranks' pipes only: starting a later rank fails. Every free descriptor below
    // the limit is taken, then exactly `extra` are given back (inherited descriptors leave gaps).
    int highest = 2;
    for (const auto& e : fs::directory_iterator("/proc/self/fd"))
      highest = std::max(highest, std::atoi(e.path().filename().c_str()));
    const auto limit = static_cast<rlim_t>(highest + 64);
    const rlimit rl{limit, limit};
    setrlimit(RLIMIT_NOFILE, &rl);
    std::vector<int> filler;
    for (int fd; (fd = ::dup(STDIN_FILENO)) >= 0;) filler.push_back(fd);
    for (int i = 0; i < std::atoi(extra) && !filler.empty(); ++i) {
      ::close(filler.back());
      filler.pop_back();
    }
  }
  fmcib::dist::LaunchOptions o;
  o.nprocs = std::atoi(n);
  o.executable = "/bin/sh";
  o.args = {"sh", "-c", std::getenv("FMCIB_TEST_SCRIPT")};
  o.grace = std::chrono::seconds(2);
  try {
    _exit(fmcib::dist::launchLocalRanks(o));
  } catch (const std::exception& e) {
    std::ofstream out(dir + "/launcher.txt");
    out << e.what() << "\n";
    for (long pid : childrenOfThisProcess()) out << "child " << pid << "\n";
    out.close();
    _exit(3);
  }
}

const int kLauncherMode = runAsLauncher();

bool gone(long pid) {
  if (::kill(static_cast<pid_t>(pid), 0) != 0) return errno == ESRCH;
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  std::getline(stat, line);
  const size_t close = line.rfind(')');
  return close != std::string::npos && close + 2 < line.size() &&
         (line[close + 2] == 'Z' || line[close + 2] == 'X');
}

bool waitGone(long pid, std::chrono::seconds limit) {
  const auto end = std::chrono::steady_clock::now() + limit;
  while (!gone(pid)) {
    if (std::chrono::steady_clock::now() > end) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return true;
}

/// Starts this binary as a launcher of `ranks` ranks of `script`.
pid_t startLauncher(int ranks, const fs::path& dir, const std::string& script,
                    const std::string& spareFds = "") {
  std::vector<std::string> env = {"FMCIB_TEST_LAUNCHER=" + std::to_string(ranks),
                                  "FMCIB_TEST_DIR=" + dir.string(), "FMCIB_TEST_SCRIPT=" + script};
  if (!spareFds.empty()) env.push_back("FMCIB_TEST_SPARE_FDS=" + spareFds);
  for (char** e = environ; *e; ++e) env.emplace_back(*e);
  std::vector<char*> envp, argv;
  for (auto& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);
  std::string self = "/proc/self/exe";
  argv = {self.data(), nullptr};
  pid_t pid = -1;
  EXPECT_EQ(posix_spawn(&pid, "/proc/self/exe", nullptr, nullptr, argv.data(), envp.data()), 0);
  return pid;
}

std::vector<long> readPids(const fs::path& dir, const std::string& prefix, size_t n,
                           std::chrono::seconds limit) {
  const auto end = std::chrono::steady_clock::now() + limit;
  for (;;) {
    std::vector<long> pids;
    for (size_t r = 0; r < n; ++r) {
      std::ifstream in(dir / (prefix + std::to_string(r) + ".pid"));
      long pid = 0;
      if (in >> pid && pid > 0) pids.push_back(pid);
    }
    if (pids.size() == n || std::chrono::steady_clock::now() > end) return pids;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

void killLeftovers(const std::vector<long>& pids) {
  for (long pid : pids)
    if (!gone(pid)) ::kill(static_cast<pid_t>(pid), SIGKILL);
}

TEST(Launcher, NoRankOutlivesALauncherKilledWithSigkill) {
  ASSERT_EQ(kLauncherMode, 0);
  const fs::path dir = fmcib::test::tempDir("launcher_sigkill");
  const pid_t launcher = startLauncher(3, dir, "echo $$ > \"$FMCIB_TEST_DIR/rank$RANK.pid\"; exec sleep 60");
  const std::vector<long> ranks = readPids(dir, "rank", 3, std::chrono::seconds(30));
  ASSERT_EQ(ranks.size(), 3u);
  ASSERT_EQ(::kill(launcher, SIGKILL), 0);
  waitpid(launcher, nullptr, 0);
  for (long pid : ranks) EXPECT_TRUE(waitGone(pid, std::chrono::seconds(10))) << "rank pid " << pid;
  killLeftovers(ranks);
}

TEST(Launcher, AFailureWhileStartingStopsTheStartedRanks) {
  const fs::path dir = fmcib::test::tempDir("launcher_spawn_fail");
  const pid_t launcher = startLauncher(8, dir, "exec sleep 30", /*spareFds=*/"7");
  int status = 0;
  waitpid(launcher, &status, 0);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 3);
  std::ifstream in(dir / "launcher.txt");
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_NE(text.str().find("cannot start rank "), std::string::npos) << text.str();
  EXPECT_EQ(text.str().find("child "), std::string::npos) << "ranks left running:\n" << text.str();
}

TEST(Launcher, WhatRanksStartedGoesWhenTheLauncherReturns) {
  const fs::path dir = fmcib::test::tempDir("launcher_leftovers");
  const pid_t launcher =
      startLauncher(2, dir, "sleep 60 >/dev/null 2>&1 & echo $! > \"$FMCIB_TEST_DIR/left$RANK.pid\"; exit 0");
  int status = 0;
  waitpid(launcher, &status, 0);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
  const std::vector<long> left = readPids(dir, "left", 2, std::chrono::seconds(1));
  ASSERT_EQ(left.size(), 2u);
  for (long pid : left) EXPECT_TRUE(waitGone(pid, std::chrono::seconds(5))) << "left behind: pid " << pid;
  killLeftovers(left);
}

}  // namespace
