// The fmcib binary: exit codes, one-line errors, --print_config and overrides.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>

#include "support/paths.hpp"
#include "support/process.hpp"

using fmcib::test::runFmcib;

namespace {
std::string writeConfig(const std::string& name, const std::string& text) {
  return fmcib::test::writeFile(fmcib::test::tempDir("cli"), name, text);
}
}  // namespace

TEST(Cli, HelpAndVersion) {
  auto help = runFmcib("--help");
  EXPECT_EQ(help.code, 0);
  for (const char* cmd : {"fit", "validate", "test", "predict", "targets"})
    EXPECT_NE(help.out.find(cmd), std::string::npos) << cmd << "\n" << help.out;
  auto version = runFmcib("--version");
  EXPECT_EQ(version.code, 0);
  EXPECT_NE(version.out.find("fmcib "), std::string::npos);
  auto sub = runFmcib("fit --help");
  EXPECT_EQ(sub.code, 0);
  EXPECT_NE(sub.out.find("--config_file"), std::string::npos);
}

TEST(Cli, BadUsageExitsTwo) {
  EXPECT_EQ(runFmcib("").code, 2);
  EXPECT_EQ(runFmcib("fit").code, 2);  // --config_file is required
  EXPECT_EQ(runFmcib("frobnicate").code, 2);
}

TEST(Cli, UnknownKeysAreOneErrorAndExitTwo) {
  std::string cfg = writeConfig("bad.yaml", "vars: {a: 1}\nsystm: {}\ntrainr: {}\n");
  auto r = runFmcib("fit --config_file " + cfg);
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_NE(r.err.find("2 problems"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(cfg + ":2: systm: unknown top-level key"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(cfg + ":3: trainr: unknown top-level key"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("terminate"), std::string::npos);
}

TEST(Cli, PrintConfigAppliesMergesAndOverrides) {
  std::string a = writeConfig(
      "a.yaml",
      "vars:\n  bs: 32\n  devices: 2\n  lr: \"$((@vars#bs * @vars#devices)/256) * 0.3\"\n  l: [1, 2]\n");
  std::string b = writeConfig("b.yaml", "+vars: {extra: yes}\n");
  auto r = runFmcib("fit --config_file " + a + "," + b + " --print_config --vars#bs=64 --vars#l#1 7");
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("bs: 64"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("lr: 0.15"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("- 7"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("extra: true"), std::string::npos) << r.out;
}

TEST(Cli, OverridesReadFireLiteralsAndBareFlags) {
  std::string a = writeConfig("fire.yaml", "vars: {a: 1, b: 2, c: 3, d: 4}\n");
  auto r =
      runFmcib("fit --config_file " + a + " --vars#a=None --vars#b --vars#c=False --vars#d --print_config");
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("a: ~"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("b: true"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("c: false"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("d: true"), std::string::npos) << r.out;
  auto quoted = runFmcib("fit --config_file " + a + " --vars#a \"'None'\" --print_config");
  EXPECT_EQ(quoted.code, 0) << quoted.err;
  EXPECT_NE(quoted.out.find("a: None"), std::string::npos) << quoted.out;
}

TEST(Cli, UnknownCommandNamesItselfAndSuggests) {
  auto typo = runFmcib("fitt --config_file x.yaml");
  EXPECT_EQ(typo.code, 2);
  EXPECT_NE(typo.err.find("unknown command 'fitt'"), std::string::npos) << typo.err;
  EXPECT_NE(typo.err.find("did you mean 'fit'?"), std::string::npos) << typo.err;
  EXPECT_EQ(std::count(typo.err.begin(), typo.err.end(), '\n'), 1) << typo.err;
  auto tune = runFmcib("tune --config_file x.yaml");
  EXPECT_EQ(tune.code, 2);
  EXPECT_NE(tune.err.find("unknown command 'tune'"), std::string::npos) << tune.err;
  EXPECT_NE(tune.err.find("fit, validate, test, predict"), std::string::npos) << tune.err;
  EXPECT_EQ(tune.err.find("did you mean"), std::string::npos) << tune.err;
  EXPECT_EQ(runFmcib("--version").code, 0);
}

TEST(Cli, ConfigProblemsExitTwoWithOneLine) {
  std::string a = writeConfig("a.yaml", "vars: {a: 1}\n");
  auto missing = runFmcib("validate --config_file /nonexistent.yaml");
  EXPECT_EQ(missing.code, 2);
  EXPECT_NE(missing.err.find("config file '/nonexistent.yaml' does not exist"), std::string::npos)
      << missing.err;
  auto badOverride = runFmcib("fit --config_file " + a + " --vars#nope#x=1 --print_config");
  EXPECT_EQ(badOverride.code, 2);
  EXPECT_NE(badOverride.err.find("parent path 'vars#nope' does not exist"), std::string::npos)
      << badOverride.err;
  auto unknownFlag = runFmcib("fit --config_file " + a + " --bogus");
  EXPECT_EQ(unknownFlag.code, 2);
  std::string bad = writeConfig("m.yaml", "vars: [1, 2\n");
  auto malformed = runFmcib("fit --config_file " + bad);
  EXPECT_EQ(malformed.code, 2);
  EXPECT_NE(malformed.err.find("malformed YAML"), std::string::npos) << malformed.err;
  EXPECT_EQ(std::count(malformed.err.begin(), malformed.err.end(), '\n'), 1) << malformed.err;
}
