// Hostile configs through the fmcib binary: each is refused with one line on stderr naming the
// file or override, exit 2, within bounded time (they used to crash, hang or exit 1 with a bare
// "stoul"/"stod").
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>

#include "support/paths.hpp"
#include "support/process.hpp"

using fmcib::test::runFmcib;

namespace {

std::string writeHostileConfig(const std::string& name, const std::string& text) {
  return fmcib::test::writeFile(fmcib::test::tempDir("cli-hostile"), name, text);
}

// `fmcib fit --config_file <file> --print_config <extra>` must fail cleanly with `message`.
void expectRefused(const std::string& file, const std::string& extra, const std::string& message) {
  auto full = runFmcib("fit --config_file " + file + " --print_config " + extra);
  EXPECT_EQ(full.code, 2) << file << " " << extra << "\n" << full.err.substr(0, 1000);
  EXPECT_NE(full.err.find("fmcib: config error: "), std::string::npos) << full.err.substr(0, 1000);
  EXPECT_NE(full.err.find(message), std::string::npos) << full.err.substr(0, 1000);
  EXPECT_EQ(std::count(full.err.begin(), full.err.end(), '\n'), 1) << full.err.substr(0, 1000);
  EXPECT_LT(full.err.size(), 2000u) << full.err.substr(0, 1000);
}

std::string repeat(const std::string& s, size_t n) {
  std::string out;
  for (size_t i = 0; i < n; ++i) out += s;
  return out;
}

}  // namespace

TEST(CliHostileConfig, RecursiveAliasInFileAndOverride) {
  const std::string f = writeHostileConfig("alias.yaml", "vars: &a [1, *a]\n");
  expectRefused(f, "", f + ":1: vars#1: recursive alias *a");
  const std::string ok = writeHostileConfig("ok.yaml", "vars: {x: 1}\n");
  expectRefused(ok, "'--vars#x=&a [*a]'", "override --vars#x=&a [*a]");
}

TEST(CliHostileConfig, MultiplyingAliasesCopiesAndReferences) {
  std::string laughs = "vars:\n  l0: &l0 [1, 1]\n", macros = "vars:\n  l0: [1, 1]\n", refs = macros;
  for (int i = 1; i <= 40; ++i) {
    const std::string n = std::to_string(i), p = std::to_string(i - 1);
    laughs += "  l" + n + ": &l" + n + " [*l" + p + ", *l" + p + "]\n";
    macros += "  l" + n + ": ['%vars#l" + p + "', '%vars#l" + p + "']\n";
    refs += "  l" + n + ": ['@vars#l" + p + "', '@vars#l" + p + "']\n";
  }
  const std::string a = writeHostileConfig("laughs.yaml", laughs),
                    m = writeHostileConfig("macros.yaml", macros), r = writeHostileConfig("refs.yaml", refs);
  expectRefused(a, "", a + ":");  // ... "more than 1000000 nodes" (test_config checks the text)
  expectRefused(m, "", "`%` copies make the config larger than");
  expectRefused(r, "", "the resolved config to print has more than");
}

TEST(CliHostileConfig, DeepGraphsAndExpressions) {
  std::string chain = "vars:\n", macros = "vars:\n";
  for (int i = 0; i < 50000; ++i)
    chain += "  a" + std::to_string(i) + ": '@vars#a" + std::to_string(i + 1) + "'\n";
  for (int i = 0; i < 20000; ++i)
    macros += "  a" + std::to_string(i) + ": '%vars#a" + std::to_string(i + 1) + "'\n";
  const std::string c = writeHostileConfig("chain.yaml", chain + "  a50000: 1\n");
  const std::string m = writeHostileConfig("mchain.yaml", macros + "  a20000: 1\n");
  expectRefused(c, "", "nested steps of keys and @ references");
  expectRefused(m, "", "`%` copies chained more than");
  const std::string e = writeHostileConfig("expr.yaml", "vars:\n  x: '$" + repeat("(", 100000) + "1'\n");
  expectRefused(e, "", e + ":2: vars#x: unsupported expression");
  const std::string ok = writeHostileConfig("ok.yaml", "vars: {x: 1}\n");
  expectRefused(ok, "'--vars#x=$(-9223372036854775807-1)//-1'", "integer overflow");
  expectRefused(ok, "'--vars#x=$2**1000000000000000000'", "integer overflow");
}

TEST(CliHostileConfig, NumbersThatDoNotParse) {
  const std::string l = writeHostileConfig("list.yaml", "vars: {l: [1]}\n");
  expectRefused(l, "--vars#l#99999999999999999999=2", "is not an index of the 1-element list at 'vars#l'");
  // Python reads these as floats: inf and 0 (they used to end in "fmcib: error: stod", exit 1).
  const std::string f = writeHostileConfig("floats.yaml", "vars: {a: 1e999, b: 1e-999, c: 5e-324}\n");
  auto r = runFmcib("fit --config_file " + f + " --print_config");
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("a: .inf"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("c: 5.0e-324"), std::string::npos) << r.out;
  const std::string big = writeHostileConfig("big.yaml", "vars: {x: " + repeat("7", 50000) + "}\n");
  EXPECT_EQ(runFmcib("fit --config_file " + big + " --print_config").code, 0);
}
