#include "fmcib/config/value.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <sstream>

#include "fmcib/common/parse_number.hpp"

namespace fmcib::config {

const char* Value::kindName(Kind k) {
  switch (k) {
    case Kind::Null:
      return "null";
    case Kind::Bool:
      return "bool";
    case Kind::Int:
      return "int";
    case Kind::Float:
      return "float";
    case Kind::String:
      return "string";
    case Kind::Seq:
      return "list";
    case Kind::Dict:
      return "map";
    case Kind::Object:
      return "object";
  }
  return "?";
}

std::string Value::kindName() const {
  if (isObject()) return "object " + std::get<Object>(v_).target;
  return kindName(kind());
}

void Value::throwKind(const char* expected) const {
  throw ConfigError(std::string("expected ") + expected + ", got " + kindName() + " " + repr());
}

void Value::throwObjectType(const char* expected) const {
  throw ConfigError("expected an object of C++ type " + std::string(expected) + ", got " + kindName());
}

bool Value::asBool() const {
  if (!isBool()) throwKind("bool");
  return std::get<bool>(v_);
}
int64_t Value::asInt() const {
  if (!isInt()) throwKind("int");
  return std::get<int64_t>(v_);
}
double Value::asDouble() const {
  if (isInt()) return static_cast<double>(std::get<int64_t>(v_));
  if (!isFloat()) throwKind("float");
  return std::get<double>(v_);
}
const std::string& Value::asString() const {
  if (!isString()) throwKind("string");
  return std::get<std::string>(v_);
}
const List& Value::asList() const {
  if (!isList()) throwKind("list");
  return *std::get<std::shared_ptr<List>>(v_);
}
const Map& Value::asMap() const {
  if (!isMap()) throwKind("map");
  return *std::get<std::shared_ptr<Map>>(v_);
}
const Object& Value::asObject() const {
  if (!isObject()) throwKind("object");
  return std::get<Object>(v_);
}
List& Value::mutableList() {
  if (!isList()) throwKind("list");
  return *std::get<std::shared_ptr<List>>(v_);
}
Map& Value::mutableMap() {
  if (!isMap()) throwKind("map");
  return *std::get<std::shared_ptr<Map>>(v_);
}

const Value* Value::find(const std::string& key) const {
  if (!isMap()) return nullptr;
  for (const auto& kv : asMap())
    if (kv.first == key) return &kv.second;
  return nullptr;
}
Value* Value::find(const std::string& key) {
  if (!isMap()) return nullptr;
  for (auto& kv : mutableMap())
    if (kv.first == key) return &kv.second;
  return nullptr;
}
void Value::set(const std::string& key, Value v) {
  if (Value* existing = find(key)) {
    *existing = std::move(v);
    return;
  }
  mutableMap().emplace_back(key, std::move(v));
}

Value Value::deepCopy() const {
  if (isList()) {
    List out;
    for (const auto& v : asList()) out.push_back(v.deepCopy());
    return Value(std::move(out));
  }
  if (isMap()) {
    Map out;
    for (const auto& kv : asMap()) out.emplace_back(kv.first, kv.second.deepCopy());
    return Value(std::move(out));
  }
  return *this;
}

namespace {
// Python's repr: the shortest digits that read back as the same double, written fixed for
// exponents in [-4, 16) and as d.ddde±XX otherwise (40.0, 0.0001, 1e-06, 1.5e+20).
std::string formatDouble(double d) {
  if (std::isnan(d)) return ".nan";
  if (std::isinf(d)) return d > 0 ? ".inf" : "-.inf";
  if (d == 0) return std::signbit(d) ? "-0.0" : "0.0";
  char buf[40];
  for (int p = 1; p <= 17; ++p) {
    std::snprintf(buf, sizeof buf, "%.*e", p - 1, d);
    if (parseDecimal(buf) == d) break;
  }
  const std::string sci = buf;
  const size_t e = sci.find('e');
  const int exp = std::stoi(sci.substr(e + 1));
  const bool negative = sci[0] == '-';
  std::string digits;
  for (size_t i = negative ? 1 : 0; i < e; ++i)
    if (sci[i] != '.') digits += sci[i];
  std::string out;
  if (exp >= 16 || exp < -4) {
    out = digits.substr(0, 1) + (digits.size() > 1 ? "." + digits.substr(1) : "") + "e" +
          (exp < 0 ? "-" : "+") + (std::abs(exp) < 10 ? "0" : "") + std::to_string(std::abs(exp));
  } else if (exp < 0) {
    out = "0." + std::string(static_cast<size_t>(-exp - 1), '0') + digits;
  } else if (digits.size() <= static_cast<size_t>(exp) + 1) {
    out = digits + std::string(static_cast<size_t>(exp) + 1 - digits.size(), '0') + ".0";
  } else {
    out = digits.substr(0, static_cast<size_t>(exp) + 1) + "." + digits.substr(static_cast<size_t>(exp) + 1);
  }
  return (negative ? "-" : "") + out;
}
}  // namespace

namespace {
// Appends the rendering of `v` to `out`, stopping once `out` is longer than `limit`: values
// resolved through references share structure and may expand to far more than fits in a message.
void render(const Value& v, std::string& out, size_t limit) {
  if (out.size() > limit) return;
  switch (v.kind()) {
    case Value::Kind::Null:
      out += "null";
      return;
    case Value::Kind::Bool:
      out += v.asBool() ? "true" : "false";
      return;
    case Value::Kind::Int:
      out += std::to_string(v.asInt());
      return;
    case Value::Kind::Float:
      out += formatDouble(v.asDouble());
      return;
    case Value::Kind::String:
      out += "'";
      out.append(v.asString(), 0, limit + 1 - std::min(limit + 1, out.size()));
      out += "'";
      return;
    case Value::Kind::Seq: {
      out += "[";
      const List& l = v.asList();
      for (size_t i = 0; i < l.size() && out.size() <= limit; ++i) {
        if (i) out += ", ";
        render(l[i], out, limit);
      }
      out += "]";
      return;
    }
    case Value::Kind::Dict: {
      out += "{";
      bool first = true;
      for (const auto& kv : v.asMap()) {
        if (out.size() > limit) break;
        out += (first ? "" : ", ") + kv.first.substr(0, limit) + ": ";
        render(kv.second, out, limit);
        first = false;
      }
      out += "}";
      return;
    }
    case Value::Kind::Object:
      out += "<" + v.asObject().target + " object>";
      return;
  }
}
}  // namespace

std::string Value::repr() const {
  constexpr size_t kLimit = 200;
  std::string out;
  render(*this, out, kLimit);
  if (out.size() > kLimit) out = out.substr(0, kLimit) + "...";
  return out;
}

bool Value::operator==(const Value& o) const {
  if (isNumber() && o.isNumber()) {
    if (isInt() && o.isInt()) return asInt() == o.asInt();
    return asDouble() == o.asDouble();
  }
  if (kind() != o.kind()) return false;
  switch (kind()) {
    case Kind::Null:
      return true;
    case Kind::Bool:
      return asBool() == o.asBool();
    case Kind::String:
      return asString() == o.asString();
    case Kind::Seq:
      return asList() == o.asList();
    case Kind::Dict:
      return asMap() == o.asMap();
    case Kind::Object:
      return asObject().ptr == o.asObject().ptr;
    default:
      return false;
  }
}

}  // namespace fmcib::config
