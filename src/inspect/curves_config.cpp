// Where a fit's metrics.csv went, from the config's trainer#logger (see curves.hpp). Reads only the
// loggers' save_dir / name / project / version arguments, so nothing is built or created.
#include <spdlog/spdlog.h>

#include <system_error>

#include "fmcib/config/config.hpp"
#include "fmcib/inspect/curves.hpp"
#include "text.hpp"

namespace fmcib::inspect {

namespace fs = std::filesystem;

namespace {

using detail::endsWith;

/// A string argument of a logger, its default when absent, "" when null.
std::string stringArg(const config::Config& cfg, const std::string& logger, const std::string& key,
                      const std::string& fallback) {
  const std::string path = logger + "#" + key;
  if (!cfg.contains(path)) return fallback;
  const config::Value v = cfg.resolve(path);
  if (v.isNull()) return "";
  if (v.isInt()) return "version_" + std::to_string(v.asInt());
  return v.isString() ? v.asString() : fallback;
}

/// The newest metrics.csv among `dirs`, if it changed at or after `since`.
std::optional<fs::path> newest(const std::vector<fs::path>& dirs, fs::file_time_type since) {
  std::optional<fs::path> best;
  fs::file_time_type bestTime = since;
  std::error_code ec;
  for (const fs::path& d : dirs) {
    const fs::path f = d / "metrics.csv";
    if (!fs::is_regular_file(f, ec)) continue;
    const auto t = fs::last_write_time(f, ec);
    if (!ec && t >= bestTime) {
      best = f;
      bestTime = t;
    }
  }
  return best;
}

}  // namespace

std::optional<std::string> findFitMetricsCsv(const config::Config& cfg, fs::file_time_type since) {
  if (!cfg.contains("trainer#logger")) return std::nullopt;
  const config::Value raw = cfg.raw("trainer#logger");
  std::vector<std::string> loggers;
  if (raw.isMap()) {
    loggers.push_back("trainer#logger");
  } else if (raw.isList()) {
    for (size_t i = 0; i < raw.asList().size(); ++i) loggers.push_back("trainer#logger#" + std::to_string(i));
  }
  std::vector<fs::path> candidates;
  std::error_code ec;
  for (const std::string& path : loggers) {
    const config::Value node = cfg.raw(path);
    const config::Value* target = node.isMap() ? node.find("_target_") : nullptr;
    if (!target || !target->isString()) continue;
    const std::string name = target->asString();
    std::string sub;
    if (endsWith(name, "CSVLogger"))
      sub = stringArg(cfg, path, "name", "lightning_logs");
    else if (endsWith(name, "WandbLogger"))
      sub = stringArg(cfg, path, "project", "lightning_logs");
    else
      continue;
    fs::path root(stringArg(cfg, path, "save_dir", "."));
    if (!sub.empty()) root /= sub;
    const std::string version = stringArg(cfg, path, "version", "");
    if (!version.empty()) {
      candidates.push_back(root / version);
    } else if (fs::is_directory(root, ec)) {
      for (const auto& entry : fs::directory_iterator(root, ec))
        if (entry.is_directory(ec)) candidates.push_back(entry.path());
    }
  }
  if (auto found = newest(candidates, since)) return found->string();
  return std::nullopt;
}

std::optional<std::string> writeFitCurves(const config::Config& cfg, fs::file_time_type since) {
  try {
    const auto csv = findFitMetricsCsv(cfg, since);
    if (!csv) {
      spdlog::debug("no CSV log of this run found; no training curves written");
      return std::nullopt;
    }
    const std::string png = (fs::path(*csv).parent_path() / "curves.png").string();
    writeCurves(*csv, png);
    spdlog::info("training curves: {}", png);
    return png;
  } catch (const std::exception& e) {
    spdlog::warn("could not draw the training curves: {}", std::string(e.what()).substr(0, 300));
    return std::nullopt;
  }
}

}  // namespace fmcib::inspect
