#include "config_options.hpp"

#include <spdlog/spdlog.h>

#include <iostream>

#include "fmcib/config/plugin.hpp"
#include "targets.hpp"

namespace fmcib::cli {

void addConfigOptions(CLI::App& sub, ConfigOptions& opts, GlobalOptions& global) {
  sub.add_option("--config_file,--config", opts.configFiles,
                 "YAML config file(s), comma-separated; later files merge over earlier ones")
      ->delimiter(',')
      ->required();
  sub.add_flag("--print_config", opts.printConfig, "print the resolved config as YAML and exit");
  sub.add_option("--ckpt_path", opts.ckptPath,
                 "checkpoint to resume from / evaluate (same as args#<cmd>#ckpt_path)");
  sub.add_option("--seed", opts.seed, "global seed (PL_GLOBAL_SEED wins when set)");
  sub.add_flag("-v,--verbose", global.verbosity, "debug logging (repeatable)");
  sub.allow_extras();
  sub.footer("Any config value can be overridden: --system#batch_size=16 or --trainer#max_epochs 5");
}

std::vector<config::Override> parseOverrides(const std::vector<std::string>& extras) {
  std::vector<config::Override> out;
  for (size_t i = 0; i < extras.size(); ++i) {
    const std::string& a = extras[i];
    if (a.rfind("--", 0) != 0 || a.size() < 3)
      throw ConfigError("unexpected argument '" + a + "' (overrides are written --a#b#c=value)");
    std::string body = a.substr(2);
    size_t eq = body.find('=');
    std::string path = body.substr(0, eq);
    if (path.find('#') == std::string::npos)
      throw ConfigError("unknown option '--" + path +
                        "' (config overrides name a path with '#', e.g. --system#batch_size=16)");
    // As Python Fire (lighter's command line) reads them: a flag without a value is True, and
    // `None` is None (YAML has True/False already, but would keep `None` a string).
    std::string value = "true";
    if (eq != std::string::npos)
      value = body.substr(eq + 1);
    else if (i + 1 < extras.size() && extras[i + 1].rfind("--", 0) != 0)
      value = extras[++i];
    if (value == "None") value = "null";
    out.push_back({path, value});
  }
  return out;
}

config::Config loadConfig(const ConfigOptions& opts) {
  return config::Config::load(opts.configFiles, opts.overrides);
}

void applyVerbosity(const GlobalOptions& global) {
  spdlog::set_level(global.verbosity > 0 ? spdlog::level::debug : spdlog::level::info);
}

std::optional<config::Config> loadConfigOrPrint(const ConfigOptions& opts, const GlobalOptions& global,
                                                bool validate) {
  applyVerbosity(global);
  registerAllTargets();
  config::Config cfg = loadConfig(opts);
  // The plug-in's names must be registered before the config's _target_s are checked.
  if (cfg.contains("project")) {
    const config::Value project = cfg.resolve("project");
    if (project.isString())
      config::loadPlugin(project.asString(), config::Registry::global());
    else if (!project.isNull())
      throw ConfigError(cfg.locate("project") + ": project: expected the path of a plug-in (.so), got " +
                        project.kindName());
  }
  if (validate) cfg.validate();
  if (opts.printConfig) {
    std::cout << cfg.printResolved();
    return std::nullopt;
  }
  return cfg;
}

}  // namespace fmcib::cli
