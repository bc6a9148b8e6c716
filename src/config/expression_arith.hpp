#pragma once
// Private: Python's arithmetic on config values, for `$` expressions. Python's integers are
// unbounded and fmcib's are int64, so a result that does not fit is an error naming the operation,
// never a wrapped value; float results are those CPython gives (or its error).
#include <string>

#include "fmcib/config/value.hpp"

namespace fmcib::config::pyarith {

/// Throws ConfigError("expression: " + msg).
[[noreturn]] void evalError(const std::string& msg);

/// a <op> b for + - * / // % ** (also + of two strings or two lists).
Value binary(const std::string& op, const Value& a, const Value& b);
/// `-v` or `+v`.
Value unary(char sign, const Value& v);
/// The builtins int(x), float(x), abs(x), round(x[, ndigits]) (`ndigits` null when not given).
Value toInt(const Value& v);
Value toFloat(const Value& v);
Value absolute(const Value& v);
Value round(const Value& x, const Value* ndigits);
/// a < b for min()/max() (`fn` names the caller in errors).
bool less(const Value& a, const Value& b, const char* fn);

}  // namespace fmcib::config::pyarith
