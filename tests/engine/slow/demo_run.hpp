#pragma once
// Shared by the binary-level engine tests: demo data generated once per build, the shipped
// experiments' paths, and readers for what a run leaves behind.
#include <filesystem>
#include <string>
#include <vector>

#include "fmcib/data/demo_data.hpp"
#include "fmcib/io/csv.hpp"
#include "support/paths.hpp"
#include "support/process.hpp"

namespace fmcib::test {

namespace fs = std::filesystem;

inline std::string exp(const std::string& rel) {
  return (sourceDir() / "experiments" / rel).string();
}

/// Demo data shared by the tests of this binary (and by parallel test processes): generated once
/// into a private folder, then published under a fixed name with an atomic symlink.
inline fs::path demoData(int64_t scans, int64_t lesions) {
  const fs::path root = fs::path(FMCIB_BINARY_DIR) / "test_tmp";
  const fs::path link = root / ("engine_demo_" + std::to_string(scans) + "x" + std::to_string(lesions));
  if (fs::exists(link / "pretrain.csv")) return link;
  const fs::path mine = tempDir("engine_demo_gen");
  data::DemoDataOptions o;
  o.outDir = mine.string();
  o.scans = scans;
  o.lesionsPerScan = lesions;
  o.seed = 0;
  data::makeDemoData(o);
  std::error_code ec;
  fs::create_directory_symlink(mine, link, ec);  // fails when another process published first
  return fs::exists(link / "pretrain.csv") ? link : mine;
}

inline std::string q(const fs::path& p) {
  return "'" + p.string() + "'";
}

inline std::vector<double> column(const fs::path& csv, const std::string& name) {
  io::CsvTable t = io::CsvTable::read(csv.string());
  const size_t c = t.column(name);
  std::vector<double> out;
  for (size_t r = 0; r < t.numRows(); ++r)
    if (!t.cell(r, c).empty()) out.push_back(std::stod(t.cell(r, c)));
  return out;
}

/// Optimizer steps per epoch of the demo pre-training (batch 8, drop_last).
inline int64_t pretrainSteps(const fs::path& data) {
  return static_cast<int64_t>(io::CsvTable::read((data / "pretrain.csv").string()).numRows()) / 8;
}

inline std::string demoArgs(const fs::path& data, const fs::path& out) {
  return " --vars#data=" + q(data) + " --vars#out=" + q(out) + " --seed 0";
}

}  // namespace fmcib::test
