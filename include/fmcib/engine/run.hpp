#pragma once
/// The engine's entry point for the command line: seeds, builds the trainer and the system of a
/// validated config, and runs one command.
#include <cstdint>
#include <functional>
#include <string>

#include "fmcib/config/config.hpp"

namespace fmcib::engine {

struct RunOptions {
  /// --ckpt_path (wins over args#<command>#ckpt_path); empty = none.
  std::string ckptPath;
  /// --seed; negative = not given.
  int64_t seed = -1;
  /// Called after `fit` returns, in the process that trained as rank 0 (not in a launcher, not in
  /// the other ranks), e.g. to draw the training curves.
  std::function<void()> afterFitOnRankZero;
};

/// The global seed, as lighter's seed_everything(): PL_GLOBAL_SEED when set (ConfigError when it is
/// not a non-negative integer), else `cliSeed` (≥ 0), else `vars#seed`, else a random 32-bit seed
/// (logged; it is stored in checkpoints).
uint64_t resolveSeed(const config::Config& cfg, int64_t cliSeed);

/// Seeds torch (CPU and CUDA) and sets PL_GLOBAL_SEED for child processes.
void seedEverything(uint64_t seed);

/// Runs "fit", "validate", "test" or "predict". Returns the exit status: 0, or 130 / 143 after
/// SIGINT / SIGTERM. Throws ConfigError / InputError / RuntimeError.
int runEngine(const std::string& command, const config::Config& cfg, const RunOptions& options);

}  // namespace fmcib::engine
