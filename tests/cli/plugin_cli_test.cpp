// `project: libX.so` through the binary: the plug-in's targets pass validation and are listed by
// `fmcib targets --project`; a Python project folder or a list is a one-line error with exit 2.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>

#include "support/paths.hpp"
#include "support/process.hpp"

using fmcib::test::runFmcib;

namespace {

std::string pretrain() {
  return (fmcib::test::sourceDir() / "experiments/demo/pretrain.yaml").string();
}

std::string extra(const std::string& name, const std::string& project) {
  const auto path = fmcib::test::tempDir("plugin_cli") / name;
  std::ofstream(path) << "project: " << project
                      << "\n+vars: {window: {_target_: myproject.transforms.WindowLevel, window: 400}}\n";
  return path.string();
}

TEST(PluginCli, ProjectLibraryTargetsPassValidation) {
  auto ok = runFmcib("fit --config_file " + pretrain() + "," + extra("ok.yaml", FMCIB_EXAMPLE_PLUGIN) +
                     " --print_config");
  EXPECT_EQ(ok.code, 0) << ok.err;
  EXPECT_NE(ok.out.find("_target_: myproject.transforms.WindowLevel"), std::string::npos) << ok.out;
  auto without =
      runFmcib("fit --config_file " + pretrain() + "," + extra("none.yaml", "null") + " --print_config");
  EXPECT_EQ(without.code, 2);
  EXPECT_NE(without.err.find("myproject.transforms.WindowLevel"), std::string::npos) << without.err;
  auto listed =
      runFmcib(std::string("targets myproject.transforms.WindowLevel --project ") + FMCIB_EXAMPLE_PLUGIN);
  EXPECT_EQ(listed.code, 0) << listed.err;
  EXPECT_NE(listed.out.find("window (float) required"), std::string::npos) << listed.out;
}

TEST(PluginCli, AnythingElseUnderProjectIsOneLineExitTwo) {
  const auto folder = fmcib::test::tempDir("plugin_cli_pkg");
  for (const std::string& project :
       {folder.string(), std::string("[a, b]"), std::string("missing/libx.so")}) {
    auto r =
        runFmcib("fit --config_file " + pretrain() + "," + extra("bad.yaml", project) + " --print_config");
    EXPECT_EQ(r.code, 2) << project;
    EXPECT_NE(r.err.find("project"), std::string::npos) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  }
}

}  // namespace
