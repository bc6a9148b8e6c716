#pragma once
// Private: the state behind a Config handle (raw tree, source locations, resolution cache).
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include "fmcib/config/config.hpp"

namespace fmcib::config {

struct Location {
  std::string file;
  int line = 0;  // 1-based; 0 = unknown
};

/// Running totals of nodes and text bytes of a tree being built, against limits::kMaxNodes,
/// kMaxBytes and kMaxDepth (see fmcib/config/limits.hpp).
struct SizeBudget {
  size_t nodes = 0;
  size_t bytes = 0;
  /// Counts `v` (a DAG is counted as the tree it expands to, stopping at the first limit) placed at
  /// an id path of `pathLength` characters and `depth` levels. Returns the name of the limit it
  /// passes ("nodes", ...) or nullptr.
  const char* add(const Value& v, size_t pathLength, size_t depth);
  /// "1000000 nodes (limits::kMaxNodes)" for what add() returned.
  static std::string limitText(const char* what);
};

class Config::Impl : public Resolver {
 public:
  explicit Impl(Registry& r) : registry(&r) {}

  Value resolvePath(const std::string& path) override;
  /// resolvePath for a node whose raw value the caller holds already (no lookup).
  Value resolveAt(const std::string& path, const Value& raw);
  std::string locate(const std::string& path) const override;

  /// Raw node at a path, nullptr when absent.
  const Value* lookup(const std::string& path) const;
  Value* lookupMutable(const std::string& path);
  /// Sets the raw value at `path`; the parent must exist. `origin` names the source in errors.
  void setPath(const std::string& path, Value v, const Location& origin);

  /// Forgets the locations of `path` and everything below it.
  void dropSources(const std::string& path);
  /// Merges a later file's tree (DESIGN §3 merge rules).
  void merge(const Value& later, const std::map<std::string, Location>& laterSources);
  /// Expands `%` macros and makes relative references absolute (after merges and overrides).
  void finalize();

  /// "file:line: path" for messages.
  std::string where(const std::string& path) const;

  Registry* registry;
  Value root = Value(Map{});
  std::map<std::string, Location> sources;
  std::map<std::string, Value> cache;
  std::vector<std::string> stack;
  /// When set, building a `_target_` throws NeedsBuild (used by --print_config).
  bool plainOnly = false;
  struct NeedsBuild {};

 private:
  /// The child `key` of a map or list; big maps are looked up through keyIndex_.
  const Value* child(const Value& node, const std::string& key) const;
  mutable std::unordered_map<const Map*, std::unordered_map<std::string, size_t>> keyIndex_;

  Value resolveNode(const Value& raw, const std::string& path);
  Value buildComponent(const Value& raw, const std::string& path);
  Value resolveReference(const std::string& target, const std::string& from);
  struct MacroState;
  void expandMacros(Value& node, const std::string& path, MacroState& state);
  void normalizeReferences(Value& node, const std::string& path);
};

/// YAML text → Value, recording each path's location in `sources` (paths under `prefix`).
Value parseYaml(const std::string& text, const std::string& file, std::map<std::string, Location>& sources,
                const std::string& prefix = "");
/// Reads a YAML file (ConfigError when missing or malformed).
Value readYamlFile(const std::string& file, std::map<std::string, Location>& sources);
/// Value → YAML text.
std::string emitYaml(const Value& v);
/// MONAI's relative ids (`@#x`, `@##x`, `%#x`) made absolute for a string found at `id`.
std::string normalizeRelative(const std::string& text, const std::string& id);
/// "a -> b -> ... (n more) -> y -> last" for messages about chains (items[from...] then `last`),
/// each entry prefixed with `mark` ("%" for macros).
std::string chainText(const std::vector<std::string>& items, size_t from, const std::string& last,
                      const std::string& mark = "");
/// Keys of a `_target_` node that are not arguments.
bool isSpecialKey(const std::string& key);

}  // namespace fmcib::config
