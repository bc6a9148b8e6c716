#include "fmcib/config/registry.hpp"

#include <algorithm>
#include <stdexcept>

namespace fmcib::config {

std::string kindsName(unsigned kinds) {
  static const std::pair<unsigned, const char*> names[] = {
      {kBool, "bool"}, {kInt, "int"}, {kFloat, "float"},   {kString, "string"},
      {kList, "list"}, {kMap, "map"}, {kObject, "object"}, {kNull, "null"}};
  if ((kinds & kAny) == kAny) return "any";
  std::string out;
  for (const auto& [bit, name] : names) {
    if (bit == kInt && (kinds & kFloat)) continue;  // "float" already accepts ints
    if (kinds & bit) out += (out.empty() ? "" : "|") + std::string(name);
  }
  return out;
}

bool kindAccepted(unsigned kinds, const Value& v) {
  switch (v.kind()) {
    case Value::Kind::Null:
      return kinds & kNull;
    case Value::Kind::Bool:
      return kinds & kBool;
    case Value::Kind::Int:
      return kinds & (kInt | kFloat);
    case Value::Kind::Float:
      return kinds & kFloat;
    case Value::Kind::String:
      return kinds & kString;
    case Value::Kind::Seq:
      return kinds & kList;
    case Value::Kind::Dict:
      return kinds & kMap;
    case Value::Kind::Object:
      return kinds & kObject;
  }
  return false;
}

ArgSpec arg(std::string name, unsigned kinds, Value defaultValue, std::string doc) {
  ArgSpec s;
  s.name = std::move(name);
  s.kinds = kinds;
  s.defaultValue = std::move(defaultValue);
  s.doc = std::move(doc);
  return s;
}

ArgSpec required(std::string name, unsigned kinds, std::string doc) {
  ArgSpec s = arg(std::move(name), kinds, Value(), std::move(doc));
  s.required = true;
  return s;
}

ArgSpec section(std::string name, std::vector<ArgSpec> fields, std::string doc, unsigned kinds) {
  ArgSpec s = arg(std::move(name), kinds, Value(), std::move(doc));
  s.fields = std::move(fields);
  return s;
}

// ---- Args -------------------------------------------------------------------------------------

Args::Args(const TargetSpec& spec, std::string path, Value raw, Resolver& resolver)
    : target_(&spec), path_(std::move(path)), raw_(std::move(raw)), resolver_(&resolver) {}

const std::string& Args::target() const {
  return target_->name;
}

const ArgSpec& Args::spec(const std::string& name) const {
  for (const auto& a : target_->args)
    if (a.name == name) return a;
  // Reading an undeclared argument is a bug in the builder, not a user error.
  throw std::logic_error("builder of " + target_->name + " reads undeclared argument '" + name + "'");
}

bool Args::given(const std::string& name) const {
  spec(name);
  return raw_.find(name) != nullptr;
}

std::string Args::where(const std::string& name) const {
  std::string p = path_.empty() ? name : path_ + "#" + name;
  std::string loc = resolver_->locate(p);
  return (loc.empty() ? "" : loc + ": ") + p;
}

void Args::fail(const std::string& name, const std::string& message) const {
  throw ConfigError(where(name) + ": " + message + " (argument '" + name + "' of " + target() + ")");
}

Value Args::get(const std::string& name) const {
  const ArgSpec& s = spec(name);
  if (!raw_.find(name)) {
    if (s.required) fail(name, "required argument is missing");
    return s.defaultValue;
  }
  Value v = resolver_->resolvePath(path_.empty() ? name : path_ + "#" + name);
  if (!kindAccepted(s.kinds, v))
    fail(name, "expected " + kindsName(s.kinds) + ", got " + v.kindName() + " " + v.repr());
  return v;
}

int64_t Args::getInt(const std::string& name) const {
  Value v = get(name);
  if (!v.isInt()) fail(name, "expected int, got " + v.kindName() + " " + v.repr());
  return v.asInt();
}

double Args::getDouble(const std::string& name) const {
  Value v = get(name);
  if (!v.isNumber()) fail(name, "expected a number, got " + v.kindName() + " " + v.repr());
  return v.asDouble();
}

std::string Args::getString(const std::string& name) const {
  Value v = get(name);
  if (!v.isString()) fail(name, "expected string, got " + v.kindName() + " " + v.repr());
  return v.asString();
}

std::vector<double> Args::getDoubles(const std::string& name) const {
  Value v = get(name);
  if (!v.isList()) fail(name, "expected a list of numbers, got " + v.kindName() + " " + v.repr());
  std::vector<double> out;
  for (const auto& e : v.asList()) {
    if (!e.isNumber()) fail(name, "expected a list of numbers, got element " + e.repr());
    out.push_back(e.asDouble());
  }
  return out;
}

std::vector<int64_t> Args::getInts(const std::string& name) const {
  Value v = get(name);
  if (!v.isList()) fail(name, "expected a list of ints, got " + v.kindName() + " " + v.repr());
  std::vector<int64_t> out;
  for (const auto& e : v.asList()) {
    if (!e.isInt()) fail(name, "expected a list of ints, got element " + e.repr());
    out.push_back(e.asInt());
  }
  return out;
}

std::vector<double> Args::getDoublesOrScalar(const std::string& name, size_t n) const {
  Value v = get(name);
  if (v.isNumber()) return std::vector<double>(n, v.asDouble());
  std::vector<double> out = getDoubles(name);
  if (out.size() != n)
    fail(name, "expected a number or " + std::to_string(n) + " numbers, got " + std::to_string(out.size()));
  return out;
}

std::function<Value()> Args::lazy(const std::string& name) const {
  Args copy = *this;
  return [copy, name]() { return copy.get(name); };
}

// ---- Registry ---------------------------------------------------------------------------------

Registry& Registry::global() {
  static Registry r;
  return r;
}

void Registry::add(TargetSpec spec) {
  if (targets_.count(spec.name)) throw std::logic_error("_target_ registered twice: " + spec.name);
  std::string name = spec.name;
  targets_.emplace(std::move(name), std::move(spec));
}

const TargetSpec* Registry::find(const std::string& name) const {
  auto it = targets_.find(name);
  return it == targets_.end() ? nullptr : &it->second;
}

std::vector<std::string> Registry::names() const {
  std::vector<std::string> out;
  for (const auto& kv : targets_) out.push_back(kv.first);
  return out;
}

size_t editDistance(const std::string& a, const std::string& b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j)
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

std::vector<std::string> Registry::suggest(const std::string& name, size_t n) const {
  std::vector<std::pair<size_t, std::string>> scored;
  for (const auto& kv : targets_) scored.emplace_back(editDistance(name, kv.first), kv.first);
  std::sort(scored.begin(), scored.end());
  std::vector<std::string> out;
  for (size_t i = 0; i < scored.size() && i < n; ++i) out.push_back(scored[i].second);
  return out;
}

void Registry::addFunction(const std::string& name, FunctionFn fn) {
  functions_[name] = std::move(fn);
}

const FunctionFn* Registry::function(const std::string& name) const {
  auto it = functions_.find(name);
  return it == functions_.end() ? nullptr : &it->second;
}

std::vector<std::string> Registry::functionNames() const {
  std::vector<std::string> out;
  for (const auto& kv : functions_) out.push_back(kv.first);
  return out;
}

void Registry::addMethod(std::type_index type, const std::string& name, MethodFn fn) {
  methods_[{type, name}] = std::move(fn);
}

const MethodFn* Registry::method(std::type_index type, const std::string& name) const {
  auto it = methods_.find({type, name});
  return it == methods_.end() ? nullptr : &it->second;
}

bool Registry::hasMethodName(const std::string& name) const {
  for (const auto& kv : methods_)
    if (kv.first.second == name) return true;
  return false;
}

}  // namespace fmcib::config
