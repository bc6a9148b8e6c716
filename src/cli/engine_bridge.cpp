// Hands a validated config to the training engine and maps its exit status (130/143 after
// SIGINT/SIGTERM) to the process exit code.
#include "config_options.hpp"
#include "fmcib/engine/run.hpp"

namespace fmcib::cli {

void runEngine(const std::string& command, const config::Config& cfg, const ConfigOptions& opts) {
  engine::RunOptions run;
  run.ckptPath = opts.ckptPath;
  run.seed = opts.seed;
  const int status = engine::runEngine(command, cfg, run);
  if (status != 0) throw Exit{status};
}

}  // namespace fmcib::cli
