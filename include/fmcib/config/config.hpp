#pragma once
/// A loaded configuration with lighter / MONAI-bundle semantics (DESIGN §3): several YAML files
/// merged, `--a#b=value` overrides, `%` macros expanded, relative references made absolute, then
/// `@` references, `$` expressions and `_target_` components resolved lazily, each object built once.
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "fmcib/config/registry.hpp"
#include "fmcib/config/value.hpp"

namespace fmcib::config {

/// A command-line override: id path (`system#batch_size`) and YAML text of the value.
struct Override {
  std::string path;
  std::string yaml;
};

/// Top-level keys a config may have.
const std::vector<std::string>& topLevelKeys();

class Config {
 public:
  /// Reads and merges `files` in order, then applies `overrides`. Throws ConfigError.
  static Config load(const std::vector<std::string>& files, const std::vector<Override>& overrides = {},
                     Registry& registry = Registry::global());
  /// One config from YAML text (tests, embedded configs); `name` stands for the file in messages.
  static Config fromString(const std::string& yaml, const std::string& name = "<string>",
                           Registry& registry = Registry::global());
  /// Several texts merged as files would be.
  static Config fromStrings(const std::vector<std::pair<std::string, std::string>>& namedTexts,
                            const std::vector<Override>& overrides = {},
                            Registry& registry = Registry::global());

  /// Checks the whole config without building anything: top-level keys, `_target_` names, argument
  /// names, literal kinds, required arguments, references, expressions, cycles. All problems are
  /// reported in one ConfigError, each naming file, line and path.
  void validate() const;

  /// The value at an id path ("" is the root), building what it needs. Memoized: a path is built once.
  Value resolve(const std::string& path) const;
  bool contains(const std::string& path) const;
  /// The raw (unresolved) value at a path, after merges, overrides and macro expansion.
  Value raw(const std::string& path) const;
  /// `args#<command>` resolved, or an empty map.
  Value commandArgs(const std::string& command) const;
  /// The config as YAML with overrides applied, `%` copies expanded, and every reference or
  /// expression that needs no built object replaced by its value.
  std::string printResolved() const;
  /// "file:line" of a path ("" when unknown).
  std::string locate(const std::string& path) const;
  Registry& registry() const;

  class Impl;

 private:
  explicit Config(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}
  std::shared_ptr<Impl> impl_;
};

/// Splits "a#b#0" into {"a","b","0"} ("" → {}).
std::vector<std::string> splitPath(const std::string& path);
/// Joins a parent path and a key.
std::string joinPath(const std::string& parent, const std::string& key);

}  // namespace fmcib::config
