// fit / validate / test / predict: load the config (files, merges, `--a#b=value` overrides),
// validate it as a whole, then hand it to the engine.
#include <spdlog/spdlog.h>

#include <iostream>
#include <memory>

#include "command.hpp"
#include "config_options.hpp"
#include "fmcib/config/config.hpp"
#include "targets.hpp"

namespace fmcib::cli {

namespace {

void runCommand(const std::string& name, const ConfigOptions& opts, GlobalOptions& global) {
  std::optional<config::Config> loaded = loadConfigOrPrint(opts, global, /*validate=*/true);
  if (!loaded) return;
  config::Config& cfg = *loaded;
  runEngine(name, cfg, opts);
}

}  // namespace

void installRunCommands(CLI::App& app, GlobalOptions& global) {
  struct Entry {
    const char* name;
    const char* help;
  };
  static const Entry entries[] = {{"fit", "train (and validate) a system"},
                                  {"validate", "run the validation loop"},
                                  {"test", "run the test loop"},
                                  {"predict", "run prediction (feature extraction)"}};
  for (const auto& e : entries) {
    CLI::App* sub = app.add_subcommand(e.name, e.help);
    auto opts = std::make_shared<ConfigOptions>();
    addConfigOptions(*sub, *opts, global);
    sub->callback([name = std::string(e.name), opts, sub, &global] {
      opts->overrides = parseOverrides(sub->remaining());
      runCommand(name, *opts, global);
    });
  }
}

}  // namespace fmcib::cli
