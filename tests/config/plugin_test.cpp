// A project's plug-in (examples/plugin) registers its targets into a registry, and what it
// registers builds and runs; every file that is not a plug-in of this build is one ConfigError.
#include "fmcib/config/plugin.hpp"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <fstream>

#include "fmcib/config/config.hpp"
#include "fmcib/transforms/transform.hpp"
#include "support/paths.hpp"

namespace fmcib::config {
namespace {

std::string loadError(const std::string& path) {
  Registry r;
  try {
    loadPlugin(path, r);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "no error";
}

TEST(ConfigPlugin, RegistersTargetsThatBuildAndRun) {
  Registry r;
  loadPlugin(FMCIB_EXAMPLE_PLUGIN, r);
  ASSERT_NE(r.find("myproject.transforms.WindowLevel"), nullptr);
  Config c = Config::fromString(
      "vars:\n  t: {_target_: myproject.transforms.WindowLevel, window: 400, level: 40}\n", "p.yaml", r);
  c.validate();
  auto t = c.resolve("vars#t").as<transforms::Transform>();
  transforms::Generator gen(0);
  at::Tensor y = (*t)(torch::tensor({-1000.0, -160.0, 0.0, 40.0, 240.0, 1000.0}), gen);
  EXPECT_TRUE(torch::allclose(y, torch::tensor({0.0f, 0.0f, 0.4f, 0.5f, 1.0f, 1.0f}))) << y;
  EXPECT_THROW(
      Config::fromString("vars:\n  t: {_target_: myproject.transforms.WindowLevel, window: 0}\n", "p.yaml", r)
          .resolve("vars#t"),
      ConfigError);
}

TEST(ConfigPlugin, ANameRegisteredTwiceIsAConfigError) {
  Registry r;
  loadPlugin(FMCIB_EXAMPLE_PLUGIN, r);
  try {
    loadPlugin(FMCIB_EXAMPLE_PLUGIN, r);
    ADD_FAILURE() << "registered twice";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("registered twice: myproject.transforms.WindowLevel"),
              std::string::npos)
        << e.what();
  }
}

TEST(ConfigPlugin, WhatIsNoPluginIsNamed) {
  const auto dir = test::tempDir("plugin");
  std::ofstream(dir / "notes.txt") << "not a library\n";
  std::ofstream(dir / "fake.so") << "not an ELF file\n";
  EXPECT_NE(loadError((dir / "missing.so").string()).find("does not exist"), std::string::npos);
  EXPECT_NE(loadError(dir.string()).find("is a folder"), std::string::npos);
  EXPECT_NE(loadError((dir / "notes.txt").string()).find("is not a shared library (.so)"), std::string::npos);
  const std::string fake = loadError((dir / "fake.so").string());
  EXPECT_NE(fake.find("fake.so' cannot be loaded: "), std::string::npos) << fake;
  EXPECT_EQ(fake.find('\n'), std::string::npos) << fake;
  // A real shared library that is not an fmcib plug-in (zlib is on every Debian).
  for (const char* lib : {"/lib/x86_64-linux-gnu/libz.so.1", "/usr/lib/x86_64-linux-gnu/libz.so.1"}) {
    if (!std::ifstream(lib)) continue;
    EXPECT_NE(loadError(lib).find("is no fmcib plug-in"), std::string::npos) << loadError(lib);
    break;
  }
}

}  // namespace
}  // namespace fmcib::config
