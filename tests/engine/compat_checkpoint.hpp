#pragma once
// The run behind tests/fixtures/checkpoints/: written once by the Debian 12 build (LibTorch 1.13)
// and once by the Debian 13 build (LibTorch 2.6) with tests/engine/tools/write_compat_checkpoint.cpp.
// Changing anything here invalidates those files: write them again on both platforms.
#include <torch/version.h>

#include <filesystem>
#include <memory>
#include <string>

#include "engine/engine_support.hpp"
#include "fmcib/engine/callbacks.hpp"
#include "fmcib/engine/run.hpp"

namespace fmcib::test::compat {

/// Epochs of the whole run, and the epoch after which the fixture checkpoint is written.
constexpr int64_t kEpochs = 4;
constexpr int64_t kCheckpointEpochs = 2;

/// Shuffled noisy data, Adam (per-parameter state) and StepLR: every stateful part of a resume.
inline std::shared_ptr<engine::System> system() {
  torch::manual_seed(3);
  auto sys = makeSystem(std::make_shared<BlobDataset>(22, 3, 0.3), 3, 4);
  optim::AdamOptions ao;
  ao.lr = 0.05;
  sys->optimizer = optim::makeAdam({optim::ParamGroup{sys->model->parameters(), {}}}, ao);
  engine::SchedulerConfig sc;
  sc.scheduler = std::make_shared<optim::StepLR>(sys->optimizer, 1, 0.7);
  sys->scheduler = sc;
  return sys;
}

inline std::shared_ptr<engine::ModelCheckpoint> lastCheckpointIn(const std::filesystem::path& dir) {
  engine::ModelCheckpointOptions o;
  o.dirpath = dir.string();
  o.saveLast = true;
  o.saveTopK = -1;
  o.everyNEpochs = 1;
  return std::make_shared<engine::ModelCheckpoint>(o);
}

inline engine::RunContext context(const std::string& ckpt = "") {
  engine::RunContext c;
  c.seed = 42;
  c.ckptPath = ckpt;
  c.configYaml = "trainer: {}\n";
  return c;
}

/// "libtorch-1.13", "libtorch-2.6": the fixture name of the LibTorch this is built with.
inline std::string buildName() {
  return "libtorch-" + std::to_string(TORCH_VERSION_MAJOR) + "." + std::to_string(TORCH_VERSION_MINOR);
}

}  // namespace fmcib::test::compat
