// Loading: files merged in order and overrides applied (then macros.cpp finalizes the tree).
#include <algorithm>
#include <unordered_map>

#include "config_impl.hpp"
#include "fmcib/common/elide.hpp"
#include "fmcib/common/parse_number.hpp"
#include "fmcib/config/limits.hpp"

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
  const std::optional<uint64_t> v = parseUint64(s);
  if (!v || *v >= size) return false;
  index = static_cast<size_t>(*v);
  return true;
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

const Value* Config::Impl::child(const Value& node, const std::string& key) const {
  constexpr size_t kIndexFrom = 32;  // keys; smaller maps are scanned
  if (!node.isMap() || node.asMap().size() < kIndexFrom) return step(&node, key);
  const Map& map = node.asMap();
  // The index is keyed by address and may be stale (the map changed, or another took its place);
  // a hit is checked against the map itself, anything else falls back to a scan.
  auto& index = keyIndex_[&map];
  if (index.size() != map.size()) {
    index.clear();
    for (size_t i = 0; i < map.size(); ++i) index.emplace(map[i].first, i);
  }
  auto it = index.find(key);
  if (it != index.end() && it->second < map.size() && map[it->second].first == key)
    return &map[it->second].second;
  return step(&node, key);
}

const Value* Config::Impl::lookup(const std::string& path) const {
  const Value* node = &root;
  for (const auto& key : splitPath(path)) {
    node = child(*node, key);
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
  return (loc.empty() ? "" : loc + ": ") + (path.empty() ? "<root>" : elide(path, 200));
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
  dropSources(path);
  recordSources(sources, path, v, origin);
}

void Config::Impl::dropSources(const std::string& path) {
  sources.erase(path);
  const std::string below = path + "#";
  for (auto it = sources.lower_bound(below);
       it != sources.end() && it->first.compare(0, below.size(), below) == 0;)
    it = sources.erase(it);
}

namespace {
// The locations of `from` and below in a later file, renamed to `to`.
void adoptSources(std::map<std::string, Location>& sources, const std::map<std::string, Location>& later,
                  const std::string& from, const std::string& to) {
  if (auto it = later.find(from); it != later.end()) sources[to] = it->second;
  const std::string below = from + "#";
  for (auto it = later.lower_bound(below);
       it != later.end() && it->first.compare(0, below.size(), below) == 0; ++it)
    sources[to + it->first.substr(from.size())] = it->second;
}
}  // namespace

void Config::Impl::merge(const Value& later, const std::map<std::string, Location>& laterSources) {
  for (const auto& [key, value] : later.asMap()) {
    Location origin = laterSources.count(key) ? laterSources.at(key) : Location{};
    if (!key.empty() && key[0] == '+') {
      std::string path = key.substr(1);
      Value* existing = lookupMutable(path);
      if (existing && existing->isMap() && value.isMap()) {
        Map& map = existing->mutableMap();
        std::unordered_map<std::string, size_t> position;  // linear in the size of both maps
        for (size_t i = 0; i < map.size(); ++i) position.emplace(map[i].first, i);
        for (const auto& [k, v] : value.asMap()) {
          auto it = position.find(k);
          if (it != position.end()) {
            map[it->second].second = v;
          } else {
            position.emplace(k, map.size());
            map.emplace_back(k, v);
          }
          dropSources(joinPath(path, k));
          adoptSources(sources, laterSources, joinPath(key, k), joinPath(path, k));
        }
      } else if (existing && existing->isList() && value.isList()) {
        List& list = existing->mutableList();
        for (size_t i = 0; i < value.asList().size(); ++i) {
          adoptSources(sources, laterSources, joinPath(key, std::to_string(i)),
                       joinPath(path, std::to_string(list.size())));
          list.push_back(value.asList()[i]);
        }
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
      dropSources(key);
      adoptSources(sources, laterSources, key, key);
    }
  }
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
      throw ConfigError("override --" + elide(o.path) + "=" + elide(o.yaml) + ": " + e.what());
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
