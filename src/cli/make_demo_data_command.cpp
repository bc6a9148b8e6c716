// make-demo-data: synthetic CT scans and fmcib-format CSVs (the generator lives in the data area).
#include <spdlog/spdlog.h>

#include <iostream>
#include <memory>
#include <sstream>

#include "command.hpp"
#include "fmcib/config/error.hpp"
#include "fmcib/data/demo_data.hpp"

namespace fmcib::cli {

namespace {

template <class T>
std::array<T, 3> parseTriple(const std::string& text, const std::string& option) {
  std::array<T, 3> out{};
  std::istringstream in(text);
  std::string part;
  size_t n = 0;
  while (std::getline(in, part, ',')) {
    std::istringstream p(part);
    T v{};
    if (n >= 3 || !(p >> v) || !p.eof())
      throw ConfigError(option + " expects three comma-separated numbers (e.g. 512,512,120), got '" + text +
                        "'");
    out[n++] = v;
  }
  if (n != 3)
    throw ConfigError(option + " expects three comma-separated numbers (e.g. 512,512,120), got '" + text +
                      "'");
  return out;
}

}  // namespace

void installMakeDemoDataCommand(CLI::App& app) {
  CLI::App* sub =
      app.add_subcommand("make-demo-data", "write synthetic CT scans (.nii.gz) and fmcib-format CSVs");
  auto opts = std::make_shared<data::DemoDataOptions>();
  auto size = std::make_shared<std::string>("128,128,48");
  auto spacing = std::make_shared<std::string>("0.7,0.7,2.5");
  sub->add_option("--out", opts->outDir, "output folder (created)")->required();
  sub->add_option("--scans", opts->scans, "number of scans (split LPI / LPS / RAS)")->capture_default_str();
  sub->add_option("--lesions-per-scan", opts->lesionsPerScan, "lesions in each scan")->capture_default_str();
  sub->add_option("--seed", opts->seed, "random seed")->capture_default_str();
  sub->add_option("--size", *size, "voxels X,Y,Z (512,512,120 for realistic benchmarks)")
      ->capture_default_str();
  sub->add_option("--spacing", *spacing, "voxel spacing X,Y,Z in mm")->capture_default_str();
  sub->callback([opts, size, spacing] {
    const auto s = parseTriple<int64_t>(*size, "--size");
    opts->size = {s[0], s[1], s[2]};
    const auto sp = parseTriple<double>(*spacing, "--spacing");
    opts->spacing = {sp[0], sp[1], sp[2]};
    const data::DemoDataResult r = data::makeDemoData(*opts);
    size_t lesions = 0;
    for (const auto& scan : r.scans) lesions += scan.lesions.size();
    std::cout << "wrote " << r.scans.size() << " scans (" << lesions << " lesions) and " << r.csvFiles.size()
              << " CSV files to " << opts->outDir << "\n";
  });
}

}  // namespace fmcib::cli
