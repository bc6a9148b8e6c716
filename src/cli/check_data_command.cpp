// check-data: every row of every configured dataset opened as training would, without training
// (fmcib::inspect::checkDataset does the work). Exit 0 when no row has an error, 1 otherwise.
#include <spdlog/spdlog.h>

#include <iostream>
#include <memory>
#include <sstream>
#include <thread>

#include "command.hpp"
#include "config_options.hpp"
#include "fmcib/inspect/data_check.hpp"
#include "targets.hpp"

namespace fmcib::cli {

namespace {

struct CheckDataOptions {
  ConfigOptions config;
  std::string datasets;
  int workers = 0;
  size_t maxListed = 200;
};

std::vector<std::string> splitNames(const std::string& text) {
  std::vector<std::string> names;
  std::istringstream in(text);
  std::string part;
  while (std::getline(in, part, ','))
    if (!part.empty()) names.push_back(part);
  return names;
}

/// --workers, else the loader's system#num_workers, else one per core.
int workerCount(const config::Config& cfg, int requested) {
  if (requested > 0) return requested;
  if (cfg.contains("system#num_workers")) {
    const config::Value v = cfg.resolve("system#num_workers");
    if (v.isInt() && v.asInt() > 0) return static_cast<int>(v.asInt());
  }
  return std::max(1u, std::thread::hardware_concurrency());
}

void checkData(const CheckDataOptions& o, GlobalOptions& global) {
  std::optional<config::Config> loaded = loadConfigOrPrint(o.config, global);
  if (!loaded) return;
  config::Config& cfg = *loaded;
  std::vector<std::string> names =
      o.datasets.empty() ? inspect::configuredDatasets(cfg) : splitNames(o.datasets);
  if (names.empty()) throw ConfigError("the config has no system#datasets to check");
  const int workers = workerCount(cfg, o.workers);
  std::vector<inspect::DataCheckOptions> options;
  for (const std::string& name : names) options.push_back(inspect::dataCheckOptionsFromConfig(cfg, name));
  std::vector<inspect::DatasetReport> reports;
  for (auto& opts : options) {
    opts.workers = workers;
    spdlog::info("checking {} ({}) with {} threads", opts.name, opts.csvPath, workers);
    reports.push_back(inspect::checkDataset(opts));
  }
  inspect::printReport(std::cout, reports, o.maxListed);
  std::cout.flush();
  for (const auto& r : reports)
    if (r.hasErrors()) throw Exit{1};
}

}  // namespace

void installCheckDataCommand(CLI::App& app, GlobalOptions& global) {
  CLI::App* sub = app.add_subcommand(
      "check-data", "open every row of the configured datasets and report problems, without training");
  auto opts = std::make_shared<CheckDataOptions>();
  addConfigOptions(*sub, opts->config, global);
  sub->add_option("--datasets", opts->datasets,
                  "comma-separated system#datasets names to check (default: all configured)");
  sub->add_option("--workers", opts->workers,
                  "threads reading scans (default: system#num_workers, else cores)");
  sub->add_option("--max-listed", opts->maxListed, "problem rows listed per dataset")->capture_default_str();
  sub->footer("Exit status: 0 when no row has an error (border clamps are warnings), 1 otherwise.");
  sub->callback([opts, sub, &global] {
    opts->config.overrides = parseOverrides(sub->remaining());
    checkData(*opts, global);
  });
}

}  // namespace fmcib::cli
