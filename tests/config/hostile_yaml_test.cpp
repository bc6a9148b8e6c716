// Hostile and broken YAML: recursive and multiplying aliases, huge scalars, deep nesting, wide
// maps, `%` and `@` doubling. Each ends in a ConfigError that names file, line and key, in bounded
// time and memory, or loads as it should.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <limits>

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

std::string loadError(const std::string& yaml) {
  return errorOf<ConfigError>([&] { load(yaml); });
}

Config withOverride(const std::string& yaml, const std::string& path, const std::string& value) {
  return Config::fromStrings({{"test.yaml", yaml}}, {{path, value}}, fmcib::test::testRegistry());
}

// `levels` lists whose each element repeats the previous list `fanOut` times, written with the
// given reference form ("*" aliases, "%" copies or "@" references).
std::string doubling(const std::string& form, int levels, int fanOut) {
  std::string y = "vars:\n  l0: " + std::string(form == "*" ? "&l0 " : "") + "[1, 1]\n";
  for (int i = 1; i <= levels; ++i) {
    const std::string prev = "l" + std::to_string(i - 1);
    y += "  l" + std::to_string(i) + ": " + (form == "*" ? "&l" + std::to_string(i) + " " : "") + "[";
    for (int k = 0; k < fanOut; ++k) {
      if (k) y += ", ";
      y += form == "*" ? "*" + prev : "'" + form + "vars#" + prev + "'";
    }
    y += "]\n";
  }
  return y;
}

}  // namespace

TEST(ConfigHostileYaml, RecursiveAliasIsAnErrorNotACrash) {
  std::string e = loadError("vars: &a [1, *a]\n");
  EXPECT_NE(e.find("test.yaml:1: vars#1: recursive alias *a"), npos) << e;
  EXPECT_NE(e.find("anchored &a at 'vars'"), npos) << e;
  std::string m = loadError("vars:\n  m: &m\n    x: 1\n    y: {z: *m}\n");
  EXPECT_NE(m.find("test.yaml:4: vars#m#y#z: recursive alias *m"), npos) << m;
  std::string o = errorOf<ConfigError>([] { withOverride("vars: {x: 1}\n", "vars#x", "&a [*a]"); });
  EXPECT_NE(o.find("override --vars#x=&a [*a]"), npos) << o;
  EXPECT_NE(o.find("recursive alias *a"), npos) << o;
}

TEST(ConfigHostileYaml, AliasesAreIndependentCopiesWithTheirLines) {
  Config c = load("vars:\n  a: &x\n    b: 1\n    c: [2, 3]\n  d: *x\n  e: [*x, *x]\n");
  EXPECT_EQ(c.raw("vars#d"), c.raw("vars#a"));
  EXPECT_EQ(c.raw("vars#e#1#c#1").asInt(), 3);
  EXPECT_EQ(c.locate("vars#d"), "test.yaml:5");
  EXPECT_EQ(c.locate("vars#d#c"), "test.yaml:4");  // where the copied value was written
  // An alias as a key takes the anchored scalar's text.
  EXPECT_EQ(load("vars:\n  k: &k name\n  *k : 2\n").raw("vars#name").asInt(), 2);
  // A scalar anchored as a key is typed when used as a value.
  EXPECT_EQ(load("vars:\n  &n 5 : a\n  b: *n\n").raw("vars#b").asInt(), 5);
}

TEST(ConfigHostileYaml, BillionLaughsStopsAtTheNodeLimit) {
  std::string y = "vars:\n  l0: &l0 [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]\n";
  for (int i = 1; i <= 9; ++i) {
    y += "  l" + std::to_string(i) + ": &l" + std::to_string(i) + " [";
    for (int k = 0; k < 10; ++k) y += std::string(k ? ", " : "") + "*l" + std::to_string(i - 1);
    y += "]\n";
  }
  std::string e = loadError(y);
  EXPECT_NE(e.find("the config expands to more than " + std::to_string(limits::kMaxNodes) + " nodes"), npos)
      << e;
  EXPECT_NE(e.find("test.yaml:"), npos) << e;
  EXPECT_NE(e.find(": vars#l"), npos) << e;
  EXPECT_NE(e.find("at alias *l"), npos) << e;
  // The same doubling through aliases, for the byte limit: few nodes, long strings.
  std::string b = "vars:\n  s0: &s0 '" + std::string(1 << 20, 'x') + "'\n";
  for (int i = 1; i <= 7; ++i)
    b += "  s" + std::to_string(i) + ": &s" + std::to_string(i) + " [*s" + std::to_string(i - 1) + ", *s" +
         std::to_string(i - 1) + "]\n";
  std::string be = loadError(b);
  EXPECT_NE(be.find("bytes of keys, strings and id paths"), npos) << be;
}

