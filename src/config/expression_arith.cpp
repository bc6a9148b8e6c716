#include "expression_arith.hpp"

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <limits>

#include "fmcib/common/parse_number.hpp"
#include "fmcib/config/limits.hpp"

namespace fmcib::config::pyarith {

void evalError(const std::string& msg) {
  throw ConfigError("expression: " + msg);
}

namespace {

constexpr double kTwo63 = 9223372036854775808.0;  // 2**63

bool intLike(const Value& v) {
  return v.isInt() || v.isBool();
}
int64_t asInt(const Value& v) {
  return v.isBool() ? (v.asBool() ? 1 : 0) : v.asInt();
}
double asFloat(const Value& v, const std::string& op) {
  if (v.isBool()) return v.asBool() ? 1.0 : 0.0;
  if (!v.isNumber()) evalError(op + " needs numbers, got " + v.kindName() + " " + v.repr());
  return v.asDouble();
}

[[noreturn]] void overflow(const std::string& what) {
  evalError("integer overflow: " + what +
            " does not fit in 64 bits (Python's integers are unbounded, fmcib's are int64)");
}
std::string show(int64_t a, const std::string& op, int64_t b) {
  return std::to_string(a) + " " + op + " " + std::to_string(b);
}

int64_t intPow(int64_t base, int64_t exp) {
  if (base == 0) return exp == 0 ? 1 : 0;
  if (base == 1) return 1;
  if (base == -1) return (exp & 1) ? -1 : 1;
  // By squaring: |base| >= 2, so any overflow is real and comes within 63 steps.
  int64_t result = 1, x = base;
  for (uint64_t e = static_cast<uint64_t>(exp);;) {
    if ((e & 1) && __builtin_mul_overflow(result, x, &result)) overflow(show(base, "**", exp));
    e >>= 1;
    if (!e) return result;
    if (__builtin_mul_overflow(x, x, &x)) overflow(show(base, "**", exp));
  }
}

// CPython's float_pow.
double floatPow(double x, double y) {
  if (y == 0) return 1.0;
  if (x == 0 && y < 0) evalError("0.0 cannot be raised to a negative power");
  if (x < 0 && std::isfinite(x) && std::isfinite(y) && y != std::floor(y))
    evalError("a negative number to a fractional power is a complex number, which configs do not support");
  const double r = std::pow(x, y);
  if (std::isinf(r) && std::isfinite(x) && std::isfinite(y))
    evalError("float overflow: " + Value(x).repr() + " ** " + Value(y).repr() + " is out of range");
  return r;
}

// CPython's float_divmod: {floor quotient, remainder with the sign of y}.
std::pair<double, double> floatDivmod(double x, double y) {
  double mod = std::fmod(x, y);
  double div = (x - mod) / y;
  if (mod != 0) {
    if ((y < 0) != (mod < 0)) {
      mod += y;
      div -= 1.0;
    }
  } else {
    mod = std::copysign(0.0, y);
  }
  double floordiv;
  if (div != 0) {
    floordiv = std::floor(div);
    if (div - floordiv > 0.5) floordiv += 1.0;
  } else {
    floordiv = std::copysign(0.0, x / y);
  }
  return {floordiv, mod};
}

Value intBinary(const std::string& op, int64_t a, int64_t b) {
  int64_t r = 0;
  if (op == "+") {
    if (__builtin_add_overflow(a, b, &r)) overflow(show(a, op, b));
    return Value(r);
  }
  if (op == "-") {
    if (__builtin_sub_overflow(a, b, &r)) overflow(show(a, op, b));
    return Value(r);
  }
  if (op == "*") {
    if (__builtin_mul_overflow(a, b, &r)) overflow(show(a, op, b));
    return Value(r);
  }
  if (op == "/") {
    if (b == 0) evalError("division by zero");
    // Exact below 2**53 as in CPython; beyond, one extra rounding at most.
    return Value(static_cast<double>(static_cast<long double>(a) / static_cast<long double>(b)));
  }
  if (op == "//" || op == "%") {
    if (b == 0) evalError("integer division or modulo by zero");
    if (b == -1) {  // INT64_MIN / -1 traps in C++; Python's x % -1 is 0
      if (op == "%") return Value(int64_t{0});
      if (__builtin_sub_overflow(int64_t{0}, a, &r)) overflow(show(a, op, b));
      return Value(r);
    }
    int64_t q = a / b, m = a % b;
    if (m != 0 && ((m < 0) != (b < 0))) {
      --q;
      m += b;
    }
    return Value(op == "//" ? q : m);
  }
  if (op == "**") {
    if (b < 0) return Value(floatPow(static_cast<double>(a), static_cast<double>(b)));
    return Value(intPow(a, b));
  }
  evalError("unknown operator " + op);
}

}  // namespace

Value binary(const std::string& op, const Value& a, const Value& b) {
  if (op == "+" && a.isString() && b.isString()) {
    if (a.asString().size() + b.asString().size() > limits::kMaxExpressionStringBytes)
      evalError("string concatenation longer than " + std::to_string(limits::kMaxExpressionStringBytes) +
                " bytes (limits::kMaxExpressionStringBytes)");
    return Value(a.asString() + b.asString());
  }
  if (op == "+" && a.isList() && b.isList()) {
    if (a.asList().size() + b.asList().size() > limits::kMaxExpressionItems)
      evalError("list concatenation longer than " + std::to_string(limits::kMaxExpressionItems) +
                " elements (limits::kMaxExpressionItems)");
    List out = a.asList();
    out.insert(out.end(), b.asList().begin(), b.asList().end());
    return Value(std::move(out));
  }
  if (intLike(a) && intLike(b)) return intBinary(op, asInt(a), asInt(b));
  const std::string what = "operator " + op;
  const double x = asFloat(a, what), y = asFloat(b, what);
  if (op == "+") return Value(x + y);
  if (op == "-") return Value(x - y);
  if (op == "*") return Value(x * y);
  if (op == "/") {
    if (y == 0) evalError("float division by zero");
    return Value(x / y);
  }
  if (op == "//" || op == "%") {
    if (y == 0) evalError(op == "//" ? "float floor division by zero" : "float modulo by zero");
    const auto [q, m] = floatDivmod(x, y);
    return Value(op == "//" ? q : m);
  }
  if (op == "**") return Value(floatPow(x, y));
  evalError("unknown operator " + op);
}

Value unary(char sign, const Value& v) {
  if (intLike(v)) {
    const int64_t i = asInt(v);
    if (sign == '+') return Value(i);
    if (i == std::numeric_limits<int64_t>::min()) overflow("-(" + std::to_string(i) + ")");
    return Value(-i);
  }
  const double d = asFloat(v, std::string("unary ") + sign);
  return Value(sign == '-' ? -d : d);
}

namespace {
int64_t floatToInt(double d, const char* fn) {
  if (std::isnan(d)) evalError(std::string(fn) + ": cannot convert float NaN to integer");
  if (std::isinf(d)) evalError(std::string(fn) + ": cannot convert float infinity to integer");
  if (d >= kTwo63 || d < -kTwo63) overflow(std::string(fn) + " of " + Value(d).repr());
  return static_cast<int64_t>(d);
}
}  // namespace

Value toInt(const Value& v) {
  if (intLike(v)) return Value(asInt(v));
  return Value(floatToInt(std::trunc(asFloat(v, "int()")), "int()"));
}

Value toFloat(const Value& v) {
  return Value(asFloat(v, "float()"));
}

Value absolute(const Value& v) {
  if (intLike(v)) {
    const int64_t i = asInt(v);
    if (i == std::numeric_limits<int64_t>::min()) overflow("abs(" + std::to_string(i) + ")");
    return Value(i < 0 ? -i : i);
  }
  return Value(std::fabs(asFloat(v, "abs()")));
}

namespace {

// round(int, ndigits < 0): to a multiple of 10**-ndigits, halves to even.
int64_t roundInt(int64_t x, int64_t ndigits) {
  if (ndigits >= 0) return x;
  if (ndigits < -19) return 0;  // 10**20 is more than twice any int64
  __int128 p = 1;
  for (int64_t i = 0; i < -ndigits; ++i) p *= 10;
  __int128 q = x / p, r = x % p;
  if (r < 0) --q, r += p;
  if (2 * r > p || (2 * r == p && (q & 1))) ++q;
  const __int128 out = q * p;
  if (out > std::numeric_limits<int64_t>::max() || out < std::numeric_limits<int64_t>::min())
    overflow("round(" + std::to_string(x) + ", " + std::to_string(ndigits) + ")");
  return static_cast<int64_t>(out);
}

// CPython's float round(x, ndigits): the exact decimal value of x rounded half-even at 10**-ndigits
// (its double_round, with the exact digits from printf instead of dtoa).
double roundFloat(double x, int64_t ndigits) {
  if (!std::isfinite(x) || x == 0) return x;
  if (ndigits > 323) return x;         // CPython's NDIGITS_MAX
  if (ndigits < -308) return 0.0 * x;  // CPython's NDIGITS_MIN
  char buf[900];                       // 767 significant digits make any double exact
  std::snprintf(buf, sizeof buf, "%.800e", std::fabs(x));
  const std::string s = buf;
  const size_t e = s.find('e');
  std::string digits;  // whatever the locale's decimal point, only the digits count
  for (size_t i = 0; i < e; ++i)
    if (s[i] >= '0' && s[i] <= '9') digits += s[i];
  const int64_t exp10 = *parseInt64(s.substr(e + 1));
  const int64_t keep = exp10 + 1 + ndigits;  // significant digits that stay
  if (keep >= static_cast<int64_t>(digits.size())) return x;
  if (keep < 0) return std::copysign(0.0, x);
  const size_t k = static_cast<size_t>(keep);
  const bool restNonzero = digits.find_first_not_of('0', k + 1) != std::string::npos;
  const bool prevOdd = k > 0 && ((digits[k - 1] - '0') & 1);
  const bool up = digits[k] > '5' || (digits[k] == '5' && (restNonzero || prevOdd));
  std::string mantissa = digits.substr(0, k);
  if (up) {
    size_t i = mantissa.size();
    while (i > 0 && mantissa[i - 1] == '9') mantissa[--i] = '0';
    if (i == 0)
      mantissa.insert(0, "1");
    else
      ++mantissa[i - 1];
  }
  if (mantissa.empty()) return std::copysign(0.0, x);
  const double r = *parseDecimal(mantissa + "e" + std::to_string(exp10 + 1 - keep));
  if (std::isinf(r))
    evalError("round(" + Value(x).repr() + ", " + std::to_string(ndigits) +
              "): rounded value too large to represent");
  return std::copysign(r, x);
}

}  // namespace

Value round(const Value& x, const Value* ndigits) {
  if (!ndigits || ndigits->isNull()) {
    if (intLike(x)) return Value(asInt(x));
    const double d = asFloat(x, "round()");
    return Value(floatToInt(std::nearbyint(d), "round()"));  // the default rounding mode: halves to even
  }
  if (!intLike(*ndigits))
    evalError("round(): ndigits must be an integer, got " + ndigits->kindName() + " " + ndigits->repr());
  const int64_t n = asInt(*ndigits);
  if (intLike(x)) return Value(roundInt(asInt(x), n));
  return Value(roundFloat(asFloat(x, "round()"), n));
}

bool less(const Value& a, const Value& b, const char* fn) {
  if (intLike(a) && intLike(b)) return asInt(a) < asInt(b);
  return asFloat(a, fn) < asFloat(b, fn);
}

}  // namespace fmcib::config::pyarith
