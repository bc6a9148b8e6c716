// Every config error names its file, key path (and line where known).
#include <gtest/gtest.h>

#include <fstream>
#include <random>

#include "config_test_support.hpp"
#include "support/paths.hpp"

using fmcib::ConfigError;
using fmcib::config::Config;
using fmcib::test::load;

namespace {

// The message of the ConfigError that `fn` throws ("" when it does not throw one).
template <class F>
std::string configErrorOf(F&& fn) {
  try {
    fn();
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

std::string validateError(const std::string& yaml) {
  return configErrorOf([&] { load(yaml).validate(); });
}

}  // namespace

TEST(ConfigErrors, UnknownTopLevelKey) {
  std::string e = validateError("vars: {}\nsystm: {}\n");
  EXPECT_NE(e.find("test.yaml:2: systm: unknown top-level key 'systm'"), std::string::npos) << e;
  EXPECT_NE(e.find("accepted: trainer, system"), std::string::npos) << e;
}

TEST(ConfigErrors, UnknownTarget) {
  std::string e = validateError("vars:\n  t: {_target_: test.Thign, a: 1}\n");
  EXPECT_NE(e.find("vars#t#_target_: unknown _target_ 'test.Thign'"), std::string::npos) << e;
  EXPECT_NE(e.find("test.Thing"), std::string::npos) << e;
}

TEST(ConfigErrors, UnknownArgumentsAllListedTogether) {
  std::string e = validateError("vars:\n  t:\n    _target_: test.Thing\n    a: 1\n    bb: 2\n    cc: 3\n");
  EXPECT_NE(e.find("2 problems"), std::string::npos) << e;
  EXPECT_NE(
      e.find("test.yaml:5: vars#t#bb: unknown argument 'bb' of test.Thing (accepted: a, b, items, child)"),
      std::string::npos)
      << e;
  EXPECT_NE(e.find("vars#t#cc"), std::string::npos) << e;
}

TEST(ConfigErrors, UnknownKeyInDeclaredSection) {
  std::string e = validateError("vars:\n  s: {_target_: test.Section, datasets: {train: 1, tset: 2}}\n");
  EXPECT_NE(e.find("vars#s#datasets#tset: unknown argument 'tset'"), std::string::npos) << e;
}

TEST(ConfigErrors, WrongTypeStaticAndAtBuild) {
  std::string e = validateError("vars:\n  t: {_target_: test.Thing, a: abc, b: [1]}\n");
  EXPECT_NE(e.find("vars#t#a: wrong type for 'a' of test.Thing: expected int, got string 'abc'"),
            std::string::npos)
      << e;
  EXPECT_NE(e.find("vars#t#b: wrong type"), std::string::npos) << e;
  // A reference is checked when it is resolved.
  Config c = load("vars:\n  s: text\n  t: {_target_: test.Thing, a: '@vars#s'}\n");
  c.validate();
  std::string b = configErrorOf([&] { c.resolve("vars#t"); });
  EXPECT_NE(b.find("vars#t#a: expected int, got string 'text'"), std::string::npos) << b;
}

TEST(ConfigErrors, MissingRequiredArgument) {
  std::string e = validateError("vars:\n  t: {_target_: test.Thing}\n");
  EXPECT_NE(e.find("vars#t: missing required argument 'a' of test.Thing"), std::string::npos) << e;
}

TEST(ConfigErrors, MissingReference) {
  std::string e = validateError("vars:\n  a: 1\n  b: '@vars#c'\n");
  EXPECT_NE(e.find("test.yaml:3: vars#b: missing reference @vars#c"), std::string::npos) << e;
  std::string r = configErrorOf([] { load("vars:\n  a: 1\n  b: '@vars#c'\n").resolve("vars#b"); });
  EXPECT_NE(r.find("vars#b: missing reference @vars#c: no such key path ('vars' has: a, b)"),
            std::string::npos)
      << r;
  std::string x = validateError("vars:\n  b: '$@vars#nope + 1'\n");
  EXPECT_NE(x.find("vars#b: missing reference @vars#nope"), std::string::npos) << x;
}

TEST(ConfigErrors, ReferenceCycle) {
  const char* yaml = "vars:\n  a: '@vars#b'\n  b: '$@vars#c + 1'\n  c: '@vars#a'\n";
  std::string e = validateError(yaml);
  EXPECT_NE(e.find("reference cycle"), std::string::npos) << e;
  EXPECT_NE(e.find("vars#a -> vars#b -> vars#c -> vars#a"), std::string::npos) << e;
  std::string r = configErrorOf([&] { load(yaml).resolve("vars#a"); });
  EXPECT_NE(r.find("reference cycle: vars#a -> vars#b -> vars#c -> vars#a"), std::string::npos) << r;
  std::string m = configErrorOf([] { load("vars:\n  a: '%vars#b'\n  b: '%vars#a'\n"); });
  EXPECT_NE(m.find("macro cycle"), std::string::npos) << m;
}

TEST(ConfigErrors, UnsupportedExpression) {
  std::string e = validateError("vars:\n  x: '$__import__(\"os\").system(\"ls\")'\n");
  EXPECT_NE(e.find("vars#x: unsupported expression"), std::string::npos) << e;
  EXPECT_NE(e.find("Supported forms"), std::string::npos) << e;
  std::string s = validateError("vars:\n  x: '$1 +* 2'\n");
  EXPECT_NE(s.find("vars#x: unsupported expression '$1 +* 2'"), std::string::npos) << s;
  std::string m = validateError("vars:\n  x: '$@vars#y.explode()'\n  y: 1\n");
  EXPECT_NE(m.find("unknown method '.explode()'"), std::string::npos) << m;
}

TEST(ConfigErrors, OverrideOfNonExistentPath) {
  std::string e = configErrorOf([] {
    Config::fromStrings({{"a.yaml", "vars: {a: 1}\n"}}, {{"vars#nope#x", "1"}}, fmcib::test::testRegistry());
  });
  EXPECT_NE(e.find("--vars#nope#x"), std::string::npos) << e;
  EXPECT_NE(e.find("parent path 'vars#nope' does not exist"), std::string::npos) << e;
  std::string l = configErrorOf([] {
    Config::fromStrings({{"a.yaml", "vars: {l: [1]}\n"}}, {{"vars#l#5", "1"}}, fmcib::test::testRegistry());
  });
  EXPECT_NE(l.find("'5' is not an index of the 1-element list at 'vars#l'"), std::string::npos) << l;
}

TEST(ConfigErrors, MalformedYamlNamesFileAndLine) {
  std::string e = configErrorOf([] { load("vars:\n  a: [1, 2\n  b: 3\n"); });
  EXPECT_NE(e.find("test.yaml:"), std::string::npos) << e;
  EXPECT_NE(e.find("malformed YAML"), std::string::npos) << e;
  std::string d = configErrorOf([] { load("vars:\n  a: 1\n  a: 2\n"); });
  EXPECT_NE(d.find("test.yaml:3: vars#a: duplicate key 'a'"), std::string::npos) << d;
}

TEST(ConfigErrors, MissingFile) {
  std::string e =
      configErrorOf([] { Config::load({"/nonexistent/dir/cfg.yaml"}, {}, fmcib::test::testRegistry()); });
  EXPECT_NE(e.find("config file '/nonexistent/dir/cfg.yaml' does not exist"), std::string::npos) << e;
}

TEST(ConfigErrors, FilesOnDiskCarryTheirNames) {
  auto dir = fmcib::test::tempDir("cfg");
  std::ofstream(dir / "a.yaml") << "vars:\n  a: 1\n";
  std::ofstream(dir / "b.yaml") << "vars:\n  t: {_target_: test.Thing, a: 1, zz: 2}\n";
  std::string e = configErrorOf([&] {
    Config::load({(dir / "a.yaml").string(), (dir / "b.yaml").string()}, {}, fmcib::test::testRegistry())
        .validate();
  });
  EXPECT_NE(e.find((dir / "b.yaml").string() + ":2: vars#t#zz: unknown argument 'zz'"), std::string::npos)
      << e;
}

// Randomly mutated configs either load (and resolve) or throw the project's ConfigError: never
// crash, hang or throw anything else.
TEST(ConfigFuzz, MutatedConfigsLoadOrThrowConfigError) {
  const std::string base = R"Y(vars:
  bs: 32
  devices: 2
  lr: "$((@vars#bs * @vars#devices)/256) * 0.3"
  data: {_target_: test.Dataset, n: 100}
  steps: "$10 * len(@vars#data)//(@vars#bs)"
  t: {_target_: test.Thing, a: 1, b: 2.5, items: [1, "@vars#bs"], child: {_target_: test.Thing, a: 2}}
  copy: "%vars#t"
  rel: "@#bs"
  f: "$lambda x: math.twice(x)"
)Y";
  const std::vector<std::string> junk = {
      "@",      "@#",       "@##", "@vars#", "%",       "%#",         "$",     "$(", "$)", "$@vars#t.", "#",
      ":",      "- ",       "{",   "}",      "[",       "]",          "'",     "\"", "*",  "**",        "//",
      "lambda", "_target_", "\n",  "  ",     "@vars#t", "%vars#copy", "$len(", "0",  "-1", "1e999"};
  std::mt19937 rng(1234);
  int loaded = 0, rejected = 0;
  for (int i = 0; i < 300; ++i) {
    std::string s = base;
    int edits = 1 + static_cast<int>(rng() % 4);
    for (int k = 0; k < edits; ++k) {
      size_t pos = rng() % (s.size() + 1);
      switch (rng() % 4) {
        case 0:
          s = s.substr(0, pos);
          break;  // truncation
        case 1:
          s.insert(pos, junk[rng() % junk.size()]);
          break;
        case 2:
          if (pos < s.size()) s.erase(pos, 1 + rng() % 8);
          break;
        case 3: {  // swap a value's type
          size_t colon = s.find(": ", pos);
          if (colon != std::string::npos) s.insert(colon + 2, junk[rng() % junk.size()]);
          break;
        }
      }
    }
    try {
      Config c = fmcib::test::load(s);
      c.validate();
      for (const char* p : {"vars#lr", "vars#steps", "vars#t", "vars#copy", "vars#rel", "vars#f"})
        if (c.contains(p)) c.resolve(p);
      c.printResolved();
      ++loaded;
    } catch (const ConfigError&) {
      ++rejected;
    } catch (const std::exception& e) {
      ADD_FAILURE() << "mutation " << i << " threw a non-config error: " << e.what() << "\n---\n" << s;
    }
  }
  EXPECT_EQ(loaded + rejected, 300);
  EXPECT_GT(rejected, 50);
  EXPECT_GT(loaded, 10);
}

TEST(ConfigErrors, UnknownArgumentRejectedOnDirectResolveToo) {
  std::string e = configErrorOf(
      [] { load("vars:\n  t: {_target_: test.Thing, a: 1, probability: 2}\n").resolve("vars#t"); });
  EXPECT_NE(e.find("vars#t#probability: unknown argument 'probability' of test.Thing"), std::string::npos)
      << e;
}
