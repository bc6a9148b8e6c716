// Reading back the metrics.json that linear-probe and evaluate write (JSON is YAML's flow style,
// so yaml-cpp, which the config area uses already, parses it).
#include <yaml-cpp/yaml.h>

#include <cmath>
#include <limits>

#include "fmcib/config/error.hpp"
#include "fmcib/probe/probe_report.hpp"

namespace fmcib::probe {

namespace {

double numberOrNaN(const YAML::Node& n) {
  if (!n || n.IsNull()) return std::numeric_limits<double>::quiet_NaN();
  return n.as<double>();
}

}  // namespace

MetricsRow readMetricsJson(const std::string& name, const std::string& path) {
  YAML::Node doc;
  try {
    doc = YAML::LoadFile(path);
  } catch (const YAML::BadFile&) {
    throw InputError(path + ": cannot read the metrics file");
  } catch (const YAML::Exception& e) {
    throw InputError(path + ": not a metrics.json (" + e.msg + ")");
  }
  MetricsRow row;
  row.name = name;
  row.path = path;
  std::string member = "rows.test";
  try {
    if (!doc.IsMap() || !doc["rows"] || !doc["rows"]["test"])
      throw InputError(path + ": no rows.test member");
    row.testRows = doc["rows"]["test"].as<int64_t>();
    member = "bootstrap";
    const YAML::Node boot = doc["bootstrap"];
    if (!boot || !boot["used"] || !boot["level"])
      throw InputError(path + ": no bootstrap.used / bootstrap.level");
    row.bootstrapUsed = boot["used"].as<int>();
    row.level = boot["level"].as<double>();
    member = "test";
    const YAML::Node test = doc["test"];
    if (!test || !test.IsMap() || test.size() == 0) throw InputError(path + ": no test metrics");
    for (const auto& kv : test) {
      TestMetric m;
      m.key = kv.first.as<std::string>();
      member = "test." + m.key;
      m.name = m.key;
      m.value = numberOrNaN(kv.second["value"]);
      m.low = numberOrNaN(kv.second["ci_low"]);
      m.high = numberOrNaN(kv.second["ci_high"]);
      row.metrics.push_back(m);
    }
  } catch (const YAML::Exception& e) {
    throw InputError(path + ": member " + member + " is not as linear-probe / evaluate write it (" + e.msg +
                     ")");
  }
  return row;
}

}  // namespace fmcib::probe
