// Long `@` and `%` chains, and numbers that do not parse: clear ConfigErrors (or results), never a
// stack overflow or a bare std::stoul / std::stod message.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>

#include "config_test_support.hpp"
#include "fmcib/config/limits.hpp"
#include "support/errors.hpp"
#include "support/paths.hpp"

using fmcib::ConfigError;
using fmcib::config::Config;
using fmcib::config::Value;
using fmcib::test::errorOf;
using fmcib::test::load;
namespace limits = fmcib::config::limits;

using fmcib::test::npos;

namespace {

// vars#a0 -> vars#a1 -> ... -> vars#a<n> = 1, written with `form` ("@" or "%").
std::string chain(const std::string& form, size_t n) {
  std::string y = "vars:\n";
  for (size_t i = 0; i < n; ++i)
    y += "  a" + std::to_string(i) + ": '" + form + "vars#a" + std::to_string(i + 1) + "'\n";
  return y + "  a" + std::to_string(n) + ": 1\n";
}

}  // namespace

TEST(ConfigHostileGraph, LongReferenceChainValidatesAndResolvesToADepthError) {
  Config c = load(chain("@", 50000));
  c.validate();  // a legal (acyclic) graph, however long
  std::string e = errorOf<ConfigError>([&] { c.resolve("vars#a0"); });
  EXPECT_NE(
      e.find("resolving it takes more than " + std::to_string(limits::kMaxResolveDepth) + " nested steps"),
      npos)
      << e;
  EXPECT_NE(e.find("test.yaml:"), npos) << e;
  EXPECT_NE(e.find("vars#a0 -> vars#a1 -> "), npos) << e;
  EXPECT_NE(e.find("more) -> "), npos) << e;
  EXPECT_LT(e.size(), 2000u);
  // Shorter chains resolve, also through --print_config.
  Config ok = load(chain("@", limits::kMaxResolveDepth - 10));
  EXPECT_EQ(ok.resolve("vars#a0").asInt(), 1);
  EXPECT_NE(ok.printResolved().find("a0: 1"), npos);
}

TEST(ConfigHostileGraph, ChainsOfExpressionsAndComponentsUpToTheDepthLimitResolve) {
  // The deepest resolution the limit allows must fit on the stack with its heaviest frames:
  // expressions evaluating references, and components building their arguments.
  const size_t n = limits::kMaxResolveDepth / 2 - 5;
  std::string y = "vars:\n";
  for (size_t i = 0; i < n; ++i)
    y += "  e" + std::to_string(i) + ": '$@vars#t" + std::to_string(i) + " + 1'\n  t" + std::to_string(i) +
         ": '$len([@vars#e" + std::to_string(i + 1) + "]) + @vars#e" + std::to_string(i + 1) + "'\n";
  y += "  e" + std::to_string(n) + ": 0\n";
  EXPECT_EQ(load(y).resolve("vars#e0").asInt(), static_cast<int64_t>(2 * n));
  std::string things = "vars:\n  c0: {_target_: test.Thing, a: 1}\n";
  for (size_t i = 1; i < limits::kMaxResolveDepth / 2 - 5; ++i)
    things += "  c" + std::to_string(i) + ": {_target_: test.Thing, a: 1, child: '@vars#c" +
              std::to_string(i - 1) + "'}\n";
  Config c = load(things);
  EXPECT_NO_THROW(c.resolve("vars#c" + std::to_string(limits::kMaxResolveDepth / 2 - 6)));
}

TEST(ConfigHostileGraph, LongCycleIsReportedShortened) {
  std::string y = "vars:\n";
  for (int i = 0; i < 50000; ++i)
    y += "  a" + std::to_string(i) + ": '@vars#a" + std::to_string((i + 1) % 50000) + "'\n";
  std::string e = errorOf<ConfigError>([&] { load(y).validate(); });
  EXPECT_NE(e.find("reference cycle: vars#a0 -> vars#a1 -> "), npos) << e.substr(0, 500);
  EXPECT_NE(e.find("(49988 more)"), npos) << e.substr(0, 500);
  EXPECT_NE(e.find("-> vars#a49999 -> vars#a0"), npos) << e.substr(0, 500);
  EXPECT_LT(e.size(), 2000u);
}

