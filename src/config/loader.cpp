// Loading: files merged in order, overrides applied, `%` macros expanded, relative ids made absolute.
#include <algorithm>
#include <cctype>

#include "config_impl.hpp"

namespace fmcib::config {

const std::vector<std::string>& topLevelKeys() {
  static const std::vector<std::string> keys = {"trainer", "system", "args",      "vars",
                                                "project", "_meta_", "_requires_"};
  return keys;
}

std::vector<std::string> splitPath(const std::string& path) {
  std::vector<std::string> out;
  if (path.empty()) return out;
  size_t start = 0;
  for (;;) {
    size_t pos = path.find('#', start);
    out.push_back(path.substr(start, pos - start));
    if (pos == std::string::npos) break;
    start = pos + 1;
  }
  return out;
}

std::string joinPath(const std::string& parent, const std::string& key) {
  return parent.empty() ? key : parent + "#" + key;
}

bool isSpecialKey(const std::string& key) {
  return key == "_target_" || key == "_disabled_" || key == "_requires_" || key == "_desc_" ||
         key == "_mode_";
}

namespace {

bool parseIndex(const std::string& s, size_t size, size_t& index) {
  if (s.empty() ||
      !std::all_of(s.begin(), s.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); }))
    return false;
  index = std::stoul(s);
  return index < size;
}

template <class V>
V* step(V* node, const std::string& key) {
  if (node->isMap()) return node->find(key);
  if (node->isList()) {
    size_t i = 0;
    if (!parseIndex(key, node->asList().size(), i)) return nullptr;
    if constexpr (std::is_const_v<V>)
      return &node->asList()[i];
    else
      return &node->mutableList()[i];
  }
  return nullptr;
}

}  // namespace

const Value* Config::Impl::lookup(const std::string& path) const {
  const Value* node = &root;
  for (const auto& key : splitPath(path)) {
    node = step(node, key);
    if (!node) return nullptr;
  }
  return node;
}

Value* Config::Impl::lookupMutable(const std::string& path) {
  Value* node = &root;
  for (const auto& key : splitPath(path)) {
    node = step(node, key);
    if (!node) return nullptr;
  }
  return node;
}

std::string Config::Impl::locate(const std::string& path) const {
  std::string p = path;
  for (;;) {
    auto it = sources.find(p);
    if (it != sources.end() && !it->second.file.empty())
      return it->second.line > 0 ? it->second.file + ":" + std::to_string(it->second.line) : it->second.file;
    if (p.empty()) return "";
    size_t cut = p.rfind('#');
    p = cut == std::string::npos ? "" : p.substr(0, cut);
  }
}

std::string Config::Impl::where(const std::string& path) const {
  std::string loc = locate(path);
  return (loc.empty() ? "" : loc + ": ") + (path.empty() ? "<root>" : path);
}

namespace {
void recordSources(std::map<std::string, Location>& sources, const std::string& path, const Value& v,
                   const Location& loc) {
  sources[path] = loc;
  if (v.isMap())
    for (const auto& kv : v.asMap()) recordSources(sources, joinPath(path, kv.first), kv.second, loc);
  if (v.isList())
    for (size_t i = 0; i < v.asList().size(); ++i)
      recordSources(sources, joinPath(path, std::to_string(i)), v.asList()[i], loc);
}
}  // namespace

void Config::Impl::setPath(const std::string& path, Value v, const Location& origin) {
  std::vector<std::string> keys = splitPath(path);
  if (keys.empty()) throw ConfigError(origin.file + ": cannot replace the whole config");
  std::string parentPath;
  for (size_t i = 0; i + 1 < keys.size(); ++i) parentPath = joinPath(parentPath, keys[i]);
  Value* parent = lookupMutable(parentPath);
  if (!parent || !(parent->isMap() || parent->isList())) {
    // Find the first missing segment for a precise message.
    std::string existing;
    for (size_t i = 0; i + 1 < keys.size(); ++i) {
      std::string next = joinPath(existing, keys[i]);
      if (!lookup(next)) break;
      existing = next;
    }
    throw ConfigError(origin.file + ": cannot set '" + path + "': parent path '" + parentPath +
                      "' does not exist" +
                      (existing.empty() ? "" : " (deepest existing: '" + existing + "')"));
  }
  if (parent->isList()) {
    size_t i = 0;
    if (!parseIndex(keys.back(), parent->asList().size(), i))
      throw ConfigError(origin.file + ": cannot set '" + path + "': '" + keys.back() +
                        "' is not an index of the " + std::to_string(parent->asList().size()) +
                        "-element list at '" + parentPath + "'");
    parent->mutableList()[i] = v;
  } else {
    parent->set(keys.back(), v);
  }
  // Drop stale locations below the path, then record the new origin.
  for (auto it = sources.lower_bound(path); it != sources.end() && it->first.rfind(path, 0) == 0;)
    it = sources.erase(it);
  recordSources(sources, path, v, origin);
}

