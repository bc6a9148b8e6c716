// check-data's config side (a dataset's options read through its declared arguments, the label rule
// from the system's criterion and heads) and the report printer.
#include <iomanip>
#include <ostream>

#include "fmcib/config/config.hpp"
#include "fmcib/config/error.hpp"
#include "fmcib/data/targets.hpp"
#include "fmcib/inspect/data_check.hpp"
#include "text.hpp"

namespace fmcib::inspect {

namespace {

constexpr const char* kDatasetTarget = "fmcib.datasets.SSLRadiomicsDataset";

/// Lets config::Args read a component's arguments from a Config without building the component.
class ConfigResolver : public config::Resolver {
 public:
  explicit ConfigResolver(const config::Config& cfg) : cfg_(cfg) {}
  config::Value resolvePath(const std::string& path) override { return cfg_.resolve(path); }
  std::string locate(const std::string& path) const override { return cfg_.locate(path); }

 private:
  const config::Config& cfg_;
};

using detail::endsWith;

std::string targetOf(const config::Config& cfg, const std::string& path) {
  if (!cfg.contains(path)) return "";
  const config::Value raw = cfg.raw(path);
  const config::Value* t = raw.isMap() ? raw.find("_target_") : nullptr;
  return t && t->isString() ? t->asString() : "";
}

LabelRule labelRuleFromConfig(const config::Config& cfg) {
  LabelRule rule;
  const std::string criterion = targetOf(cfg, "system#criterion");
  if (endsWith(criterion, "BCEWithLogitsLoss") || endsWith(criterion, "BCELoss")) {
    rule.kind = LabelRule::Kind::kBinary;
    rule.source = criterion;
  } else if (endsWith(criterion, "CrossEntropyLoss") && cfg.contains("system#model#heads")) {
    const config::Value heads = cfg.resolve("system#model#heads");
    if (heads.isList() && !heads.asList().empty() && heads.asList().back().isInt() &&
        heads.asList().back().asInt() >= 2) {
      rule.kind = LabelRule::Kind::kClasses;
      rule.numClasses = heads.asList().back().asInt();
      rule.source = criterion + " with system#model#heads[-1] = " + std::to_string(rule.numClasses);
    }
  }
  return rule;
}

}  // namespace

std::vector<std::string> configuredDatasets(const config::Config& cfg) {
  std::vector<std::string> names;
  if (!cfg.contains("system#datasets")) return names;
  const config::Value raw = cfg.raw("system#datasets");
  if (!raw.isMap()) return names;
  for (const auto& [name, value] : raw.asMap())
    if (!value.isNull()) names.push_back(name);
  return names;
}

DataCheckOptions dataCheckOptionsFromConfig(const config::Config& cfg, const std::string& datasetName) {
  data::registerTargets(cfg.registry());
  const std::string path = "system#datasets#" + datasetName;
  if (!cfg.contains(path)) {
    std::string known;
    for (const auto& n : configuredDatasets(cfg)) known += (known.empty() ? "" : ", ") + n;
    throw ConfigError("the config has no dataset at " + path +
                      " (configured: " + (known.empty() ? "none" : known) + ")");
  }
  const std::string target = targetOf(cfg, path);
  const config::TargetSpec* spec = cfg.registry().find(target);
  if (target != kDatasetTarget || !spec) {
    const std::string where = cfg.locate(path);
    throw ConfigError((where.empty() ? "" : where + ": ") + path + " is " +
                      (target.empty() ? "not a _target_ component" : "'" + target + "'") +
                      "; check-data reads " + kDatasetTarget);
  }
  ConfigResolver resolver(cfg);
  const config::Args a(*spec, path, cfg.raw(path), resolver);
  DataCheckOptions o;
  o.name = datasetName;
  o.csvPath = a.getString("path");
  if (const config::Value label = a.get("label"); label.isString()) o.label = label.asString();
  o.crop.radius = a.getInt("radius");
  if (o.crop.radius < 1)
    a.fail("radius", "must be a positive number of voxels, got " + std::to_string(o.crop.radius));
  o.crop.orient = a.getBool("orient");
  if (!a.get("resample_spacing").isNull()) {
    const std::vector<double> s = a.getDoublesOrScalar("resample_spacing", 3);
    for (double v : s)
      if (!(v > 0))
        a.fail("resample_spacing", "spacing values must be positive (mm), got " + std::to_string(v));
    o.crop.resampleSpacing = io::Vec3{s[0], s[1], s[2]};
  }
  o.crop.orientPatch = a.getBool("orient_patch");
  const std::string mode = a.getString("crop_mode");
  if (mode == "whole_image")
    o.crop.mode = data::CropMode::kWholeImage;
  else if (mode != "region")
    a.fail("crop_mode", "expected 'region' or 'whole_image', got '" + mode + "'");
  if (o.label) o.labelRule = labelRuleFromConfig(cfg);
  return o;
}

void printReport(std::ostream& out, const std::vector<DatasetReport>& reports, size_t maxListed) {
  out << "check-data summary\n";
  out << std::left << std::setw(12) << "dataset" << std::setw(30) << "problem" << std::right << std::setw(8)
      << "rows"
      << "\n";
  int64_t errorRows = 0, totalRows = 0, warnings = 0;
  for (const DatasetReport& r : reports) {
    out << std::left << std::setw(12) << r.name << std::setw(30) << "(rows checked)" << std::right
        << std::setw(8) << r.rows << "   " << r.csvPath << "; " << r.scans << " scans, " << r.scansRead
        << " read\n";
    for (int k = 0; k < kNumProblemKinds; ++k) {
      const auto kind = static_cast<ProblemKind>(k);
      if (const int64_t n = r.count(kind))
        out << std::left << std::setw(12) << "" << std::setw(30) << problemKindName(kind) << std::right
            << std::setw(8) << n << "\n";
    }
    errorRows += r.rowsWithErrors();
    totalRows += r.rows;
    for (const Problem& p : r.problems) warnings += isWarning(p.kind) ? 1 : 0;
  }
  for (const DatasetReport& r : reports) {
    if (r.problems.empty()) continue;
    out << "\nproblem rows of " << r.name << " (" << r.csvPath << "; rows count from 0 after the header):\n";
    size_t listed = 0;
    for (const Problem& p : r.problems) {
      if (listed++ == maxListed) {
        out << "  ... and " << r.problems.size() - maxListed << " more\n";
        break;
      }
      out << "  row " << p.row << " (line " << p.line << "): " << problemKindName(p.kind) << ": " << p.message
          << "\n";
      if (!p.hint.empty()) out << "      hint: " << p.hint << "\n";
    }
  }
  out << "\n";
  if (errorRows == 0)
    out << "check-data: OK, " << totalRows << " rows in " << reports.size() << " dataset(s) have no errors";
  else
    out << "check-data: " << errorRows << " of " << totalRows << " rows have errors";
  out << " (" << warnings << " warning(s))\n";
}

}  // namespace fmcib::inspect
