// End to end through the fmcib binary on `make-demo-data` phantoms: pre-training learns, fine-tuning
// beats chance on held-out lesions, predict writes every row, resume is exact, SIGTERM leaves a
// loadable last.ckpt, and every shipped experiment runs with fast_dev_run.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <torch/torch.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <regex>
#include <thread>

#include "demo_run.hpp"
#include "fmcib/data/demo_data.hpp"
#include "fmcib/engine/checkpoint.hpp"
#include "fmcib/io/csv.hpp"
#include "fmcib/io/torch_file.hpp"
#include "support/paths.hpp"
#include "support/process.hpp"

extern char** environ;

namespace fmcib::test {
namespace {

namespace fs = std::filesystem;

TEST(Pipeline, PretrainingLossDecreasesAndItsWeightsFineTune) {
  const fs::path data = demoData(20, 6);
  const fs::path out = tempDir("engine_pretrain");
  auto r = runFmcib("fit --config_file " + exp("demo/pretrain.yaml") + demoArgs(data, out) +
                    " --trainer#max_epochs=12");
  ASSERT_EQ(r.code, 0) << r.err;
  const std::vector<double> loss = column(out / "logs/pretrain/version_0/metrics.csv", "train/loss/epoch");
  ASSERT_EQ(loss.size(), 12u);
  const double first = (loss[0] + loss[1] + loss[2]) / 3, last = (loss[9] + loss[10] + loss[11]) / 3;
  EXPECT_LT(last, first * 0.95) << "loss per epoch: " << ::testing::PrintToString(loss);
  EXPECT_FALSE(column(out / "logs/pretrain/version_0/metrics.csv", "lr-LARS").empty());

  auto e = runFmcib("export-weights --checkpoint " + q(out / "checkpoints/pretrain/last.ckpt") + " --out " +
                    q(out / "pretrain_weights.torch"));
  ASSERT_EQ(e.code, 0) << e.err;
  auto f = runFmcib("fit --config_file " + exp("demo/finetune_task1.yaml") + demoArgs(data, out) +
                    " --trainer#fast_dev_run=true");
  EXPECT_EQ(f.code, 0) << f.err;
  EXPECT_EQ(f.err.find("no trunk"), std::string::npos) << f.err;
}

// Task 3's label (lesion density) is visible in every patch: a small network fine-tuned from
// scratch on 16 mm patches in a soft-tissue window must rank held-out lesions far better than
// chance (on this data it reaches 0.99-1.0 for seeds 0-3).
const char* kDensityTask = R"yaml(
vars:
  data: .
  out: .
trainer:
  _target_: pytorch_lightning.Trainer
  max_epochs: 12
  accelerator: cpu
  logger: false
  enable_progress_bar: false
  callbacks:
    - _target_: pytorch_lightning.callbacks.ModelCheckpoint
      dirpath: "$@vars#out + '/ckpt'"
      save_last: true
system:
  _target_: lighter.LighterSystem
  batch_size: 8
  num_workers: 2
  model:
    _target_: fmcib.models.LoadModel
    trunk: {_target_: monai.networks.nets.resnet10, n_input_channels: 1, widen_factor: 0.25, conv1_t_stride: 2, feed_forward: false}
    weights_path: null
    heads: [128, 1]
  criterion: {_target_: torch.nn.BCEWithLogitsLoss}
  optimizer: {_target_: torch.optim.Adam, params: "$@system#model.parameters()", lr: 0.001}
  metrics:
    test: [{_target_: torchmetrics.AUROC, task: binary}]
  postprocessing:
    criterion: {pred: "$lambda x: x.squeeze(1)", target: "$lambda x: x.float()"}
    metrics: {pred: "$lambda x: torch.sigmoid(x)", target: "$lambda x: x.long()"}
  datasets:
    train:
      _target_: fmcib.datasets.SSLRadiomicsDataset
      path: "$@vars#data + '/task3_train.csv'"
      label: survival
      radius: 4
      resample_spacing: [2, 2, 2]
      enable_negatives: false
      transform:
        _target_: monai.transforms.Compose
        transforms:
          - {_target_: monai.transforms.ScaleIntensityRange, a_min: -200, a_max: 300, b_min: 0, b_max: 1, clip: true}
          - {_target_: monai.transforms.EnsureChannelFirst, channel_dim: no_channel}
          - {_target_: monai.transforms.SpatialPad, spatial_size: [8, 8, 8]}
          - {_target_: monai.transforms.RandAxisFlip, prob: 0.5}
    test:
      _target_: fmcib.datasets.SSLRadiomicsDataset
      path: "$@vars#out + '/heldout.csv'"
      label: survival
      radius: 4
      resample_spacing: [2, 2, 2]
      enable_negatives: false
      transform:
        _target_: monai.transforms.Compose
        transforms:
          - {_target_: monai.transforms.ScaleIntensityRange, a_min: -200, a_max: 300, b_min: 0, b_max: 1, clip: true}
          - {_target_: monai.transforms.EnsureChannelFirst, channel_dim: no_channel}
          - {_target_: monai.transforms.SpatialPad, spatial_size: [8, 8, 8]}
)yaml";

TEST(Pipeline, FineTuningBeatsChanceOnHeldOutLesions) {
  const fs::path data = demoData(32, 6);
  const fs::path out = tempDir("engine_finetune");
  // Held out: the validation and test splits together (lesions the model never sees).
  io::CsvTable val = io::CsvTable::read((data / "task3_val.csv").string());
  io::CsvTable test = io::CsvTable::read((data / "task3_test.csv").string());
  std::vector<std::vector<std::string>> rows;
  for (size_t i = 0; i < val.numRows(); ++i) rows.push_back(val.row(i));
  for (size_t i = 0; i < test.numRows(); ++i) rows.push_back(test.row(i));
  io::writeCsv((out / "heldout.csv").string(), val.header(), rows);
  ASSERT_GE(rows.size(), 12u);
  std::ofstream(out / "density.yaml") << kDensityTask;
  const std::string args = " --config_file " + q(out / "density.yaml") + demoArgs(data, out);
  auto fit = runFmcib("fit" + args);
  ASSERT_EQ(fit.code, 0) << fit.err;
  auto t = runFmcib("test" + args + " --ckpt_path " + q(out / "ckpt/last.ckpt"));
  ASSERT_EQ(t.code, 0) << t.err;
  std::smatch m;
  // The whole test set's AUROC (lighter's /epoch key is the mean over batches of a few lesions).
  ASSERT_TRUE(
      std::regex_search(t.out, m, std::regex(R"(test/metrics/BinaryAUROC/whole_epoch\s+([0-9.eE+-]+))")))
      << t.out;
  EXPECT_GT(std::stod(m[1].str()), 0.8) << t.out;
}

// lighter over Lightning: a fine-tune run's epoch values in metrics.csv are the means of its step
// values (every step is logged here: log_every_n_steps 1; validation logs every batch).
TEST(Pipeline, FineTuneEpochValuesAreTheMeansOfTheirStepValues) {
  const fs::path data = demoData(20, 6);
  const fs::path out = tempDir("engine_lighter_means");
  auto r = runFmcib("fit --config_file " + exp("demo/finetune_task1.yaml") + demoArgs(data, out) +
                    " --trainer#max_epochs=2 --system#model#weights_path=null --system#batch_size=4"
                    " --trainer#num_sanity_val_steps=0");
  ASSERT_EQ(r.code, 0) << r.err;
  io::CsvTable t = io::CsvTable::read((out / "logs/finetune_task1/version_0/metrics.csv").string());
  const size_t epochCol = t.column("epoch");
  for (const std::string mode : {"train", "val"}) {
    for (const std::string key : {"loss", "metrics/MulticlassAveragePrecision", "metrics/MulticlassAUROC"}) {
      SCOPED_TRACE(mode + "/" + key);
      const size_t stepCol = t.column(mode + "/" + key + "/step"),
                   epochValueCol = t.column(mode + "/" + key + "/epoch");
      // Step values in row order; the epoch rows close each epoch (validation's after its steps).
      std::vector<double> pending, means, logged;
      for (size_t row = 0; row < t.numRows(); ++row) {
        if (!t.cell(row, stepCol).empty()) pending.push_back(t.number(row, stepCol));
        if (!t.cell(row, epochValueCol).empty()) {
          ASSERT_FALSE(pending.empty());
          double sum = 0;
          for (double v : pending) sum += v;
          means.push_back(sum / static_cast<double>(pending.size()));
          logged.push_back(t.number(row, epochValueCol));
          EXPECT_FALSE(t.cell(row, epochCol).empty());
          pending.clear();
        }
      }
      ASSERT_EQ(logged.size(), 2u);
      for (size_t e = 0; e < 2; ++e)
        EXPECT_NEAR(logged[e], means[e], 1e-6 * std::max(1.0, std::abs(means[e])));
    }
  }
  EXPECT_FALSE(column(out / "logs/finetune_task1/version_0/metrics.csv", "train/optimizer/Adam/lr").empty());
}

TEST(Pipeline, PredictWritesEveryRowWithItsColumnsAndFeatures) {
  const fs::path data = demoData(20, 6);
  const fs::path out = tempDir("engine_predict");
  auto r = runFmcib("predict --config_file " + exp("demo/extract_features.yaml") + demoArgs(data, out) +
                    " --vars#weights=" + q(fixture("resnet18_w0125.weights.pt")) +
                    " --system#model#trunk#widen_factor=0.125 --system#batch_size=3");
  ASSERT_EQ(r.code, 0) << r.err;
  io::CsvTable in = io::CsvTable::read((data / "task1_test.csv").string());
  io::CsvTable feats = io::CsvTable::read((out / "features.csv").string());
  ASSERT_EQ(feats.numRows(), in.numRows());
  // pandas' to_csv layout: the unnamed index column, the input's columns, 64 features (ResNet-18 at
  // 1/8 width).
  const size_t first = in.header().size() + 1;
  ASSERT_EQ(feats.header().size(), first + 64);
  EXPECT_EQ(feats.header()[0], "");
  for (size_t c = 0; c < in.header().size(); ++c) EXPECT_EQ(feats.header()[c + 1], in.header()[c]);
  EXPECT_EQ(feats.header()[first], "pred_0");
  EXPECT_EQ(feats.header().back(), "pred_63");
  for (size_t r2 = 0; r2 < in.numRows(); ++r2) {
    EXPECT_EQ(feats.cell(r2, 0), std::to_string(r2));
    for (size_t c = 0; c < in.header().size(); ++c) EXPECT_EQ(feats.cell(r2, c + 1), in.cell(r2, c));
    for (size_t c = first; c < feats.header().size(); ++c) EXPECT_TRUE(std::isfinite(feats.number(r2, c)));
  }
  // Different lesions give different feature vectors.
  bool differ = false;
  for (size_t c = first; c < feats.header().size(); ++c) differ |= feats.cell(0, c) != feats.cell(1, c);
  EXPECT_TRUE(differ);
  EXPECT_TRUE(fs::exists(out / "previews" / "0.png"));
}

TEST(Pipeline, ResumeFromLastCkptEqualsAnUninterruptedRun) {
  const fs::path data = demoData(20, 6);
  const fs::path a = tempDir("engine_resume_a"), b = tempDir("engine_resume_b");
  const std::string common = " --config_file " + exp("demo/pretrain.yaml") + " --trainer#max_epochs=3" +
                             " --trainer#deterministic=true --system#num_workers=2";
  ASSERT_EQ(runFmcib("fit" + common + demoArgs(data, a)).code, 0);
  // First half: one epoch, stopped by max_steps (the scheduler's T_max depends on max_epochs only).
  const int64_t steps = pretrainSteps(data);
  auto half = runFmcib("fit" + common + demoArgs(data, b) + " --trainer#max_steps=" + std::to_string(steps));
  ASSERT_EQ(half.code, 0) << half.err;
  auto rest = runFmcib("fit" + common + demoArgs(data, b) + " --ckpt_path " +
                       q(b / "checkpoints/pretrain/last.ckpt"));
  ASSERT_EQ(rest.code, 0) << rest.err;
  auto ca = engine::readCheckpoint((a / "checkpoints/pretrain/last.ckpt").string());
  auto cb = engine::readCheckpoint((b / "checkpoints/pretrain/last.ckpt").string());
  EXPECT_EQ(engine::checkpointInt(ca, "global_step", "a"), 3 * steps);
  EXPECT_EQ(engine::checkpointInt(cb, "global_step", "b"), 3 * steps);
  auto ta = io::flattenStateDict(engine::checkpointField(ca, "state_dict", "a"));
  auto tb = io::flattenStateDict(engine::checkpointField(cb, "state_dict", "b"));
  ASSERT_EQ(ta.size(), tb.size());
  for (size_t i = 0; i < ta.size(); ++i) {
    EXPECT_EQ(ta[i].first, tb[i].first);
    EXPECT_TRUE(torch::equal(ta[i].second, tb[i].second)) << ta[i].first;
  }
  auto oa = io::flattenStateDict(engine::checkpointField(ca, "optimizer_states", "a"));
  auto ob = io::flattenStateDict(engine::checkpointField(cb, "optimizer_states", "b"));
  ASSERT_EQ(oa.size(), ob.size());
  for (size_t i = 0; i < oa.size(); ++i) EXPECT_TRUE(torch::equal(oa[i].second, ob[i].second)) << oa[i].first;
}

TEST(Pipeline, SigtermMidRunLeavesALoadableLastCkpt) {
  const fs::path data = demoData(20, 6);
  const fs::path out = tempDir("engine_sigterm");
  const std::string dataArg = "--vars#data=" + data.string(), outArg = "--vars#out=" + out.string();
  std::vector<std::string> args{FMCIB_BINARY,
                                "fit",
                                "--config_file",
                                exp("demo/pretrain.yaml"),
                                dataArg,
                                outArg,
                                "--trainer#max_epochs=200",
                                "--seed",
                                "0"};
  std::vector<char*> argv;
  for (auto& s : args) argv.push_back(s.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 2, (out / "stderr.txt").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  pid_t pid = 0;
  ASSERT_EQ(posix_spawn(&pid, argv[0], &fa, nullptr, argv.data(), environ), 0);
  posix_spawn_file_actions_destroy(&fa);
  // Wait (bounded) until the first epoch's checkpoint exists: the run is then inside epoch 1.
  const int64_t steps = pretrainSteps(data);
  const fs::path first = out / ("checkpoints/pretrain/epoch=0-step=" + std::to_string(steps) + ".ckpt");
  bool started = false;
  int status = 0;
  for (int i = 0; i < 6000 && !started; ++i) {
    if (waitpid(pid, &status, WNOHANG) == pid) break;  // exited early: reported below
    started = fs::exists(first);
    if (!started) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_TRUE(started) << "the run did not reach its first checkpoint";
  ASSERT_EQ(kill(pid, SIGTERM), 0);
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 143);
  std::ifstream err(out / "stderr.txt");
  std::string log((std::istreambuf_iterator<char>(err)), {});
  EXPECT_NE(log.find("SIGTERM"), std::string::npos) << log;
  auto ckpt = engine::readCheckpoint((out / "checkpoints/pretrain/last.ckpt").string());
  EXPECT_GE(engine::checkpointInt(ckpt, "global_step", "last"), steps);
  // It resumes: one more epoch from there.
  const int64_t step = engine::checkpointInt(ckpt, "global_step", "last");
  auto loop = engine::checkpointField(ckpt, "loops", "last").toGenericDict().at("fmcib").toGenericDict();
  const int64_t epoch = loop.at("epoch").toInt();
  auto resumed = runFmcib("fit --config_file " + exp("demo/pretrain.yaml") + demoArgs(data, out) +
                          " --trainer#max_epochs=" + std::to_string(epoch + 1) + " --ckpt_path " +
                          q(out / "checkpoints/pretrain/last.ckpt"));
  EXPECT_EQ(resumed.code, 0) << resumed.err;
  auto after = engine::readCheckpoint((out / "checkpoints/pretrain/last.ckpt").string());
  EXPECT_EQ(engine::checkpointInt(after, "global_step", "last"), (epoch + 1) * steps);
  EXPECT_GE((epoch + 1) * steps, step);
}

/// A fine-tuned model's `{trunk_state_dict, head_state_dict}` file (get_predictions' documented
/// alternative to a checkpoint): the trunk of `weights` (published or Lightning layout) and random
/// heads of `heads` sizes in LoadModel's layout (`<i>.0.weight`, `<i>.0.bias`).
fs::path withHeads(const fs::path& weights, const std::vector<int64_t>& heads, const fs::path& out) {
  const c10::impl::GenericDict file = io::readTorchFile(weights.string()).toGenericDict();
  io::NamedTensors trunk;
  if (file.contains("trunk_state_dict")) {
    trunk = io::flattenStateDict(file.at("trunk_state_dict"));
  } else {
    const std::string prefix = "model.trunk.";
    for (const auto& [name, t] : io::flattenStateDict(file.at("state_dict")))
      if (name.rfind(prefix, 0) == 0) trunk.emplace_back(name.substr(prefix.size()), t);
  }
  io::NamedTensors head;
  for (size_t i = 0; i + 1 < heads.size(); ++i) {
    head.emplace_back(std::to_string(i) + ".0.weight", torch::randn({heads[i + 1], heads[i]}) * 0.05);
    head.emplace_back(std::to_string(i) + ".0.bias", torch::zeros({heads[i + 1]}));
  }
  auto dict = io::makeStringDict();
  dict.insert("trunk_state_dict", io::toStateDict(trunk));
  dict.insert("head_state_dict", io::toStateDict(head));
  io::writeTorchFile(out.string(), dict);
  return out;
}

TEST(Pipeline, ShippedExperimentsRunWithFastDevRun) {
  const fs::path data = demoData(20, 6);
  const fs::path out = tempDir("engine_fast_dev_run");
  const std::string small =
      " --trainer#accelerator=cpu --trainer#fast_dev_run=true --system#batch_size=2"
      " --system#num_workers=0";
  const std::string r50 = q(fixture("resnet50_w0125_s2.weights.pt"));  // ResNet-50 at 1/8 width: 256 features
  // get_predictions needs trained heads: validate / test / predict refuse heads left random.
  const std::string r50Heads =
      q(withHeads(fixture("resnet50_w0125_s2.weights.pt"), {256, 32, 8}, out / "r50_heads.pt"));
  const std::string r18Heads =
      q(withHeads(fixture("resnet18_w0125.weights.pt"), {64, 32, 8}, out / "r18_heads.pt"));
  struct Case {
    std::string cmd, file, args;
  };
  const std::vector<Case> cases{
      {"fit", "pretraining/fmcib_pretrain.yaml",
       " --trainer#devices=1 --trainer#strategy=auto --system#model#backbone#widen_factor=0.125"
       " --system#model#num_ftrs=256 --system#criterion#gather_distributed=false "
       "--system#drop_last_batch=true"
       " --system#datasets#train#path=" +
           q(data / "pretrain.csv") + " --trainer#callbacks#0#dirpath=" + q(out / "pre") +
           " --trainer#logger#save_dir=" + q(out / "logs")},
      {"fit", "adaptation/fmcib_finetune_task1.yaml", "task1|8"},
      {"fit", "adaptation/fmcib_finetune_task2.yaml", "task2|1"},
      {"fit", "adaptation/fmcib_finetune_task3.yaml", "task3|1"},
      {"predict", "inference/extract_features.yaml",
       " --system#model#trunk#widen_factor=0.125 --system#model#weights_path=" + r50 +
           " --system#datasets#predict#path=" + q(data / "task1_test.csv") +
           " --trainer#callbacks#0#path=" + q(out / "features.csv")},
      {"predict", "inference/get_predictions.yaml",
       " --system#model#trunk#widen_factor=0.125 --system#model#weights_path=" + r50Heads +
           " --system#model#heads=[256,32,8] --system#datasets#predict#path=" + q(data / "task1_test.csv") +
           " --trainer#callbacks#0#path=" + q(out / "predictions.csv")},
      {"fit", "demo/pretrain.yaml", demoArgs(data, out / "demo")},
      {"fit", "demo/finetune_task1.yaml",
       demoArgs(data, out / "demo") + " --vars#weights=" + q(fixture("resnet18_w0125.weights.pt")) +
           " --system#model#trunk#widen_factor=0.125 --system#model#heads=[64,32,8]"},
      {"predict", "demo/extract_features.yaml",
       demoArgs(data, out / "demo") + " --vars#weights=" + q(fixture("resnet18_w0125.weights.pt")) +
           " --system#model#trunk#widen_factor=0.125"},
      {"predict", "demo/get_predictions.yaml",
       demoArgs(data, out / "demo") + " --vars#weights=" + r18Heads +
           " --system#model#trunk#widen_factor=0.125 --system#model#heads=[64,32,8]"},
  };
  for (Case c : cases) {
    if (c.args.find('|') != std::string::npos) {  // a fine-tuning task: "<task>|<outputs>"
      const std::string task = c.args.substr(0, 5), outputs = c.args.substr(6);
      c.args = " --system#model#trunk#widen_factor=0.125 --system#model#weights_path=" + r50 +
               " --system#model#heads=[256,32," + outputs + "]";
      for (const char* split : {"train", "val", "test"})
        c.args +=
            std::string(" --system#datasets#") + split + "#path=" + q(data / (task + "_" + split + ".csv"));
      c.args +=
          " --trainer#callbacks#0#dirpath=" + q(out / task) + " --trainer#logger#save_dir=" + q(out / "logs");
    }
    if (c.args.find("--seed") == std::string::npos) c.args += " --seed 0";
    auto r = runFmcib(c.cmd + " --config_file " + exp(c.file) + c.args + small);
    EXPECT_EQ(r.code, 0) << c.file << "\n" << r.err;
  }
  // The same predictions from a weights file without heads would come from random heads: exit 2.
  auto random = runFmcib(
      "predict --config_file " + exp("inference/get_predictions.yaml") +
      " --system#model#trunk#widen_factor=0.125 --system#model#weights_path=" + r50 +
      " --system#model#heads=[256,32,8] --system#datasets#predict#path=" + q(data / "task1_test.csv") +
      " --trainer#callbacks#0#path=" + q(out / "random_predictions.csv") + " --seed 0" + small);
  EXPECT_EQ(random.code, 2) << random.err;
  EXPECT_NE(random.err.find("heads.0.0.weight"), std::string::npos) << random.err;
  EXPECT_FALSE(fs::exists(out / "random_predictions.csv"));
  EXPECT_EQ(io::CsvTable::read((out / "features.csv").string()).header().size(), 1u + 5u + 256u);
  EXPECT_EQ(io::CsvTable::read((out / "predictions.csv").string()).header().back(), "pred_7");
  EXPECT_FALSE(fs::exists(out / "pre" / "last.ckpt"));  // fast_dev_run writes no checkpoint
}

}  // namespace
}  // namespace fmcib::test
