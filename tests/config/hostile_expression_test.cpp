// `$` expressions against hostile input and Python's integer and float semantics. Expected values
// are CPython 3.11's (`python3 -c 'print(repr(<expr>))'`); where CPython's answer is an int that
// does not fit in 64 bits, fmcib raises an error naming the operation instead.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "config_test_support.hpp"
#include "fmcib/config/limits.hpp"
#include "support/errors.hpp"

using fmcib::ConfigError;
using fmcib::config::Config;
using fmcib::config::Value;
using fmcib::test::errorOf;
namespace limits = fmcib::config::limits;

using fmcib::test::npos;

namespace {

Value eval(const std::string& expr) {
  return fmcib::test::load("vars:\n  x: '$" + expr + "'\n").resolve("vars#x");
}
std::string evalError(const std::string& expr) {
  return errorOf<ConfigError>([&] { eval(expr); });
}
std::string repeat(const std::string& s, size_t n) {
  std::string out;
  out.reserve(s.size() * n);
  for (size_t i = 0; i < n; ++i) out += s;
  return out;
}

}  // namespace

TEST(ConfigHostileExpression, DeepNestingIsAnErrorNotACrash) {
  const std::string tooDeep = "nested deeper than " + std::to_string(limits::kMaxExpressionDepth) + " levels";
  std::string p = evalError(repeat("(", 100000) + "1" + repeat(")", 100000));
  EXPECT_NE(p.find("test.yaml:2: vars#x: unsupported expression '$((((("), npos) << p.substr(0, 300);
  EXPECT_NE(p.find(tooDeep), npos) << p.substr(0, 300);
  EXPECT_LT(p.size(), 1000u);  // the expression is quoted shortened
  EXPECT_NE(evalError("[1]" + repeat("[0]", 100000)).find(tooDeep), npos);
  EXPECT_NE(evalError(repeat("[", 100000)).find(tooDeep), npos);
  EXPECT_NE(evalError("2" + repeat("**2", 100000)).find(tooDeep), npos);
  EXPECT_NE(evalError("len" + repeat("(len", 100000)).find(tooDeep), npos);
  // What CPython accepts (up to 200 nested parentheses) still works.
  EXPECT_EQ(
      eval(repeat("(", limits::kMaxExpressionDepth) + "1" + repeat(")", limits::kMaxExpressionDepth)).asInt(),
      1);
  Value lists = eval(repeat("[", limits::kMaxExpressionDepth) + repeat("]", limits::kMaxExpressionDepth));
  size_t depth = 1;
  for (; !lists.asList().empty(); ++depth) lists = lists.asList()[0];
  EXPECT_EQ(depth, limits::kMaxExpressionDepth);
}

TEST(ConfigHostileExpression, LongFlatChainsEvaluate) {
  EXPECT_EQ(eval("1" + repeat("+1", 100000 - 1)).asInt(), 100000);
  EXPECT_EQ(eval("1" + repeat("*1", 100000)).asInt(), 1);
  EXPECT_EQ(eval(repeat("-", 100001) + "1").asInt(), -1);
  EXPECT_EQ(eval(repeat("-", 100000) + "1").asInt(), 1);
  EXPECT_EQ(eval("10 - 2 - 3 + 1").asInt(), 6);  // still left-associative
  EXPECT_EQ(eval("100 // 7 % 4 * 3").asInt(), 6);
  EXPECT_EQ(eval("-2 ** 2").asInt(), -4);
  EXPECT_EQ(eval("2 ** -1").asDouble(), 0.5);
  EXPECT_EQ(eval("2 ** 3 ** 2").asInt(), 512);
  EXPECT_EQ(eval("[1][0]").asInt(), 1);
  EXPECT_NE(evalError("[1][0][0]").find("cannot index int"), npos);
}

TEST(ConfigHostileExpression, IntegerOverflowIsAnErrorNamingTheExpression) {
  for (const char* expr : {"(-9223372036854775807-1)//-1", "9223372036854775807*2", "9223372036854775807+1",
                           "-9223372036854775807-2", "2**1000000000000000000", "2**63", "3**40",
                           "-(-9223372036854775807-1)", "abs(-9223372036854775807-1)", "int(1e300)",
                           "round(1e300)", "round(9223372036854775807, -19)", "int(-9.3e18)"}) {
    std::string e = evalError(expr);
    EXPECT_NE(e.find("integer overflow"), npos) << expr << ": " << e;
    EXPECT_NE(e.find("test.yaml:2: vars#x"), npos) << expr << ": " << e;
    EXPECT_NE(e.find(std::string("(in '$") + expr + "')"), npos) << expr << ": " << e;
  }
  EXPECT_NE(evalError("9223372036854775808").find("does not fit in 64 bits"), npos);
}

