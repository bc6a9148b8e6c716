// Bounded fuzzing of the config parsers: YAML loading, merging of several files, command-line
// overrides, `$` expressions and `@`/`%` resolution. Thousands of mutated inputs from fixed seeds;
// each must load (and resolve, print) or throw one of fmcib's typed errors: never another
// exception, a crash or a hang.
#include <gtest/gtest.h>

#include <random>

#include "config_test_support.hpp"
#include "fmcib/config/expression.hpp"

using fmcib::config::Config;
using fmcib::config::Value;

namespace {

const char* kBase = R"Y(vars:
  bs: 32
  devices: 2
  lr: "$((@vars#bs * @vars#devices)/256) * 0.3"
  data: {_target_: test.Dataset, n: 100}
  steps: "$10 * len(@vars#data)//(@vars#bs)"
  t: &thing {_target_: test.Thing, a: 1, b: 2.5, items: [1, "@vars#bs"], child: {_target_: test.Thing, a: 2}}
  again: *thing
  copy: "%vars#t"
  rel: "@#bs"
  up: {x: "@##bs", y: "%##devices"}
  f: "$lambda x: math.twice(x)"
  l: [1, 2.5, -3, "s", null, true, [4, [5]]]
  big: [9223372036854775807, -9223372036854775808, 1e308, 5e-324]
system: {_target_: test.Section, datasets: {train: "@vars#data", val: null}}
)Y";

const char* kSecond = R"Y(+vars: {extra: [1, 2], bs: 16}
vars#devices: 4
)Y";

const std::vector<std::string> kJunk = {"@",
                                        "@#",
                                        "@##",
                                        "@vars#",
                                        "%",
                                        "%#",
                                        "$",
                                        "$(",
                                        "$)",
                                        "#",
                                        ":",
                                        "- ",
                                        "{",
                                        "}",
                                        "[",
                                        "]",
                                        "'",
                                        "\"",
                                        "*",
                                        "**",
                                        "//",
                                        "&a ",
                                        "*a",
                                        "&b [*b]",
                                        "!",
                                        "!!str ",
                                        "? ",
                                        "\n",
                                        "  ",
                                        "\t",
                                        "lambda",
                                        "_target_",
                                        "@vars#t",
                                        "%vars#copy",
                                        "$len(",
                                        "0",
                                        "-1",
                                        "1e999",
                                        "-0.0",
                                        "99999999999999999999",
                                        "9223372036854775807",
                                        ".inf",
                                        ".nan",
                                        "~",
                                        "<<: ",
                                        "---\n",
                                        "...\n",
                                        "%YAML 1.2\n",
                                        "#comment",
                                        "\\",
                                        "\x01",
                                        "\xff",
                                        "@vars#l#9",
                                        "@vars#l#-1",
                                        "+",
                                        "+vars",
                                        "vars#bs: ",
                                        "$@vars#t.x()",
                                        "$round(1.5, 400)",
                                        "$2**64",
                                        "$-(-9223372036854775807-1)"};

std::string mutate(std::string s, std::mt19937& rng) {
  const int edits = rng() % 4 == 0 ? 2 + static_cast<int>(rng() % 3) : 1;
  for (int k = 0; k < edits; ++k) {
    const size_t pos = rng() % (s.size() + 1);
    switch (rng() % 7) {
      case 0:
        s = s.substr(0, pos);
        break;
      case 1:
        s.insert(pos, kJunk[rng() % kJunk.size()]);
        break;
      case 2:
        if (pos < s.size()) s.erase(pos, 1 + rng() % 8);
        break;
      case 3: {  // a value of another type
        const size_t colon = s.find(": ", pos);
        if (colon != std::string::npos) s.insert(colon + 2, kJunk[rng() % kJunk.size()]);
        break;
      }
      case 4:  // a random byte
        if (pos < s.size()) s[pos] = static_cast<char>(rng() % 256);
        break;
      case 5: {  // repeat a stretch (repetition is what multiplies)
        const size_t len = std::min<size_t>(1 + rng() % 40, s.size() - std::min(pos, s.size()));
        const std::string part = s.substr(pos, len);
        for (int r = 0, n = 1 + static_cast<int>(rng() % 6); r < n; ++r) s.insert(pos, part);
        break;
      }
      case 6:  // deep nesting
        s.insert(pos, std::string(1 + rng() % 400, "[{("[rng() % 3]));
        break;
    }
  }
  return s;
}

// Exercises everything a command does with a config; returns normally or throws.
void exercise(const Config& c) {
  try {
    c.validate();
  } catch (const fmcib::ConfigError&) {
    // resolve anyway: a config that fails validation must still fail cleanly when resolved
  }
  if (c.contains("vars")) {
    const Value vars = c.raw("vars");
    if (vars.isMap())
      for (const auto& kv : vars.asMap()) {
        try {
          Value v = c.resolve("vars#" + kv.first);
          v.repr();
          if (v.holds<fmcib::config::Lambda>()) (*v.as<fmcib::config::Lambda>())(Value(3));
        } catch (const fmcib::Error&) {
        }
      }
  }
  c.printResolved();
}

