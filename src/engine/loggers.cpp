// Shared logger pieces (Lightning's version folders, CSV number formatting) and the `_target_`
// registrations of the three loggers.
#include "fmcib/engine/loggers.hpp"

#include <charconv>
#include <cmath>
#include <limits>
#include <system_error>

#include "fmcib/common/parse_number.hpp"
#include "fmcib/config/registry.hpp"

namespace fmcib::engine {

namespace fs = std::filesystem;

int64_t nextVersion(const fs::path& root) {
  std::error_code ec;
  if (!fs::is_directory(root, ec)) return 0;
  int64_t next = 0;
  for (const auto& entry : fs::directory_iterator(root, ec)) {
    const std::string name = entry.path().filename().string();
    if (!entry.is_directory(ec) || name.rfind("version_", 0) != 0) continue;
    // Lightning takes the text up to the next "_" and keeps it when it is all digits.
    std::string number = name.substr(8);
    number = number.substr(0, number.find('_'));
    if (number.empty() || number.find_first_not_of("0123456789") != std::string::npos) continue;
    const int64_t v = requireInt<InputError>(number, "log folder '" + entry.path().string() + "': version", 0,
                                             std::numeric_limits<int64_t>::max() - 1);
    next = std::max(next, v + 1);
  }
  return next;
}

fs::path resolveLogDir(const LogDirOptions& o) {
  const fs::path root = o.name.empty() ? fs::path(o.saveDir) : fs::path(o.saveDir) / o.name;
  if (!o.version.empty()) return root / o.version;
  return root / ("version_" + std::to_string(nextVersion(root)));
}

std::string formatMetricValue(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  char buf[64];
  const auto res = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, res.ptr);
}

namespace {

using config::Args;
using config::Value;

/// Lightning's `version`: an int N names "version_N", a string is the folder itself, null the next.
std::string versionArg(const Args& a, const std::string& key) {
  const Value v = a.get(key);
  if (v.isNull()) return {};
  if (v.isInt()) {
    if (v.asInt() < 0) a.fail(key, "must be >= 0, got " + std::to_string(v.asInt()));
    return "version_" + std::to_string(v.asInt());
  }
  if (v.asString().empty()) a.fail(key, "must not be empty");
  return v.asString();
}

std::string optionalString(const Args& a, const std::string& key) {
  const Value v = a.get(key);
  return v.isNull() ? std::string() : v.asString();
}

Value store(const Args& a, std::shared_ptr<Logger> logger) {
  return Value::object<Logger>(std::move(logger), a.target());
}

}  // namespace

void registerLoggerTargets(config::Registry& r) {
  using namespace config;
  auto add = [&r](TargetSpec spec) {
    for (const std::string ns : {"pytorch_lightning.loggers.", "lightning.pytorch.loggers."}) {
      TargetSpec s = spec;
      s.name = ns + spec.name;
      if (!r.find(s.name)) r.add(std::move(s));
    }
  };
  const ArgSpec name = arg("name", kString | kNull, "lightning_logs", "experiment folder under save_dir");
  const ArgSpec version = arg("version", kInt | kString | kNull, nullptr,
                              "int N: version_N; string: that folder; null: next free");
  const ArgSpec prefix = arg("prefix", kString, "", "prepended to every metric key, joined with '-'");

  add({"CSVLogger",
       "metrics.csv and hparams.yaml in save_dir/name/version_N (Lightning's layout)",
       {required("save_dir", kString, "root folder of the logs"), name, version, prefix,
        arg("flush_logs_every_n_steps", kInt, 100,
            "write pending rows when (step + 1) is a multiple of this")},
       [](const Args& a) {
         CsvLoggerOptions o;
         o.dir = {a.getString("save_dir"), optionalString(a, "name"), versionArg(a, "version")};
         o.prefix = a.getString("prefix");
         o.flushLogsEveryNSteps = a.getInt("flush_logs_every_n_steps");
         if (o.flushLogsEveryNSteps < 1) a.fail("flush_logs_every_n_steps", "must be >= 1");
         return store(a, std::make_shared<CsvLogger>(o));
       }});

  add({"TensorBoardLogger",
       "TensorBoard event files (scalars, hparams as text) in save_dir/name/version_N",
       {required("save_dir", kString, "root folder of the logs"), name, version, prefix,
        arg("log_graph", kBool, false, "accepted; the model graph is not written"),
        arg("default_hp_metric", kBool, true, "log hp_metric = -1 with the hyperparameters"),
        arg("sub_dir", kString | kNull, nullptr, "extra folder under the version folder")},
       [](const Args& a) {
         TensorBoardLoggerOptions o;
         o.dir = {a.getString("save_dir"), optionalString(a, "name"), versionArg(a, "version")};
         o.prefix = a.getString("prefix");
         o.logGraph = a.getBool("log_graph");
         o.defaultHpMetric = a.getBool("default_hp_metric");
         o.subDir = optionalString(a, "sub_dir");
         return store(a, std::make_shared<TensorBoardLogger>(o));
       }});

  add({"WandbLogger",
       "Weights & Biases is not available: logs locally (CSV + TensorBoard) under save_dir, with one warning",
       {arg("name", kString | kNull, nullptr, "W&B run name (not used locally)"),
        arg("save_dir", kString, ".", "root folder of the local logs"),
        arg("dir", kString | kNull, nullptr, "alias of save_dir"),
        arg("project", kString | kNull, nullptr, "folder under save_dir (default lightning_logs)"),
        arg("version", kString | kNull, nullptr, "run id; locally the version folder name"),
        arg("id", kString | kNull, nullptr, "alias of version"),
        arg("offline", kBool, false, "accepted (logging is always local)"),
        arg("anonymous", kBool | kNull, nullptr, "accepted, unused"),
        arg("log_model", kBool | kString, false,
            "accepted; checkpoints stay where ModelCheckpoint writes them"),
        prefix,
        arg("checkpoint_name", kString | kNull, nullptr, "accepted, unused"),
        arg("entity", kString | kNull, nullptr, "accepted, unused"),
        arg("group", kString | kNull, nullptr, "accepted, unused"),
        arg("tags", kList | kNull, nullptr, "accepted, unused"),
        arg("notes", kString | kNull, nullptr, "accepted, unused"),
        arg("job_type", kString | kNull, nullptr, "accepted, unused"),
        arg("mode", kString | kNull, nullptr, "accepted, unused"),
        arg("resume", kAny, nullptr, "accepted, unused"),
        arg("save_code", kBool | kNull, nullptr, "accepted, unused"),
        arg("config", kMap | kNull, nullptr, "accepted, unused")},
       [](const Args& a) {
         WandbLoggerOptions o;
         o.saveDir = a.get("dir").isNull() ? a.getString("save_dir") : a.getString("dir");
         o.project = optionalString(a, "project");
         o.runName = optionalString(a, "name");
         o.version = a.get("version").isNull() ? optionalString(a, "id") : a.getString("version");
         o.prefix = a.getString("prefix");
         return store(a, std::make_shared<WandbFallbackLogger>(o));
       }});
}

}  // namespace fmcib::engine
