#pragma once
// The options every config-driven subcommand shares, and `--a#b#c=value` override parsing.
#include <optional>
#include <string>
#include <vector>

#include "command.hpp"
#include "fmcib/config/config.hpp"

namespace fmcib::cli {

struct ConfigOptions {
  std::vector<std::string> configFiles;
  std::vector<config::Override> overrides;
  bool printConfig = false;
  std::string ckptPath;
  int64_t seed = -1;
};

/// --config_file (comma-separated or repeated), --print_config, --ckpt_path, --seed, -v; leaves
/// unknown `--a#b` options for parseOverrides.
void addConfigOptions(CLI::App& sub, ConfigOptions& opts, GlobalOptions& global);
/// `--a#b#c=value` and `--a#b#c value` → overrides; anything else is a usage error (ConfigError).
std::vector<config::Override> parseOverrides(const std::vector<std::string>& extras);
/// Loads files + overrides (ConfigError on problems).
config::Config loadConfig(const ConfigOptions& opts);
/// The start every config subcommand shares: -v, the registered targets, the loaded config
/// (validated when `validate`); nullopt when --print_config printed it and the command is done.
std::optional<config::Config> loadConfigOrPrint(const ConfigOptions& opts, const GlobalOptions& global,
                                                bool validate = false);
/// Sets spdlog's level from -v.
void applyVerbosity(const GlobalOptions& global);
/// Hands a validated config to the engine for `command` (engine issue).
void runEngine(const std::string& command, const config::Config& cfg, const ConfigOptions& opts);

}  // namespace fmcib::cli