void Config::Impl::merge(const Value& later, const std::map<std::string, Location>& laterSources) {
  for (const auto& [key, value] : later.asMap()) {
    Location origin = laterSources.count(key) ? laterSources.at(key) : Location{};
    if (!key.empty() && key[0] == '+') {
      std::string path = key.substr(1);
      Value* existing = lookupMutable(path);
      if (existing && existing->isMap() && value.isMap()) {
        for (const auto& kv : value.asMap()) existing->set(kv.first, kv.second);
        recordSources(sources, path, *existing, origin);
      } else if (existing && existing->isList() && value.isList()) {
        for (const auto& e : value.asList()) existing->mutableList().push_back(e);
        recordSources(sources, path, *existing, origin);
      } else if (!existing) {
        setPath(path, value, origin);
      } else {
        throw ConfigError(origin.file + ":" + std::to_string(origin.line) + ": '" + key +
                          "' can only update a map with a map or extend a list with a list (existing " +
                          existing->kindName() + ", new " + value.kindName() + ")");
      }
    } else if (key.find('#') != std::string::npos) {
      setPath(key, value, origin);
    } else {
      root.set(key, value);
      for (auto it = sources.lower_bound(key); it != sources.end() && it->first.rfind(key, 0) == 0;)
        it = sources.erase(it);
      for (const auto& [p, loc] : laterSources)
        if (p == key || p.rfind(key + "#", 0) == 0) sources[p] = loc;
    }
  }
}

std::string normalizeRelative(const std::string& text, const std::string& id) {
  std::vector<std::string> current = splitPath(id);
  std::string out;
  size_t i = 0;
  while (i < text.size()) {
    char c = text[i];
    if ((c == '@' || c == '%') && i + 1 < text.size() && text[i + 1] == '#') {
      size_t n = 0;
      size_t j = i + 1;
      while (j < text.size() && text[j] == '#') ++n, ++j;
      if (n > current.size())
        throw ConfigError("relative reference '" + text.substr(i, j - i) + "' in '" + text + "' at '" + id +
                          "' goes above the top of the config");
      std::string base;
      for (size_t k = 0; k + n < current.size(); ++k) base = joinPath(base, current[k]);
      out += c;
      if (!base.empty()) out += base + "#";
      i = j;
    } else {
      out += c;
      ++i;
    }
  }
  return out;
}

void Config::Impl::expandMacros(Value& node, const std::string& path, std::vector<std::string>& chain) {
  if (node.isString() && !node.asString().empty() && node.asString()[0] == '%') {
    std::string target = normalizeRelative(node.asString(), path).substr(1);
    if (std::find(chain.begin(), chain.end(), target) != chain.end()) {
      std::string msg;
      for (const auto& c : chain) msg += "%" + c + " -> ";
      throw ConfigError(where(path) + ": macro cycle: " + msg + "%" + target);
    }
    Value copy;
    std::map<std::string, Location> copySources;
    size_t hash = target.find('#');
    std::string head = target.substr(0, hash);
    bool otherFile =
        head.size() > 5 && (head.rfind(".yaml") == head.size() - 5 || head.rfind(".yml") == head.size() - 4 ||
                            head.rfind(".json") == head.size() - 5);
    if (otherFile) {
      Value file = readYamlFile(head, copySources);
      Impl tmp(*registry);
      tmp.root = file;
      std::string inner = hash == std::string::npos ? "" : target.substr(hash + 1);
      const Value* v = tmp.lookup(inner);
      if (!v) throw ConfigError(where(path) + ": macro '%" + target + "': no key '" + inner + "' in " + head);
      copy = v->deepCopy();
    } else {
      const Value* v = lookup(target);
      if (!v) throw ConfigError(where(path) + ": macro '%" + target + "': no such key path in the config");
      copy = v->deepCopy();
      for (auto it = sources.lower_bound(target); it != sources.end(); ++it) {
        if (it->first == target)
          copySources[path] = it->second;
        else if (it->first.rfind(target + "#", 0) == 0)
          copySources[path + it->first.substr(target.size())] = it->second;
        else
          break;
      }
    }
    chain.push_back(target);
    expandMacros(copy, path, chain);
    chain.pop_back();
    node = copy;
    for (const auto& kv : copySources) sources[kv.first] = kv.second;
    return;
  }
  if (node.isMap())
    for (auto& kv : node.mutableMap()) expandMacros(kv.second, joinPath(path, kv.first), chain);
  if (node.isList())
    for (size_t i = 0; i < node.asList().size(); ++i)
      expandMacros(node.mutableList()[i], joinPath(path, std::to_string(i)), chain);
}