TEST(ConfigHostileExpression, IntegerResultsMatchPython) {
  const std::vector<std::pair<const char*, int64_t>> cases = {
      {"(-9223372036854775807-1)%-1", 0},
      {"7 % -1", 0},
      {"(-9223372036854775807-1)//1", std::numeric_limits<int64_t>::min()},
      {"(-2)**63", std::numeric_limits<int64_t>::min()},
      {"2**62", int64_t{1} << 62},
      {"(-1)**1000000000000000001", -1},
      {"1**1000000000000000000", 1},
      {"0**1000000000000000000", 0},
      {"0**0", 1},
      {"5 % -3", -1},
      {"-5 // 3", -2},
      {"-5 % 3", 1},
      {"True+True", 2},
      {"+True", 1},
      {"int(True)", 1},
      {"int(-0.9)", 0},
      {"int(-9.2e18)", -9200000000000000000},
      {"round(0.5)", 0},
      {"round(1.5)", 2},
      {"round(2.5)", 2},
      {"round(-0.5)", 0},
      {"round(15, -1)", 20},
      {"round(25, -1)", 20},
      {"round(-15, -1)", -20},
      {"round(5, 2)", 5},
      {"round(2, -19)", 0},
      {"round(9223372036854775807)", std::numeric_limits<int64_t>::max()},
      {"abs(-9223372036854775807)", std::numeric_limits<int64_t>::max()},
      {"min(1, 1.0)", 1},
  };
  for (const auto& [expr, expected] : cases) {
    Value v = eval(expr);
    ASSERT_TRUE(v.isInt()) << expr << " = " << v.repr();
    EXPECT_EQ(v.asInt(), expected) << expr;
  }
}

TEST(ConfigHostileExpression, FloatResultsMatchPython) {
  const double inf = std::numeric_limits<double>::infinity();
  const std::vector<std::pair<const char*, double>> cases = {
      {"round(1.5, 400)", 1.5},
      {"round(2.675, 2)", 2.67},
      {"round(15.0, -1)", 20.0},
      {"round(25.0, -1)", 20.0},
      {"round(5.0, -1)", 0.0},
      {"round(1.5, True)", 1.5},
      {"round(0.125, 2)", 0.12},
      {"round(0.375, 2)", 0.38},
      {"round(1.0, -400)", 0.0},
      {"round(-1.0, -400)", -0.0},
      {"round(123.456, -2)", 100.0},
      {"round(0.1 + 0.2, 15)", 0.3},
      {"1 // 0.1", 9.0},
      {"1 % 0.1", 0.09999999999999995},
      {"-7 // 2.0", -4.0},
      {"-7 % 2.0", 1.0},
      {"7 % -2.0", -1.0},
      {"0.0 % -1.0", -0.0},
      {"-0.0 // 1.0", -0.0},
      {"5.5 // -2", -3.0},
      {"10 ** -400", 0.0},
      {"2 ** -1", 0.5},
      {"2 ** 0.5", 1.4142135623730951},
      {"1e308 * 10", inf},
      {"1e999", inf},
      {"max(1.0, 1)", 1.0},
      {"9007199254740993 / 1", 9007199254740992.0},
      {"7 / 2", 3.5},
  };
  for (const auto& [expr, expected] : cases) {
    Value v = eval(expr);
    ASSERT_TRUE(v.isFloat()) << expr << " = " << v.repr();
    EXPECT_EQ(v.asDouble(), expected) << expr;
    EXPECT_EQ(std::signbit(v.asDouble()), std::signbit(expected)) << expr;
  }
}

TEST(ConfigHostileExpression, PythonErrorsStayErrors) {
  const std::vector<std::pair<const char*, const char*>> cases = {
      {"1/0", "division by zero"},
      {"1 // 0", "integer division or modulo by zero"},
      {"1 % 0", "integer division or modulo by zero"},
      {"1.5 // 0", "float floor division by zero"},
      {"1.5 % 0", "float modulo by zero"},
      {"0 ** -1", "0.0 cannot be raised to a negative power"},
      {"0.0 ** -1", "0.0 cannot be raised to a negative power"},
      {"(-8) ** 0.5", "complex number"},
      {"10.0 ** 400", "float overflow"},
      {"round(1.7976931348623157e308, -308)", "rounded value too large to represent"},
      {"round(1.5, 2.0)", "ndigits must be an integer"},
      {"-\"a\"", "unary - needs numbers"},
      {"+[1]", "unary + needs numbers"},
  };
  for (const auto& [expr, message] : cases) {
    std::string e = evalError(expr);
    EXPECT_NE(e.find(message), npos) << expr << ": " << e;
    EXPECT_NE(e.find("vars#x"), npos) << expr << ": " << e;
  }
}

TEST(ConfigHostileExpression, DoublingConcatenationStopsAtTheLimit) {
  std::string y = "vars:\n  l0: [1, 1]\n  s0: 'ab'\n";
  for (int i = 1; i <= 40; ++i) {
    const std::string prev = std::to_string(i - 1);
    y += "  l" + std::to_string(i) + ": '$@vars#l" + prev + " + @vars#l" + prev + "'\n";
    y += "  s" + std::to_string(i) + ": '$@vars#s" + prev + " + @vars#s" + prev + "'\n";
  }
  Config c = fmcib::test::load(y);
  std::string l = errorOf<ConfigError>([&] { c.resolve("vars#l40"); });
  EXPECT_NE(l.find("list concatenation longer than " + std::to_string(limits::kMaxExpressionItems)), npos)
      << l;
  std::string s = errorOf<ConfigError>([&] { c.resolve("vars#s40"); });
  EXPECT_NE(s.find("string concatenation longer than"), npos) << s;
  EXPECT_EQ(c.resolve("vars#l10").asList().size(), 2048u);
}