TEST(ConfigHostileYaml, MacroDoublingStopsAtTheNodeLimit) {
  std::string e = loadError(doubling("%", 40, 2));
  EXPECT_NE(e.find("`%` copies make the config larger than " + std::to_string(limits::kMaxNodes) + " nodes"),
            npos)
      << e;
  EXPECT_NE(e.find("test.yaml:"), npos) << e;
  EXPECT_NE(e.find("at macro '%vars#l"), npos) << e;
  // Below the limit, copies are made in full.
  Config ok = load(doubling("%", 10, 2));
  EXPECT_EQ(ok.raw("vars#l10#1#1#1#1#1#1#1#1#1#1#1").asInt(), 1);
}

TEST(ConfigHostileYaml, PrintConfigOfDoublingReferencesStops) {
  Config c = load(doubling("@", 40, 2));
  c.validate();
  // Resolving shares structure: cheap, and what an error message shows of it stays short.
  Value v = c.resolve("vars#l40");
  EXPECT_LT(v.repr().size(), 400u);
  std::string e = errorOf<ConfigError>([&] { c.printResolved(); });
  EXPECT_NE(
      e.find("the resolved config to print has more than " + std::to_string(limits::kMaxNodes) + " nodes"),
      npos)
      << e;
  EXPECT_NE(e.find("test.yaml:"), npos) << e;
  EXPECT_NE(e.find(": vars#l"), npos) << e;
  EXPECT_NE(load(doubling("@", 5, 2)).printResolved().find("l5:"), npos);
}

TEST(ConfigHostileYaml, LongPlainScalarsAreTypedInLinearTime) {
  const std::string digits(50000, '7');
  Config c = load("vars:\n  big: " + digits + "\n  huge: 1" + std::string(50000, '0') + ".5\n  tiny: 0." +
                  std::string(50000, '0') + "1\n  word: " + std::string(50000, 'w') + "\n");
  // An integer beyond 64 bits stays a string (as in YAML 1.2 there is no such int here).
  EXPECT_EQ(c.raw("vars#big").asString(), digits);
  EXPECT_TRUE(std::isinf(c.raw("vars#huge").asDouble()));  // Python's float() gives inf too
  EXPECT_EQ(c.raw("vars#tiny").asDouble(), 0.0);
  EXPECT_EQ(c.raw("vars#word").asString().size(), 50000u);
}

TEST(ConfigHostileYaml, ScalarTypingKeepsYaml12NumbersAndPyYamlBooleans) {
  Config c = load(
      "vars: [1, -2, +3, 007, 1.5, .5, 5., -1e-6, 1E3, 1e999, -1.0e999, 1e-400, .inf, -.Inf, +.INF, .nan,"
      " yes, Off, TRUE, null, ~, Null, '1', 1e, 0x10, 1_000, inf, nan, +-1, 9223372036854775807,"
      " -9223372036854775808, 9223372036854775808, 5e-324]\n");
  const Value l = c.raw("vars");
  auto at = [&](size_t i) { return l.asList().at(i); };
  EXPECT_EQ(at(0).asInt(), 1);
  EXPECT_EQ(at(1).asInt(), -2);
  EXPECT_EQ(at(2).asInt(), 3);
  EXPECT_EQ(at(3).asInt(), 7);
  EXPECT_EQ(at(4).asDouble(), 1.5);
  EXPECT_EQ(at(5).asDouble(), 0.5);
  EXPECT_TRUE(at(6).isFloat());
  EXPECT_EQ(at(6).asDouble(), 5.0);
  EXPECT_EQ(at(7).asDouble(), -1e-6);
  EXPECT_EQ(at(8).asDouble(), 1000.0);
  EXPECT_EQ(at(9).asDouble(), std::numeric_limits<double>::infinity());
  EXPECT_EQ(at(10).asDouble(), -std::numeric_limits<double>::infinity());
  EXPECT_EQ(at(11).asDouble(), 0.0);
  EXPECT_EQ(at(12).asDouble(), std::numeric_limits<double>::infinity());
  EXPECT_EQ(at(13).asDouble(), -std::numeric_limits<double>::infinity());
  EXPECT_EQ(at(14).asDouble(), std::numeric_limits<double>::infinity());
  EXPECT_TRUE(std::isnan(at(15).asDouble()));
  EXPECT_EQ(at(16).asBool(), true);
  EXPECT_EQ(at(17).asBool(), false);
  EXPECT_EQ(at(18).asBool(), true);
  EXPECT_TRUE(at(19).isNull());
  EXPECT_TRUE(at(20).isNull());
  EXPECT_TRUE(at(21).isNull());
  for (size_t i = 22; i <= 28; ++i) EXPECT_TRUE(at(i).isString()) << i << " " << at(i).repr();
  EXPECT_EQ(at(29).asInt(), std::numeric_limits<int64_t>::max());
  EXPECT_EQ(at(30).asInt(), std::numeric_limits<int64_t>::min());
  EXPECT_EQ(at(31).asString(), "9223372036854775808");
  EXPECT_EQ(at(32).asDouble(), 5e-324);
  // A subnormal float prints and reads back (it used to end in std::stod's out_of_range).
  EXPECT_NE(load("vars: {x: 5e-324}\n").printResolved().find("x: 5.0e-324"), npos);
}

