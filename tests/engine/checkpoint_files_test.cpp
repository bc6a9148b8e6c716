// What a run may touch on disk: only files it wrote, in its own folders. Restored checkpoint
// bookkeeping (best_model_path, best_k_models) never makes a run delete a file, a resume into
// another folder leaves the source run's files alone, planted links are never written through, and
// temporaries of killed writers are cleaned up at the next start.
#include <gtest/gtest.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "engine/checkpoint_support.hpp"
#include "fmcib/engine/callbacks.hpp"
#include "fmcib/engine/checkpoint.hpp"
#include "fmcib/io/atomic_file.hpp"
#include "fmcib/io/csv.hpp"
#include "fmcib/io/torch_file.hpp"
#include "support/paths.hpp"

namespace fmcib::test {
namespace {

namespace fs = std::filesystem;
using engine::Trainer;

std::string readText(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

fs::path victim(const std::string& tag) {
  const fs::path p = tempDir(tag) / "precious.txt";
  std::ofstream(p) << "do not touch\n";
  return p;
}

/// Lightning's default: the latest checkpoint only (save_top_k 1, no monitor), plus last.ckpt.
std::shared_ptr<engine::ModelCheckpoint> latestOnly(const fs::path& dir) {
  engine::ModelCheckpointOptions o;
  o.dirpath = dir.string();
  o.saveLast = true;
  return std::make_shared<engine::ModelCheckpoint>(o);
}

std::shared_ptr<engine::ModelCheckpoint> bestByValLoss(const fs::path& dir) {
  engine::ModelCheckpointOptions o;
  o.dirpath = dir.string();
  o.monitor = "val/loss/epoch";
  o.saveTopK = 1;
  o.filename = "best-{epoch}";
  return std::make_shared<engine::ModelCheckpoint>(o);
}

void editCheckpoint(const fs::path& from, const fs::path& to, const std::function<void(c10::IValue&)>& edit) {
  c10::IValue v = io::readTorchFile(from.string());
  edit(v);
  io::writeTorchFile(to.string(), v);
}

TEST(CheckpointFiles, RestoredBestModelPathNeverDeletesAFile) {
  for (const bool sameFolder : {true, false}) {
    SCOPED_TRACE(sameFolder ? "resumed into the same folder" : "resumed into another folder");
    const fs::path dir = tempDir("engine_files_best");
    const fs::path precious = victim("engine_files_victim");
    auto first = statefulSystem();
    Trainer a(quietOptions(2), {latestOnly(dir)}, {});
    ASSERT_EQ(a.fit(*first, ctx()), 0);
    const std::string key = latestOnly(dir)->stateKey();
    editCheckpoint(dir / "last.ckpt", dir / "tampered.ckpt", [&](c10::IValue& v) {
      setField(v, {"callbacks", key, "best_model_path"}, precious.string());
    });
    const fs::path out = sameFolder ? dir : tempDir("engine_files_best_other");
    auto second = statefulSystem();
    Trainer b(quietOptions(4), {latestOnly(out)}, {});
    ASSERT_EQ(b.fit(*second, ctx((dir / "tampered.ckpt").string())), 0);
    EXPECT_TRUE(fs::exists(precious));
    EXPECT_EQ(readText(precious), "do not touch\n");
    EXPECT_TRUE(fs::exists(out / "epoch=3-step=24.ckpt"));
  }
}

TEST(CheckpointFiles, RestoredBestKNeverDeletesAFile) {
  const fs::path dir = tempDir("engine_files_topk");
  const fs::path precious = victim("engine_files_topk_victim");
  auto first = statefulSystem();
  Trainer a(quietOptions(1), {bestByValLoss(dir), latestOnly(dir)}, {});
  ASSERT_EQ(a.fit(*first, ctx()), 0);
  const std::string key = bestByValLoss(dir)->stateKey();
  // A worse score than any real one: the first new checkpoint pushes it out of the top 1.
  editCheckpoint(dir / "last.ckpt", dir / "tampered.ckpt", [&](c10::IValue& v) {
    c10::impl::GenericDict k(c10::StringType::get(), c10::AnyType::get());
    k.insert(precious.string(), 1e9);
    setField(v, {"callbacks", key, "best_k_models"}, k);
    setField(v, {"callbacks", key, "best_model_path"}, precious.string());
    setField(v, {"callbacks", key, "dirpath"}, dir.string());
  });
  auto second = statefulSystem();
  Trainer b(quietOptions(3), {bestByValLoss(dir), latestOnly(dir)}, {});
  ASSERT_EQ(b.fit(*second, ctx((dir / "tampered.ckpt").string())), 0);
  EXPECT_EQ(readText(precious), "do not touch\n");
}

TEST(CheckpointFiles, ResumeIntoAnotherFolderKeepsTheSourceRunsFiles) {
  const fs::path src = tempDir("engine_files_src"), dst = tempDir("engine_files_dst");
  auto first = statefulSystem();
  Trainer a(quietOptions(2), {latestOnly(src)}, {});
  ASSERT_EQ(a.fit(*first, ctx()), 0);
  ASSERT_TRUE(fs::exists(src / "epoch=1-step=12.ckpt"));
  const std::string last = readText(src / "last.ckpt");

  auto second = statefulSystem();
  Trainer b(quietOptions(3), {latestOnly(dst)}, {});
  ASSERT_EQ(b.fit(*second, ctx((src / "last.ckpt").string())), 0);
  EXPECT_TRUE(fs::exists(src / "epoch=1-step=12.ckpt"));
  EXPECT_EQ(readText(src / "last.ckpt"), last);
  EXPECT_TRUE(fs::exists(dst / "epoch=2-step=18.ckpt"));
  EXPECT_TRUE(fs::exists(dst / "last.ckpt"));
}

TEST(CheckpointFiles, ResumeInTheSameFolderContinuesLastCkptAndKeepsOlderFiles) {
  const fs::path dir = tempDir("engine_files_same");
  auto first = statefulSystem();
  Trainer a(quietOptions(2), {latestOnly(dir)}, {});
  ASSERT_EQ(a.fit(*first, ctx()), 0);
  auto second = statefulSystem();
  Trainer b(quietOptions(4), {latestOnly(dir)}, {});
  ASSERT_EQ(b.fit(*second, ctx((dir / "last.ckpt").string())), 0);
  auto d = engine::readCheckpoint((dir / "last.ckpt").string());
  EXPECT_EQ(engine::checkpointInt(d, "global_step", "x"), 24);
  EXPECT_FALSE(fs::exists(dir / "last-v1.ckpt"));
  // The resumed run's own files rotate; the file of the run it resumed stays.
  EXPECT_TRUE(fs::exists(dir / "epoch=1-step=12.ckpt"));
  EXPECT_FALSE(fs::exists(dir / "epoch=2-step=18.ckpt"));
  EXPECT_TRUE(fs::exists(dir / "epoch=3-step=24.ckpt"));
}

TEST(CheckpointFiles, SavePredictionsNeverWritesThroughALink) {
  const fs::path dir = tempDir("engine_files_links");
  const fs::path precious = victim("engine_files_links_victim");
  // The old fixed temporary name, and the target itself, planted as links to the victim.
  fs::create_symlink(precious, dir / "predictions.csv.tmp");
  fs::create_symlink(precious, dir / "predictions.csv");
  auto sys = makeSystem(std::make_shared<BlobDataset>(10, 3), 3, 4);
  sys->datasets["predict"] = sys->datasets["train"];
  auto save = std::make_shared<engine::SavePredictions>((dir / "predictions.csv").string(), 0);
  Trainer t(quietOptions(1), {save}, {});
  ASSERT_EQ(t.predict(*sys, ctx()), 0);
  EXPECT_EQ(readText(precious), "do not touch\n");
  EXPECT_FALSE(fs::is_symlink(dir / "predictions.csv"));
  EXPECT_EQ(io::CsvTable::read((dir / "predictions.csv").string()).numRows(), 10u);
}

/// The temporary a writer killed mid-write leaves: a real temporary's name with a pid that no
/// longer runs.
fs::path killedWritersTemporary(const fs::path& target) {
  const pid_t child = fork();
  if (child == 0) _exit(0);
  waitpid(child, nullptr, 0);
  io::AtomicFile f(target.string());
  f.write(std::string(1000, 'x'));
  const std::string name = fs::path(f.tempPath()).filename().string();
  const std::string ours = std::to_string(::getpid());
  EXPECT_EQ(name.rfind(".fmcib-tmp-" + ours + "-", 0), 0u) << name;
  const fs::path stale =
      target.parent_path() / (".fmcib-tmp-" + std::to_string(child) + name.substr(11 + ours.size()));
  fs::rename(f.tempPath(), stale);
  return stale;
}

TEST(CheckpointFiles, StaleTemporariesOfKilledWritersGoAtTheNextStart) {
  const fs::path dir = tempDir("engine_files_stale");
  const fs::path stale = killedWritersTemporary(dir / "last.ckpt");
  // Still being written by this process: kept.
  io::AtomicFile live((dir / "epoch=7-step=1.ckpt").string());
  live.write(std::string("partial"));
  std::ofstream(dir / ".last.ckpt.tmp-Ab12Cd") << "not this writer's pattern";
  ASSERT_TRUE(fs::exists(stale));
  auto sys = statefulSystem();
  Trainer t(quietOptions(1), {latestOnly(dir)}, {});
  ASSERT_EQ(t.fit(*sys, ctx()), 0);
  EXPECT_FALSE(fs::exists(stale));
  EXPECT_TRUE(fs::exists(live.tempPath()));
  EXPECT_TRUE(fs::exists(dir / ".last.ckpt.tmp-Ab12Cd"));
  EXPECT_TRUE(fs::exists(dir / "last.ckpt"));
}

}  // namespace
}  // namespace fmcib::test
