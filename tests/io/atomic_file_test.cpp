// AtomicFile: exclusive temporaries, links replaced and never written through, failures leave the
// old file and no temporary, and the rules of stale-temporary cleanup.
#include <gtest/gtest.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fcntl.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "fmcib/config/error.hpp"
#include "fmcib/io/atomic_file.hpp"
#include "fmcib/io/torch_file.hpp"
#include "support/paths.hpp"

namespace fmcib::io {
namespace {

namespace fs = std::filesystem;

std::string readText(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<std::string> names(const fs::path& dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(dir)) out.push_back(e.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

fs::path victim(const fs::path& dir) {
  fs::create_directories(dir);
  const fs::path p = dir / "precious.txt";
  std::ofstream(p) << "do not touch\n";
  return p;
}

TEST(AtomicFile, ReplacesTheFileAndKeepsItsMode) {
  const fs::path dir = test::tempDir("atomic_replace");
  const fs::path target = dir / "a.csv";
  std::ofstream(target) << "old";
  ::chmod(target.c_str(), 0640);
  writeFileAtomically(target.string(), "new");
  EXPECT_EQ(readText(target), "new");
  struct stat st {};
  ASSERT_EQ(::stat(target.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0640u);
  EXPECT_EQ(names(dir), std::vector<std::string>{"a.csv"});  // no temporary left
}

TEST(AtomicFile, ALinkAtTheTargetIsReplacedNotFollowed) {
  const fs::path dir = test::tempDir("atomic_link");
  const fs::path precious = victim(test::tempDir("atomic_link_victim"));
  fs::create_symlink(precious, dir / "out.ckpt");
  writeTorchFile((dir / "out.ckpt").string(), c10::IValue(int64_t{3}));
  EXPECT_EQ(readText(precious), "do not touch\n");
  EXPECT_FALSE(fs::is_symlink(dir / "out.ckpt"));
  EXPECT_EQ(readTorchFile((dir / "out.ckpt").string()).toInt(), 3);
}

TEST(AtomicFile, TemporariesAreNewFilesWithRandomNames) {
  const fs::path dir = test::tempDir("atomic_names");
  AtomicFile a((dir / "x.png").string()), b((dir / "x.png").string());
  EXPECT_NE(a.tempPath(), b.tempPath());
  EXPECT_EQ(fs::path(a.tempPath()).parent_path(), dir);
  EXPECT_TRUE(isTemporaryName(fs::path(a.tempPath()).filename().string()));
  // Its end is the target's name: writers that pick the format by extension see ".png".
  EXPECT_EQ(fs::path(a.tempPath()).extension(), ".png");
  EXPECT_FALSE(isTemporaryName("x.png"));
  EXPECT_FALSE(isTemporaryName(".x.png.tmp-AbC123"));
}

TEST(AtomicFile, AFailedWriteLeavesTheOldFileAndNoTemporary) {
  const fs::path dir = test::tempDir("atomic_fail");
  const fs::path target = dir / "img.nrrd";
  std::ofstream(target) << "old";
  EXPECT_THROW(
      writeViaTemporary(target.string(), [](const std::string&) { throw RuntimeError("disk full"); }),
      RuntimeError);
  EXPECT_EQ(readText(target), "old");
  EXPECT_EQ(names(dir), std::vector<std::string>{"img.nrrd"});
  // A writer that swaps its file for a link is caught before the rename.
  const fs::path precious = victim(dir / "v");
  EXPECT_THROW(writeViaTemporary(target.string(),
                                 [&](const std::string& tmp) {
                                   fs::remove(tmp);
                                   fs::create_symlink(precious, tmp);
                                 }),
               RuntimeError);
  EXPECT_EQ(readText(target), "old");
}

TEST(AtomicFile, AppendRefusesALink) {
  const fs::path dir = test::tempDir("atomic_append");
  const fs::path precious = victim(test::tempDir("atomic_append_victim"));
  appendToFile((dir / "metrics.csv").string(), "a\n");
  appendToFile((dir / "metrics.csv").string(), "b\n");
  EXPECT_EQ(readText(dir / "metrics.csv"), "a\nb\n");
  fs::create_symlink(precious, dir / "linked.csv");
  EXPECT_THROW(appendToFile((dir / "linked.csv").string(), "x\n"), RuntimeError);
  EXPECT_THROW(createNewFile((dir / "linked.csv").string()), RuntimeError);
  EXPECT_THROW(createNewFile((dir / "metrics.csv").string()), RuntimeError);
  EXPECT_EQ(readText(precious), "do not touch\n");
}

/// A real temporary's name with its pid (and optionally its host part) replaced.
fs::path plantTemporary(const fs::path& target, long pid, const std::string& host = "") {
  AtomicFile f(target.string());
  f.write(std::string("partial"));
  const std::string name = fs::path(f.tempPath()).filename().string();
  const std::string ours = std::to_string(::getpid());
  std::string rest = name.substr(std::string(".fmcib-tmp-").size() + ours.size());  // -<random>-<host>-<name>
  if (!host.empty()) rest.replace(1 + 12 + 1, 8, host);
  const fs::path planted = target.parent_path() / (".fmcib-tmp-" + std::to_string(pid) + rest);
  fs::rename(f.tempPath(), planted);
  return planted;
}

long deadPid() {
  const pid_t child = fork();
  if (child == 0) _exit(0);
  waitpid(child, nullptr, 0);
  return child;
}

TEST(AtomicFile, StaleMeansThisHostsDeadPidAndNoLock) {
  const fs::path dir = test::tempDir("atomic_stale");
  const long dead = deadPid();
  const fs::path stale = plantTemporary(dir / "last.ckpt", dead);
  const fs::path running = plantTemporary(dir / "a.ckpt", ::getppid());  // a live process
  const fs::path locked = plantTemporary(dir / "b.ckpt", dead);
  const std::string ourHost =
      fs::path(stale).filename().string().substr(11 + std::to_string(dead).size() + 14, 8);
  const fs::path foreign =
      plantTemporary(dir / "c.ckpt", dead, ourHost == "00000000" ? "11111111" : "00000000");
  std::ofstream(dir / ".last.ckpt.tmp-AbC123") << "another writer's pattern";
  std::ofstream(dir / "notes.txt") << "user file";
  const int fd = ::open(locked.c_str(), O_RDONLY);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::flock(fd, LOCK_EX), 0);  // a writer still at work, whatever its pid says

  EXPECT_EQ(removeStaleTemporaries(dir.string()), 1);
  EXPECT_FALSE(fs::exists(stale));
  EXPECT_TRUE(fs::exists(running));
  EXPECT_TRUE(fs::exists(locked));
  EXPECT_TRUE(fs::exists(foreign));
  EXPECT_TRUE(fs::exists(dir / ".last.ckpt.tmp-AbC123"));
  EXPECT_TRUE(fs::exists(dir / "notes.txt"));
  ::close(fd);
  EXPECT_EQ(removeStaleTemporaries(dir.string()), 1);  // the lock is gone: now it is stale
  EXPECT_FALSE(fs::exists(locked));
  EXPECT_EQ(removeStaleTemporaries((dir / "missing").string()), 0);
}

}  // namespace
}  // namespace fmcib::io
