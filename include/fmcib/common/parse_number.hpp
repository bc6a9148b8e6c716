#pragma once
/// Checked number parsing for every area. The whole text must be the number: no blanks, no
/// trailing characters, base 10. `parse*` return nullopt for anything else; `require*` throw a
/// typed error (ConfigError unless told otherwise) that names `what` (a key, file or variable) and
/// quotes the text.
#include <charconv>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>

#include "fmcib/common/elide.hpp"
#include "fmcib/config/error.hpp"

namespace fmcib {

/// `[-+]?[0-9]+` as an int64; nullopt when malformed or out of range.
inline std::optional<int64_t> parseInt64(std::string_view s) {
  if (!s.empty() && s[0] == '+') {
    s.remove_prefix(1);
    if (!s.empty() && s[0] == '-') return std::nullopt;
  }
  int64_t v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

/// `[0-9]+` as a uint64; nullopt when malformed or out of range.
inline std::optional<uint64_t> parseUint64(std::string_view s) {
  uint64_t v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

namespace detail {

/// Length of the decimal number `[-+]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][-+]?[0-9]+)?` at the
/// start of `s` (0 when there is none); `exp10` receives the decimal exponent of its leading digit
/// (saturated), used to tell overflow from underflow.
inline size_t scanDecimal(std::string_view s, int64_t& exp10) {
  auto digit = [&](size_t i) { return i < s.size() && s[i] >= '0' && s[i] <= '9'; };
  size_t i = 0;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
  int64_t intDigits = 0, leadingFracZeros = 0;
  bool nonzero = false, any = false;
  while (digit(i)) {
    if (s[i] != '0') nonzero = true;
    if (nonzero) ++intDigits;
    ++i, any = true;
  }
  if (i < s.size() && s[i] == '.') {
    ++i;
    while (digit(i)) {
      if (!nonzero && s[i] == '0') ++leadingFracZeros;
      if (s[i] != '0') nonzero = true;
      ++i, any = true;
    }
  }
  if (!any) return 0;
  int64_t e = 0;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    size_t j = i + 1;
    bool negative = false;
    if (j < s.size() && (s[j] == '+' || s[j] == '-')) negative = s[j++] == '-';
    if (!digit(j)) return i;  // "1e" is not a number with an exponent
    while (digit(j)) {
      if (e < 1'000'000'000) e = e * 10 + (s[j] - '0');
      ++j;
    }
    if (negative) e = -e;
    i = j;
  }
  exp10 = intDigits > 0 ? e + intDigits - 1 : e - leadingFracZeros - 1;
  return i;
}

}  // namespace detail

/// A decimal number as Python's float() reads one (no inf/nan words): out-of-range magnitudes
/// become ±inf or ±0 as there. Nullopt when `s` is not entirely such a number.
inline std::optional<double> parseDecimal(std::string_view s) {
  int64_t exp10 = 0;
  if (s.empty() || detail::scanDecimal(s, exp10) != s.size()) return std::nullopt;
  const bool negative = s[0] == '-';
  if (s[0] == '+' || s[0] == '-') s.remove_prefix(1);
  double v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec == std::errc::result_out_of_range)
    v = exp10 > 0 ? std::numeric_limits<double>::infinity() : 0.0;
  else if (ec != std::errc() || end != s.data() + s.size())
    return std::nullopt;
  return negative ? -v : v;
}

/// Python's float() of a string without blanks or underscores: a decimal number or
/// [-+]?(inf|infinity|nan) in any case.
inline std::optional<double> parseDouble(std::string_view s) {
  std::string_view body = s;
  const bool negative = !body.empty() && body[0] == '-';
  if (!body.empty() && (body[0] == '+' || body[0] == '-')) body.remove_prefix(1);
  auto lowerIs = [&](std::string_view word) {
    if (body.size() != word.size()) return false;
    for (size_t i = 0; i < word.size(); ++i)
      if ((body[i] | 0x20) != word[i]) return false;
    return true;
  };
  if (lowerIs("inf") || lowerIs("infinity"))
    return negative ? -std::numeric_limits<double>::infinity() : std::numeric_limits<double>::infinity();
  if (lowerIs("nan")) return std::numeric_limits<double>::quiet_NaN();
  return parseDecimal(s);
}

/// An integer in [min, max]; otherwise throws E: "<what>: expected an integer in [min, max], got '<text>'".
template <class E = ConfigError>
int64_t requireInt(std::string_view text, const std::string& what,
                   int64_t min = std::numeric_limits<int64_t>::min(),
                   int64_t max = std::numeric_limits<int64_t>::max()) {
  const std::optional<int64_t> v = parseInt64(text);
  if (v && *v >= min && *v <= max) return *v;
  std::string range;
  if (min == std::numeric_limits<int64_t>::min() && max == std::numeric_limits<int64_t>::max())
    range = "a 64-bit integer";
  else if (max == std::numeric_limits<int64_t>::max())
    range = "an integer >= " + std::to_string(min);
  else
    range = "an integer in [" + std::to_string(min) + ", " + std::to_string(max) + "]";
  throw E(what + ": expected " + range + ", got '" + elide(text) + "'");
}

/// A number as parseDouble reads it; otherwise throws E: "<what>: expected a number, got '<text>'".
template <class E = ConfigError>
double requireDouble(std::string_view text, const std::string& what) {
  if (const std::optional<double> v = parseDouble(text)) return *v;
  throw E(what + ": expected a number, got '" + elide(text) + "'");
}

}  // namespace fmcib
