// After merges and overrides: `%` macros expanded (copies counted against the size limits, chains
// bounded) and relative ids (`@#x`, `@##x`, `%#x`) made absolute.
#include <algorithm>
#include <memory>

#include "config_impl.hpp"
#include "fmcib/common/elide.hpp"
#include "fmcib/config/limits.hpp"

namespace fmcib::config {

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

struct Config::Impl::MacroState {
  std::vector<std::string> chain;                      // targets being copied, outermost first
  size_t depth = 0;                                    // nesting depth of the node being expanded
  SizeBudget budget;                                   // the whole tree as it grows
  std::map<std::string, std::unique_ptr<Impl>> files;  // `%file.yaml#key` sources, read once
};

std::string chainText(const std::vector<std::string>& items, size_t from, const std::string& last,
                      const std::string& mark) {
  const size_t n = items.size() - from;
  std::string out;
  for (size_t i = from; i < items.size(); ++i) {
    if (n > 12 && i == from + 6) {
      out += "... (" + std::to_string(n - 12) + " more) -> ";
      i = items.size() - 6;
    }
    out += mark + elide(items[i], 80) + " -> ";
  }
  return out + mark + elide(last, 80);
}

namespace {
bool isConfigFileName(const std::string& head) {
  auto endsWith = [&](const char* ext) {
    const std::string e = ext;
    return head.size() > e.size() && head.compare(head.size() - e.size(), e.size(), e) == 0;
  };
  return head.size() > 5 && (endsWith(".yaml") || endsWith(".yml") || endsWith(".json"));
}
}  // namespace

void Config::Impl::expandMacros(Value& node, const std::string& path, MacroState& state) {
  if (node.isString() && !node.asString().empty() && node.asString()[0] == '%') {
    const std::string text = node.asString();
    std::string target = normalizeRelative(text, path).substr(1);
    if (std::find(state.chain.begin(), state.chain.end(), target) != state.chain.end())
      throw ConfigError(where(path) + ": macro cycle: " + chainText(state.chain, 0, target, "%"));
    if (state.chain.size() >= limits::kMaxMacroChain)
      throw ConfigError(where(path) + ": `%` copies chained more than " +
                        std::to_string(limits::kMaxMacroChain) +
                        " deep (limits::kMaxMacroChain): " + chainText(state.chain, 0, target, "%"));
    Value copy;
    std::map<std::string, Location> copySources;
    size_t hash = target.find('#');
    std::string head = target.substr(0, hash);
    if (isConfigFileName(head)) {
      std::unique_ptr<Impl>& file = state.files[head];
      if (!file) {
        file = std::make_unique<Impl>(*registry);
        std::map<std::string, Location> ignored;
        file->root = readYamlFile(head, ignored);
      }
      std::string inner = hash == std::string::npos ? "" : target.substr(hash + 1);
      const Value* v = file->lookup(inner);
      if (!v)
        throw ConfigError(where(path) + ": macro '%" + elide(target) + "': no key '" + elide(inner) +
                          "' in " + head);
      copy = *v;
    } else {
      const Value* v = lookup(target);
      if (!v)
        throw ConfigError(where(path) + ": macro '%" + elide(target) + "': no such key path in the config");
      copy = *v;
      const std::string below = target + "#";
      if (auto it = sources.find(target); it != sources.end()) copySources[path] = it->second;
      for (auto it = sources.lower_bound(below);
           it != sources.end() && it->first.compare(0, below.size(), below) == 0; ++it)
        copySources[path + it->first.substr(target.size())] = it->second;
    }
    // Count the copy before making it: doubling copies must stop at the limit, not at bad_alloc.
    state.budget.nodes -= 1;
    state.budget.bytes -= path.size() + text.size();
    if (const char* over = state.budget.add(copy, path.size(), state.depth))
      throw ConfigError(where(path) + ": `%` copies make the config larger than " +
                        SizeBudget::limitText(over) + " (at macro '" + elide(text) + "')");
    copy = copy.deepCopy();
    state.chain.push_back(target);
    expandMacros(copy, path, state);
    state.chain.pop_back();
    node = copy;
    for (const auto& kv : copySources) sources[kv.first] = kv.second;
    return;
  }
  ++state.depth;
  if (node.isMap())
    for (auto& kv : node.mutableMap()) expandMacros(kv.second, joinPath(path, kv.first), state);
  if (node.isList())
    for (size_t i = 0; i < node.asList().size(); ++i)
      expandMacros(node.mutableList()[i], joinPath(path, std::to_string(i)), state);
  --state.depth;
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
  MacroState state;
  if (const char* over = state.budget.add(root, 0, 0))
    throw ConfigError(where("") + ": the merged config has more than " + SizeBudget::limitText(over));
  expandMacros(root, "", state);
  normalizeReferences(root, "");
}

}  // namespace fmcib::config
