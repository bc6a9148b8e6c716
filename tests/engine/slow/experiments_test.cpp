// Every shipped experiment resolves (--print_config) through the fmcib binary.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

#include "support/paths.hpp"
#include "support/process.hpp"

namespace fmcib::test {
namespace {

namespace fs = std::filesystem;

std::string exp(const std::string& rel) {
  return (sourceDir() / "experiments" / rel).string();
}

std::vector<std::string> shippedExperiments() {
  std::vector<std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(sourceDir() / "experiments"))
    if (e.path().extension() == ".yaml" && e.path().filename() != "cpu_small.yaml")
      out.push_back(e.path().string());
  std::sort(out.begin(), out.end());
  return out;
}

TEST(ExperimentsSlow, EveryShippedConfigResolves) {
  const auto files = shippedExperiments();
  // pretraining, 3 adaptation tasks, 2 inference configs, 4 demo configs.
  ASSERT_GE(files.size(), 10u);
  for (const auto& f : files) {
    const std::string cmd = f.find("inference") != std::string::npos ||
                                    f.find("extract") != std::string::npos ||
                                    f.find("predictions") != std::string::npos
                                ? "predict"
                                : "fit";
    auto r = runFmcib(cmd + " --config_file " + f + " --print_config");
    EXPECT_EQ(r.code, 0) << f << "\n" << r.err;
    EXPECT_NE(r.out.find("_target_: lighter.LighterSystem"), std::string::npos) << f;
  }
  auto r = runFmcib("fit --config_file " + exp("pretraining/fmcib_pretrain.yaml") + "," +
                    exp("pretraining/cpu_small.yaml") + " --print_config");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("widen_factor: 0.25"), std::string::npos) << r.out;
  // The reference's expressions resolve to numbers: lr = 32 * 2 / 256 * 0.3.
  auto paper = runFmcib("fit --config_file " + exp("pretraining/fmcib_pretrain.yaml") + " --print_config");
  EXPECT_NE(paper.out.find("lr: 0.075"), std::string::npos) << paper.out;
}

}  // namespace
}  // namespace fmcib::test
