// Lazy resolution: references, expressions and `_target_` components, each path built once.
#include <spdlog/spdlog.h>

#include <algorithm>

#include "config_impl.hpp"
#include "fmcib/common/elide.hpp"
#include "fmcib/config/expression.hpp"
#include "fmcib/config/limits.hpp"

namespace fmcib::config {

Value Config::Impl::resolvePath(const std::string& path) {
  auto hit = cache.find(path);
  if (hit != cache.end()) return hit->second;
  const Value* raw = lookup(path);
  if (!raw) throw ConfigError(where(path) + ": no such key path '" + elide(path) + "'");
  return resolveAt(path, *raw);
}

Value Config::Impl::resolveAt(const std::string& path, const Value& raw) {
  auto hit = cache.find(path);
  if (hit != cache.end()) return hit->second;
  auto inStack = std::find(stack.begin(), stack.end(), path);
  if (inStack != stack.end())
    throw ConfigError(where(path) + ": reference cycle: " +
                      chainText(stack, static_cast<size_t>(inStack - stack.begin()), path));
  if (stack.size() >= limits::kMaxResolveDepth)
    throw ConfigError(
        where(path) + ": resolving it takes more than " + std::to_string(limits::kMaxResolveDepth) +
        " nested steps of keys and @ references (limits::kMaxResolveDepth): " + chainText(stack, 0, path));
  stack.push_back(path);
  Value v;
  try {
    v = resolveNode(raw, path);
  } catch (...) {
    stack.pop_back();
    throw;
  }
  stack.pop_back();
  cache[path] = v;
  return v;
}

Value Config::Impl::resolveReference(const std::string& target, const std::string& from) {
  if (!lookup(target)) {
    // Name the deepest existing prefix and its keys: most missing references are typos.
    std::vector<std::string> keys = splitPath(target);
    std::string existing;
    for (const auto& k : keys) {
      std::string next = joinPath(existing, k);
      if (!lookup(next)) break;
      existing = next;
    }
    std::string hint;
    const Value* parent = lookup(existing);
    if (parent && parent->isMap()) {
      size_t shown = 0;
      for (const auto& kv : parent->asMap()) {
        if (++shown > 20) {
          hint += ", ... (" + std::to_string(parent->asMap().size() - 20) + " more)";
          break;
        }
        hint += (hint.empty() ? "" : ", ") + elide(kv.first, 60);
      }
      hint = " ('" + (existing.empty() ? std::string("<root>") : elide(existing)) + "' has: " + hint + ")";
    }
    throw ConfigError(where(from) + ": missing reference @" + elide(target) + ": no such key path" + hint);
  }
  return resolvePath(target);
}

Value Config::Impl::resolveNode(const Value& raw, const std::string& path) {
  if (raw.isMap()) {
    if (raw.find("_target_")) return buildComponent(raw, path);
    Value out = Value(Map{});
    for (const auto& kv : raw.asMap()) {
      if (path.empty() && (kv.first == "_meta_" || kv.first == "_requires_")) continue;
      out.mutableMap().emplace_back(kv.first, resolveAt(joinPath(path, kv.first), kv.second));
    }
    return out;
  }
  if (raw.isList()) {
    List out;
    for (size_t i = 0; i < raw.asList().size(); ++i)
      out.push_back(resolveAt(joinPath(path, std::to_string(i)), raw.asList()[i]));
    return Value(std::move(out));
  }
  if (raw.isString() && !raw.asString().empty()) {
    const std::string& s = raw.asString();
    if (s[0] == '@') return resolveReference(s.substr(1), path);
    if (s[0] == '$') {
      try {
        Expression e = Expression::parse(s.substr(1));
        return e.evaluate([&](const std::string& ref) { return resolveReference(ref, path); }, *registry);
      } catch (const NeedsBuild&) {
        throw;
      } catch (const ConfigError& e) {
        std::string msg = e.what();
        // Messages that already carry a location came from a nested reference; keep them as they are.
        if (msg.rfind("expression:", 0) == 0 || msg.rfind("unsupported expression", 0) == 0)
          throw ConfigError(where(path) + ": " + msg + " (in '" + elide(s) + "')");
        throw;
      }
    }
  }
  return raw;
}

Value Config::Impl::buildComponent(const Value& raw, const std::string& path) {
  if (plainOnly) throw NeedsBuild{};
  if (raw.find("_disabled_")) {
    Value d = resolvePath(joinPath(path, "_disabled_"));
    bool disabled =
        d.isBool() ? d.asBool() : (d.isString() && (d.asString() == "true" || d.asString() == "True"));
    if (disabled) return Value();
  }
  const Value& t = *raw.find("_target_");
  if (!t.isString()) throw ConfigError(where(joinPath(path, "_target_")) + ": _target_ must be a string");
  const TargetSpec* spec = registry->find(t.asString());
  if (!spec) {
    std::string near;
    for (const auto& s : registry->suggest(t.asString())) near += (near.empty() ? "" : ", ") + s;
    throw ConfigError(where(joinPath(path, "_target_")) + ": unknown _target_ '" + t.asString() +
                      "' (closest registered: " + near + ")");
  }
  // validate() reports these for the whole config at once; a direct resolve() must not skip them.
  for (const auto& kv : raw.asMap()) {
    if (isSpecialKey(kv.first)) continue;
    bool declared = std::any_of(spec->args.begin(), spec->args.end(),
                                [&](const ArgSpec& a) { return a.name == kv.first; });
    if (!declared) {
      std::string names;
      for (const auto& a : spec->args) names += (names.empty() ? "" : ", ") + a.name;
      throw ConfigError(where(joinPath(path, kv.first)) + ": unknown argument '" + kv.first + "' of " +
                        spec->name + " (accepted: " + names + ")");
    }
  }
  spdlog::debug("building {} at {}", spec->name, path.empty() ? "<root>" : path);
  Args args(*spec, path, raw, *this);
  try {
    return spec->build(args);
  } catch (const Error&) {
    throw;
  } catch (const NeedsBuild&) {
    throw;
  } catch (const std::exception& e) {
    std::string what = e.what();
    what = what.substr(0, what.find('\n'));
    throw RuntimeError(where(path) + ": building " + spec->name + " failed: " + what);
  }
}

// ---- Config handle ------------------------------------------------------------------------------

Value Config::resolve(const std::string& path) const {
  return impl_->resolvePath(path);
}

bool Config::contains(const std::string& path) const {
  return impl_->lookup(path) != nullptr;
}

Value Config::raw(const std::string& path) const {
  const Value* v = impl_->lookup(path);
  if (!v) throw ConfigError(impl_->where(path) + ": no such key path '" + path + "'");
  return *v;
}

Value Config::commandArgs(const std::string& command) const {
  std::string path = "args#" + command;
  if (!contains(path)) return Value(Map{});
  Value v = resolve(path);
  if (v.isNull()) return Value(Map{});
  if (!v.isMap())
    throw ConfigError(impl_->where(path) + ": expected a map of arguments, got " + v.kindName());
  return v;
}

std::string Config::locate(const std::string& path) const {
  return impl_->locate(path);
}

Registry& Config::registry() const {
  return *impl_->registry;
}

namespace {
// Replaces every string whose value needs no built object by that value; keeps the rest as written.
// Resolved values share structure (`[@a, @a]`), so what would be written is counted as it grows.
void count(const Config::Impl& plain, const Value& v, const std::string& path, size_t depth,
           SizeBudget& budget) {
  if (const char* over = budget.add(v, path.size(), depth))
    throw ConfigError(plain.where(path) + ": the resolved config to print has more than " +
                      SizeBudget::limitText(over) + " (references that repeat large values?)");
}

Value printable(Config::Impl& plain, const Value& raw, const std::string& path, size_t depth,
                SizeBudget& budget) {
  if (raw.isMap()) {
    count(plain, Value(), path, depth, budget);
    Value out = Value(Map{});
    for (const auto& kv : raw.asMap())
      out.mutableMap().emplace_back(kv.first,
                                    printable(plain, kv.second, joinPath(path, kv.first), depth + 1, budget));
    return out;
  }
  if (raw.isList()) {
    count(plain, Value(), path, depth, budget);
    List out;
    for (size_t i = 0; i < raw.asList().size(); ++i)
      out.push_back(printable(plain, raw.asList()[i], joinPath(path, std::to_string(i)), depth + 1, budget));
    return Value(std::move(out));
  }
  Value v = raw;
  if (raw.isString() && !raw.asString().empty() && (raw.asString()[0] == '@' || raw.asString()[0] == '$')) {
    try {
      v = plain.resolveAt(path, raw);
      if (v.isObject()) v = raw;
    } catch (const Config::Impl::NeedsBuild&) {
      plain.stack.clear();
      v = raw;
    }
  }
  count(plain, v, path, depth, budget);
  return v;
}
}  // namespace

std::string Config::printResolved() const {
  Config::Impl plain(*impl_->registry);
  plain.root = impl_->root;
  plain.sources = impl_->sources;
  plain.plainOnly = true;
  SizeBudget budget;
  return emitYaml(printable(plain, impl_->root, "", 0, budget));
}

}  // namespace fmcib::config
