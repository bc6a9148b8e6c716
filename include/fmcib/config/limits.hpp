#pragma once
/// Bounds on what a configuration may expand to, so that a hostile or broken config fails with a
/// clear ConfigError in bounded time and memory instead of exhausting the stack or the heap.
/// Real configs stay far below them (the reference configs have a few hundred nodes and a nesting
/// depth under 15). They are documented in the README ("Limits"); to raise one, change it here
/// and rebuild.
#include <cstddef>

namespace fmcib::config::limits {

/// Bytes of one config file (or one command-line override value).
constexpr size_t kMaxFileBytes = size_t{16} << 20;
/// Nesting depth of maps and lists, in a file and in the config after `%` copies.
constexpr size_t kMaxDepth = 256;
/// Nodes (scalars, lists, maps) of the whole config once YAML aliases and `%` copies are
/// expanded, and of the resolved config that --print_config writes.
constexpr size_t kMaxNodes = 1'000'000;
/// Bytes of text (keys, strings and each node's id path) of the same.
constexpr size_t kMaxBytes = size_t{64} << 20;
/// Length of a chain of `%` copies (a copy whose text is itself a copy, ...).
constexpr size_t kMaxMacroChain = 256;
/// Depth of resolution: nested keys plus `@` references followed from one value.
constexpr size_t kMaxResolveDepth = 512;
/// Nesting of one `$` expression (parentheses, brackets, calls, unary signs, `**`, attribute
/// and index chains); CPython's parser stops at 200 nested parentheses too.
constexpr size_t kMaxExpressionDepth = 200;
/// Elements of a list and characters of a string that a `$` expression may build.
constexpr size_t kMaxExpressionItems = 1'000'000;
constexpr size_t kMaxExpressionStringBytes = size_t{16} << 20;

}  // namespace fmcib::config::limits