TEST(ConfigHostileGraph, LongMacroChainIsAnError) {
  std::string e = errorOf<ConfigError>([] { load(chain("%", 20000)); });
  EXPECT_NE(e.find("`%` copies chained more than " + std::to_string(limits::kMaxMacroChain) + " deep"), npos)
      << e;
  EXPECT_NE(e.find("test.yaml:2: vars#a0: "), npos) << e;
  EXPECT_NE(e.find("%vars#a1 -> %vars#a2 -> "), npos) << e;
  EXPECT_LT(e.size(), 2000u);
  EXPECT_EQ(load(chain("%", limits::kMaxMacroChain - 1)).raw("vars#a0").asInt(), 1);
}

TEST(ConfigHostileGraph, MacrosThatNestDeeperThanTheLimitAreAnError) {
  // Each copy lands one level deeper than the one it copies.
  std::string y = "vars:\n  a0: 1\n";
  for (size_t i = 1; i <= limits::kMaxDepth + 5; ++i)
    y += "  a" + std::to_string(i) + ": ['%vars#a" + std::to_string(i - 1) + "']\n";
  std::string e = errorOf<ConfigError>([&] { load(y); });
  EXPECT_NE(e.find("levels of nesting (limits::kMaxDepth)"), npos) << e;
}

TEST(ConfigHostileGraph, UnparsableNumbersNameTheKey) {
  // List indices beyond 64 bits (std::stoul's out_of_range before).
  std::string o = errorOf<ConfigError>([] {
    Config::fromStrings({{"a.yaml", "vars: {l: [1]}\n"}}, {{"vars#l#99999999999999999999999", "2"}},
                        fmcib::test::testRegistry());
  });
  EXPECT_NE(o.find("'99999999999999999999999' is not an index of the 1-element list at 'vars#l'"), npos) << o;
  std::string r = errorOf<ConfigError>(
      [] { load("vars:\n  l: [1]\n  x: '@vars#l#99999999999999999999999'\n").validate(); });
  EXPECT_NE(r.find("test.yaml:3: vars#x: missing reference @vars#l#99999999999999999999999"), npos) << r;
  // Out-of-range floats are Python's inf and 0 (std::stod's out_of_range before).
  Config c = load("vars: {a: 1e999, b: -2.5e400, c: 1e-999, d: '$1e999 * 0 + 1'}\n");
  EXPECT_TRUE(std::isinf(c.resolve("vars#a").asDouble()));
  EXPECT_EQ(c.resolve("vars#b").asDouble(), -HUGE_VAL);
  EXPECT_EQ(c.resolve("vars#c").asDouble(), 0.0);
  EXPECT_TRUE(std::isnan(c.resolve("vars#d").asDouble()));
  EXPECT_NE(c.printResolved().find("a: .inf"), npos);
}

TEST(ConfigHostileGraph, MacrosFromOtherFilesAreReadOnceAndCounted) {
  auto dir = fmcib::test::tempDir("cfg-macro-file");
  const std::string other = (dir / "other.yaml").string();
  std::string big = "vars:\n";
  for (int i = 0; i < 1000; ++i) big += "  k" + std::to_string(i) + ": [" + std::to_string(i) + ", 2]\n";
  std::ofstream(other) << big;
  std::string y = "vars:\n";
  for (int i = 0; i < 2000; ++i)
    y += "  c" + std::to_string(i) + ": '%" + other + "#vars#k" + std::to_string(i % 1000) + "'\n";
  Config c = load(y);
  EXPECT_EQ(c.raw("vars#c1999#0").asInt(), 999);
  EXPECT_EQ(c.raw("vars#c5#1").asInt(), 2);
  std::string e = errorOf<ConfigError>([&] { load("vars:\n  x: '%" + other + "#vars#nope'\n"); });
  EXPECT_NE(e.find("test.yaml:2: vars#x: macro '%" + other + "#vars#nope': no key 'vars#nope' in " + other),
            npos)
      << e;
}