TEST(ConfigHostileYaml, NestingDepthIsLimited) {
  auto nested = [](size_t n) { return "vars: " + std::string(n, '[') + std::string(n, ']') + "\n"; };
  std::string e = loadError(nested(limits::kMaxDepth + 10));
  EXPECT_NE(e.find("test.yaml:1: vars#0#0#0"), npos) << e.substr(0, 300);
  EXPECT_NE(e.find("nested deeper than " + std::to_string(limits::kMaxDepth) + " levels"), npos)
      << e.substr(0, 300);
  EXPECT_NO_THROW(load(nested(limits::kMaxDepth - 2)));
  // Far deeper than yaml-cpp's own guard: still one error, no crash.
  EXPECT_NE(loadError(nested(100000)).find("test.yaml:1"), npos);
}

TEST(ConfigHostileYaml, WideMapsLoadAndStillFindDuplicates) {
  std::string y = "vars:\n";
  for (int i = 0; i < 100000; ++i) y += "  k" + std::to_string(i) + ": " + std::to_string(i) + "\n";
  Config c = load(y);
  c.validate();
  EXPECT_EQ(c.raw("vars#k99999").asInt(), 99999);
  EXPECT_EQ(c.resolve("vars").asMap().size(), 100000u);
  std::string d = loadError(y + "  k5: again\n");
  EXPECT_NE(d.find("test.yaml:100002: vars#k5: duplicate key 'k5'"), npos) << d;
}

TEST(ConfigHostileYaml, LongOverrideValues) {
  std::string list = "[";
  for (int i = 0; i < 50000; ++i) list += std::string(i ? "," : "") + "1";
  list += "]";
  Config c = withOverride("vars: {x: 1}\n", "vars#x", list);
  EXPECT_EQ(c.raw("vars#x").asList().size(), 50000u);
  // A long value in an error message is cut short.
  std::string e = errorOf<ConfigError>([&] { withOverride("vars: {x: 1}\n", "vars#x", list + "]"); });
  EXPECT_NE(e.find("override --vars#x=[1,1"), npos) << e.substr(0, 300);
  EXPECT_LT(e.size(), 600u) << e.substr(0, 300);
}

TEST(ConfigHostileYaml, OversizedFilesAreRefusedBeforeParsing) {
  auto dir = fmcib::test::tempDir("cfg-big");
  const std::string path = (dir / "big.yaml").string();
  {
    std::ofstream out(path);
    out << "vars:\n  x: 1\n# " << std::string(limits::kMaxFileBytes, 'x') << "\n";
  }
  std::string e = errorOf<ConfigError>([&] { Config::load({path}, {}, fmcib::test::testRegistry()); });
  EXPECT_NE(e.find(path + ": "), npos) << e;
  EXPECT_NE(e.find("limits::kMaxFileBytes"), npos) << e;
}

TEST(ConfigHostileYaml, ComplexKeysAreRefused) {
  std::string e = loadError("vars:\n  ? [a, b]\n  : 1\n");
  EXPECT_NE(e.find("test.yaml:2: vars: a mapping key must be a scalar"), npos) << e;
}

TEST(ConfigHostileYaml, PlusMergeOfWideMapsKeepsEachKeysLocation) {
  std::string a = "vars:\n", b = "+vars:\n";
  for (int i = 0; i < 30000; ++i) {
    a += "  k" + std::to_string(i) + ": " + std::to_string(i) + "\n";
    b += "  m" + std::to_string(i) + ": " + std::to_string(i) + "\n";
  }
  b += "  k5: changed\n";
  Config c = Config::fromStrings({{"a.yaml", a}, {"b.yaml", b}, {"c.yaml", "+vars: {l: [1]}\n"}}, {},
                                 fmcib::test::testRegistry());
  EXPECT_EQ(c.raw("vars").asMap().size(), 60001u);
  EXPECT_EQ(c.raw("vars#k5").asString(), "changed");
  EXPECT_EQ(c.locate("vars#k5"), "b.yaml:30002");
  EXPECT_EQ(c.locate("vars#k7"), "a.yaml:9");  // untouched keys keep their own file and line
  EXPECT_EQ(c.locate("vars#m3"), "b.yaml:5");
  EXPECT_EQ(c.locate("vars#l"), "c.yaml:1");
}