void Config::Impl::normalizeReferences(Value& node, const std::string& path) {
  if (node.isString()) {
    const std::string& s = node.asString();
    if (!s.empty() && (s[0] == '@' || s[0] == '$')) {
      try {
        node = Value(normalizeRelative(s, path));
      } catch (const ConfigError& e) {
        throw ConfigError(where(path) + ": " + e.what());
      }
    }
  } else if (node.isMap()) {
    for (auto& kv : node.mutableMap()) normalizeReferences(kv.second, joinPath(path, kv.first));
  } else if (node.isList()) {
    for (size_t i = 0; i < node.asList().size(); ++i)
      normalizeReferences(node.mutableList()[i], joinPath(path, std::to_string(i)));
  }
}

void Config::Impl::finalize() {
  std::vector<std::string> chain;
  expandMacros(root, "", chain);
  normalizeReferences(root, "");
}

// ---- Config construction ----------------------------------------------------------------------

namespace {
Location cliOrigin(const Override& o) {
  return Location{"command-line override --" + o.path, 0};
}

std::shared_ptr<Config::Impl> build(Registry& registry,
                                    std::vector<std::pair<Value, std::map<std::string, Location>>> trees,
                                    const std::vector<Override>& overrides) {
  auto impl = std::make_shared<Config::Impl>(registry);
  bool first = true;
  for (auto& [tree, sources] : trees) {
    if (first) {
      impl->root = tree;
      impl->sources = sources;
      first = false;
    } else {
      impl->merge(tree, sources);
    }
  }
  for (const auto& o : overrides) {
    std::map<std::string, Location> ignored;
    Value v;
    try {
      v = parseYaml(o.yaml, cliOrigin(o).file, ignored);
    } catch (const ConfigError& e) {
      throw ConfigError(std::string("override --") + o.path + "=" + o.yaml + ": " + e.what());
    }
    impl->setPath(o.path, v, cliOrigin(o));
  }
  impl->finalize();
  return impl;
}
}  // namespace

Config Config::load(const std::vector<std::string>& files, const std::vector<Override>& overrides,
                    Registry& registry) {
  if (files.empty()) throw ConfigError("no config file given (--config_file a.yaml[,b.yaml])");
  std::vector<std::pair<Value, std::map<std::string, Location>>> trees;
  for (const auto& f : files) {
    std::map<std::string, Location> sources;
    Value v = readYamlFile(f, sources);
    trees.emplace_back(std::move(v), std::move(sources));
  }
  return Config(build(registry, std::move(trees), overrides));
}

Config Config::fromStrings(const std::vector<std::pair<std::string, std::string>>& namedTexts,
                           const std::vector<Override>& overrides, Registry& registry) {
  std::vector<std::pair<Value, std::map<std::string, Location>>> trees;
  for (const auto& [name, text] : namedTexts) {
    std::map<std::string, Location> sources;
    Value v = parseYaml(text, name, sources);
    if (v.isNull()) v = Value(Map{});
    if (!v.isMap())
      throw ConfigError(name + ": the top level of a config must be a mapping, got " + v.kindName());
    trees.emplace_back(std::move(v), std::move(sources));
  }
  return Config(build(registry, std::move(trees), overrides));
}

Config Config::fromString(const std::string& yaml, const std::string& name, Registry& registry) {
  return fromStrings({{name, yaml}}, {}, registry);
}

}  // namespace fmcib::config
