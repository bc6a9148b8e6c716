// The YAML fmcib writes (--print_config, hparams.yaml, a checkpoint's config) reads back with the
// same types in fmcib and in PyYAML, which lighter loads configs with (YAML 1.1: `1e-06` would be
// a string there, `1:20` an integer).
#include <gtest/gtest.h>

#include <fstream>

#include "config_test_support.hpp"
#include "support/paths.hpp"
#include "support/process.hpp"

using fmcib::config::Config;
using fmcib::test::load;

namespace {

constexpr const char* kValues = R"Y(
vars:
  tiny: 1.0e-6
  huge: 1.0e+20
  half: 0.5
  whole: 3.0
  neg: -2.5e-300
  inf: .inf
  count: 7
  sexagesimal: "1:20"
  octal: "017"
  hex: "0x1F"
  underscored: "1_000"
  date: "2024-01-31"
  merge: "<<"
  equals: "="
  word: "on"
  text: relu
)Y";

TEST(ConfigYamlOutput, FloatsHaveADotAndASignedExponent) {
  std::string out = load(kValues).printResolved();
  EXPECT_NE(out.find("tiny: 1.0e-06"), std::string::npos) << out;
  EXPECT_NE(out.find("huge: 1.0e+20"), std::string::npos) << out;
  EXPECT_NE(out.find("neg: -2.5e-300"), std::string::npos) << out;
  EXPECT_NE(out.find("whole: 3.0"), std::string::npos) << out;
  EXPECT_NE(out.find("count: 7\n"), std::string::npos) << out;
}

TEST(ConfigYamlOutput, FloatsPrintAsPythonsRepr) {
  using fmcib::config::Value;
  const std::pair<double, const char*> cases[] = {{40.0, "40.0"},
                                                  {1e16, "1e+16"},
                                                  {1e-6, "1e-06"},
                                                  {1e-4, "0.0001"},
                                                  {123.456, "123.456"},
                                                  {1.5e20, "1.5e+20"},
                                                  {-0.0, "-0.0"},
                                                  {1234567890123456.0, "1234567890123456.0"},
                                                  {0.1 + 0.2, "0.30000000000000004"},
                                                  {-2.5e-300, "-2.5e-300"},
                                                  {0.5, "0.5"},
                                                  {5e-324, "5e-324"}};
  for (const auto& [d, text] : cases) EXPECT_EQ(Value(d).repr(), text);
}

TEST(ConfigYamlOutput, ReadsBackWithTheSameValuesInFmcib) {
  Config printed = load(load(kValues).printResolved());
  Config original = load(kValues);
  for (const char* key : {"tiny", "huge", "half", "whole", "neg", "inf", "count", "sexagesimal", "octal",
                          "hex", "underscored", "date", "merge", "equals", "word", "text"}) {
    const std::string path = std::string("vars#") + key;
    EXPECT_EQ(printed.resolve(path).repr(), original.resolve(path).repr()) << path;
  }
}

TEST(ConfigYamlOutput, ReadsBackWithTheSameTypesInPyYaml) {
  // `make deps` installs python3-yaml: without it this check would say nothing, so it fails.
  ASSERT_EQ(fmcib::test::runShell("python3 -c 'import yaml'").code, 0)
      << "python3 with PyYAML (Debian's python3-yaml, installed by make deps) is needed";
  const auto file = fmcib::test::tempDir("yaml_output") / "printed.yaml";
  std::ofstream(file) << load(kValues).printResolved();
  auto r = fmcib::test::runShell(
      "python3 -c 'import sys, yaml; v = yaml.safe_load(open(sys.argv[1]))[\"vars\"]; "
      "print(\" \".join(k + \"=\" + type(v[k]).__name__ + \":\" + repr(v[k]) for k in sorted(v)))' '" +
      file.string() + "'");
  ASSERT_EQ(r.code, 0) << r.err;
  for (const char* expected :
       {"tiny=float:1e-06", "huge=float:1e+20", "half=float:0.5", "whole=float:3.0", "neg=float:-2.5e-300",
        "inf=float:inf", "count=int:7", "sexagesimal=str:'1:20'", "octal=str:'017'", "hex=str:'0x1F'",
        "underscored=str:'1_000'", "date=str:'2024-01-31'", "merge=str:'<<'", "equals=str:'='",
        "word=str:'on'", "text=str:'relu'"})
    EXPECT_NE(r.out.find(expected), std::string::npos) << expected << " in " << r.out;
}

}  // namespace
