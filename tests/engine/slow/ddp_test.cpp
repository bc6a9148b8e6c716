// Data-parallel training through the binary: `devices: 2` on the CPU launches two Gloo ranks.
// 2 ranks x batch B must reproduce 1 rank x batch 2B (same items per step, SyncBatchNorm, the
// all-gather loss with the full all-reduced gradient, averaged gradients), checkpoints come from
// rank 0 only and resume at another world size, and predict gathers every row in input order.
// With the default gather backward (lightly 1.4.19, the paper's) each rank's embeddings get only
// their own loss's gradient, so 2 x B is then not 1 x 2B: the second pre-training run shows it.
//
// The runs compute in float64 (precision: 64): the demo networks are tiny (BatchNorm over a handful
// of values at the last stage) and trained at a large learning rate, so float32 rounding that
// differs between the two summation orders grows to 1e-2 within a few steps; in float64 any
// difference left is a real one.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "demo_run.hpp"
#include "fmcib/dist/launcher.hpp"
#include "fmcib/engine/checkpoint.hpp"
#include "fmcib/io/torch_file.hpp"

namespace fmcib::test {
namespace {

using StateList = std::vector<std::pair<std::string, at::Tensor>>;

StateList modelState(const fs::path& ckpt) {
  auto c = engine::readCheckpoint(ckpt.string());
  return io::flattenStateDict(engine::checkpointField(c, "state_dict", ckpt.string()));
}

// Parameters and buffers equal within 1e-5 relative (of each tensor's scale).
void expectSameModel(const fs::path& a, const fs::path& b) {
  StateList ta = modelState(a), tb = modelState(b);
  ASSERT_EQ(ta.size(), tb.size());
  for (size_t i = 0; i < ta.size(); ++i) {
    ASSERT_EQ(ta[i].first, tb[i].first);
    const at::Tensor x = ta[i].second.to(torch::kDouble), y = tb[i].second.to(torch::kDouble);
    const double scale = std::max(y.abs().max().item<double>(), 1e-3);
    EXPECT_LE((x - y).abs().max().item<double>() / scale, 1e-5) << ta[i].first;
  }
}

void expectSameValues(const std::vector<double>& a, const std::vector<double>& b, const std::string& what) {
  ASSERT_EQ(a.size(), b.size()) << what;
  ASSERT_FALSE(a.empty()) << what;
  for (size_t i = 0; i < a.size(); ++i) EXPECT_NEAR(a[i], b[i], 1e-5 * std::max(1.0, std::abs(b[i]))) << what;
}

std::string world(int devices, int batch) {
  return " --trainer#devices=" + std::to_string(devices) + " --system#batch_size=" + std::to_string(batch) +
         " --trainer#sync_batchnorm=True --system#num_workers=1 --trainer#precision=64";
}

TEST(Ddp, PretrainingTwoRanksEqualOneRankWithTwiceTheBatch) {
  const fs::path data = demoData(20, 6);
  const fs::path one = tempDir("ddp_pre_1"), two = tempDir("ddp_pre_2");
  const std::string common =
      "fit --config_file " + exp("demo/pretrain.yaml") +
      " --trainer#max_epochs=2 --trainer#limit_train_batches=3 --system#criterion#gather_distributed=True";
  const std::string fullGradient = " --system#criterion#gather_backward=all_reduce";
  auto r1 = runFmcib(common + fullGradient + demoArgs(data, one) + world(1, 8));
  ASSERT_EQ(r1.code, 0) << r1.err;
  auto r2 = runFmcib(common + fullGradient + demoArgs(data, two) + world(2, 4));
  ASSERT_EQ(r2.code, 0) << r2.out << r2.err;
  EXPECT_NE((r2.out + r2.err).find("[rank 1]"), std::string::npos)
      << "rank output is forwarded with a prefix";
  const std::string metrics = "logs/pretrain/version_0/metrics.csv";
  // train/loss/step is rank 0's own loss (Lightning); the epoch value is the mean over ranks.
  expectSameValues(column(two / metrics, "train/loss/epoch"), column(one / metrics, "train/loss/epoch"),
                   "train/loss/epoch");
  expectSameModel(two / "checkpoints/pretrain/last.ckpt", one / "checkpoints/pretrain/last.ckpt");

  // The default backward (lightly 1.4.19) trains differently from the full gradient.
  const fs::path own = tempDir("ddp_pre_own");
  auto r3 = runFmcib(common + demoArgs(data, own) + world(2, 4));
  ASSERT_EQ(r3.code, 0) << r3.out << r3.err;
  const std::vector<double> ownLoss = column(own / metrics, "train/loss/epoch"),
                            fullLoss = column(two / metrics, "train/loss/epoch");
  ASSERT_EQ(ownLoss.size(), fullLoss.size());
  ASSERT_EQ(ownLoss.size(), 2u);
  // Step 0 starts from the same weights; the later steps follow other gradients.
  EXPECT_GT(std::max(std::abs(ownLoss[0] - fullLoss[0]), std::abs(ownLoss[1] - fullLoss[1])), 1e-9);
  // Rank 0 alone logs: one version folder.
  EXPECT_FALSE(fs::exists(two / "logs/pretrain/version_1"));

  // The 2-rank checkpoint resumes in one process (world size 1) for a third epoch.
  auto resumed = runFmcib(common + demoArgs(data, two) + world(1, 8) +
                          " --trainer#max_epochs=3 --ckpt_path " + q(two / "checkpoints/pretrain/last.ckpt"));
  ASSERT_EQ(resumed.code, 0) << resumed.err;
  auto c = engine::readCheckpoint((two / "checkpoints/pretrain/last.ckpt").string());
  EXPECT_EQ(engine::checkpointInt(c, "global_step", "resumed"), 9);
}

// torchrun on two nodes of one rank each: both ranks start from the environment, and the shipped
// config's `world_size: auto` counts the ranks of both nodes (trainer#devices counts one node's).
TEST(Ddp, TwoNodesStartedAsTorchrunDoesEqualOneRankWithTwiceTheBatch) {
  const fs::path data = demoData(20, 6);
  const fs::path one = tempDir("ddp_nodes_1"), node0 = tempDir("ddp_node0"), node1 = tempDir("ddp_node1");
  const std::string common = "fit --config_file " + exp("demo/pretrain.yaml") +
                             " --trainer#max_epochs=2 --trainer#limit_train_batches=3"
                             " --system#criterion#gather_distributed=True"
                             " --system#criterion#gather_backward=all_reduce"
                             // The config's lr and T_max count trainer#devices (one node's ranks).
                             " --system#optimizer#lr=0.9 --system#scheduler#T_max=6";
  auto r1 = runFmcib(common + demoArgs(data, one) + world(1, 8));
  ASSERT_EQ(r1.code, 0) << r1.err;
  const std::string env = "env MASTER_ADDR=127.0.0.1 MASTER_PORT=" + std::to_string(dist::freePort()) +
                          " WORLD_SIZE=2 LOCAL_RANK=0 LOCAL_WORLD_SIZE=1 GROUP_RANK=";
  const std::string node =
      std::string(" ") + FMCIB_BINARY + " " + common + " --trainer#num_nodes=2" + world(1, 4);
  auto r2 =
      runShell(env + "1 RANK=1" + node + demoArgs(data, node1) + " > " + q(node1 / "out.log") +
               " 2>&1 & pid=$!; " + env + "0 RANK=0" + node + demoArgs(data, node0) +
               "; c0=$?; wait $pid; c1=$?; cat " + q(node1 / "out.log") + " >&2; exit $((c0 * 16 + c1))");
  ASSERT_EQ(r2.code, 0) << "exit 16 x node 0 + node 1: " << r2.out << r2.err;
  const std::string metrics = "logs/pretrain/version_0/metrics.csv";
  expectSameValues(column(node0 / metrics, "train/loss/epoch"), column(one / metrics, "train/loss/epoch"),
                   "train/loss/epoch");
  expectSameModel(node0 / "checkpoints/pretrain/last.ckpt", one / "checkpoints/pretrain/last.ckpt");
  EXPECT_FALSE(fs::exists(node1 / "checkpoints")) << "only global rank 0 writes checkpoints";
}

TEST(Ddp, FineTuningTwoRanksEqualOneRankAndPredictGathersRowsInOrder) {
  const fs::path data = demoData(20, 6);
  const fs::path one = tempDir("ddp_ft_1"), two = tempDir("ddp_ft_2");
  const std::string common =
      "fit --config_file " + exp("demo/finetune_task1.yaml") +
      " --trainer#max_epochs=2 --trainer#limit_train_batches=3 --system#model#weights_path=null"
      " --system#drop_last_batch=True";
  auto r1 = runFmcib(common + demoArgs(data, one) + world(1, 4));
  ASSERT_EQ(r1.code, 0) << r1.err;
  auto r2 = runFmcib(common + demoArgs(data, two) + world(2, 2));
  ASSERT_EQ(r2.code, 0) << r2.out << r2.err;
  const std::string metrics = "logs/finetune_task1/version_0/metrics.csv";
  expectSameValues(column(two / metrics, "train/loss/epoch"), column(one / metrics, "train/loss/epoch"),
                   "train/loss/epoch");
  expectSameModel(two / "checkpoints/finetune_task1/last.ckpt", one / "checkpoints/finetune_task1/last.ckpt");

  // Features of every test row, in input order, from 2 ranks = from 1.
  for (const auto& [dir, devices] : {std::pair{one, 1}, std::pair{two, 2}}) {
    auto p = runFmcib("predict --config_file " + exp("demo/extract_features.yaml") + demoArgs(data, dir) +
                      " --trainer#devices=" + std::to_string(devices) +
                      " --system#batch_size=3 --system#model#weights_path=null");
    ASSERT_EQ(p.code, 0) << p.out << p.err;
  }
  io::CsvTable a = io::CsvTable::read((one / "features.csv").string());
  io::CsvTable b = io::CsvTable::read((two / "features.csv").string());
  io::CsvTable input = io::CsvTable::read((data / "task1_test.csv").string());
  ASSERT_EQ(b.numRows(), input.numRows());
  ASSERT_EQ(a.numRows(), b.numRows());
  const size_t f0 = b.column("pred_0");
  for (size_t r = 0; r < b.numRows(); ++r) {
    EXPECT_EQ(b.cell(r, 0), std::to_string(r)) << "row " << r;  // pandas' index column
    EXPECT_EQ(b.cell(r, 1), input.cell(r, 0)) << "row " << r;
    EXPECT_NEAR(std::stod(b.cell(r, f0)), std::stod(a.cell(r, f0)), 1e-4) << "row " << r;
  }
}

TEST(Ddp, GpuRequestOnAMachineWithoutGpusFailsBeforeLaunching) {
  auto r = runFmcib("fit --config_file " + exp("pretraining/fmcib_pretrain.yaml") + " --trainer#devices=2");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("no CUDA GPU"), std::string::npos) << r.err;
  EXPECT_EQ(r.out.find("[rank"), std::string::npos);
}

}  // namespace
}  // namespace fmcib::test