template <class F>
void expectCleanOutcome(int i, const std::string& input, int& ok, int& rejected, F&& run) {
  try {
    run();
    ++ok;
  } catch (const fmcib::Error&) {
    ++rejected;
  } catch (const std::exception& e) {
    ADD_FAILURE() << "case " << i << " threw a non-fmcib error: " << e.what() << "\n---\n"
                  << input.substr(0, 2000);
  }
}

}  // namespace

TEST(ConfigFuzz, BaseIsValid) {
  Config c = Config::fromStrings({{"a.yaml", kBase}, {"b.yaml", kSecond}}, {}, fmcib::test::testRegistry());
  c.validate();
  exercise(c);
}

TEST(ConfigFuzz, MutatedFilesMergesAndOverrides) {
  std::mt19937 rng(20240613);
  const std::vector<std::string> paths = {"vars#bs",
                                          "vars#l#1",
                                          "vars#t#items",
                                          "vars#up#x",
                                          "vars#nope#x",
                                          "vars#l#99999999999999999999",
                                          "system#datasets#train",
                                          "vars#big#0"};
  int ok = 0, rejected = 0;
  constexpr int kCases = 2500;
  for (int i = 0; i < kCases; ++i) {
    std::vector<std::pair<std::string, std::string>> files = {{"a.yaml", mutate(kBase, rng)}};
    if (rng() % 3 == 0) files.emplace_back("b.yaml", mutate(kSecond, rng));
    std::vector<fmcib::config::Override> overrides;
    if (rng() % 3 == 0)
      overrides.push_back({paths[rng() % paths.size()], mutate(kJunk[rng() % kJunk.size()] + "1", rng)});
    expectCleanOutcome(i, files[0].second, ok, rejected,
                       [&] { exercise(Config::fromStrings(files, overrides, fmcib::test::testRegistry())); });
  }
  EXPECT_EQ(ok + rejected, kCases);
  EXPECT_GT(ok, kCases / 10);
  EXPECT_GT(rejected, kCases / 10);
}

TEST(ConfigFuzz, RandomExpressions) {
  const std::vector<std::string> atoms = {
      "0",       "1",       "-1",      "2",       "3",       "7",
      "0.1",     "2.5",     "1e308",   "5e-324",  "1e999",   "9223372036854775807",
      "True",    "False",   "None",    "'s'",     "\"t\"",   "@vars#n",
      "@vars#f", "@vars#l", "@vars#s", "@vars#d", "@vars#x", "x",
      "[]",      "[1, 2]"};
  const std::vector<std::string> ops = {"+", "-", "*", "/", "//", "%", "**"};
  const std::vector<std::string> fns = {"len", "int", "float",      "round", "min",
                                        "max", "abs", "math.twice", "nope"};
  std::mt19937 rng(777);
  std::function<std::string(int)> gen = [&](int depth) -> std::string {
    const unsigned pick = depth > 6 ? 0 : rng() % 9;
    switch (pick) {
      case 0:
      case 1:
        return atoms[rng() % atoms.size()];
      case 2:
      case 3:
        return gen(depth + 1) + " " + ops[rng() % ops.size()] + " " + gen(depth + 1);
      case 4:
        return "(" + gen(depth + 1) + ")";
      case 5:
        return std::string(rng() % 3 ? "-" : "+") + gen(depth + 1);
      case 6: {
        std::string call = fns[rng() % fns.size()] + "(" + gen(depth + 1);
        if (rng() % 2) call += ", " + gen(depth + 1);
        return call + ")";
      }
      case 7:
        return "[" + gen(depth + 1) + ", " + gen(depth + 1) + "][" + gen(depth + 1) + "]";
      default:
        return rng() % 4 ? gen(depth + 1) + ".squeeze()" : "lambda x: " + gen(depth + 1);
    }
  };
  int ok = 0, rejected = 0;
  constexpr int kCases = 4000;
  for (int i = 0; i < kCases; ++i) {
    std::string expr = gen(0);
    if (rng() % 4 == 0) expr = mutate(expr, rng);
    std::string quoted;
    for (char ch : expr) quoted += ch == '\'' ? std::string("''") : std::string(1, ch);
    const std::string yaml =
        "vars:\n  n: 5\n  f: 2.5\n  l: [1, 2, 3]\n  s: abc\n  d: {_target_: test.Dataset, n: 4}\n"
        "  x: '$" +
        quoted + "'\n";
    expectCleanOutcome(i, expr, ok, rejected, [&] {
      Config c = fmcib::test::load(yaml);
      try {
        c.validate();
      } catch (const fmcib::ConfigError&) {
      }
      Value v = c.resolve("vars#x");
      v.repr();
      if (v.holds<fmcib::config::Lambda>()) (*v.as<fmcib::config::Lambda>())(Value(int64_t{3}));
    });
  }
  EXPECT_EQ(ok + rejected, kCases);
  EXPECT_GT(ok, kCases / 20);
  EXPECT_GT(rejected, kCases / 10);
}
