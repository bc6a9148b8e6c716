// A first argument that is no command: CLI11 would only say "A subcommand is required", which
// does not tell a lighter user that `tune` does not exist here or that `fitt` is a typo.
#include <string>

#include "command.hpp"
#include "fmcib/config/registry.hpp"

namespace fmcib::cli {

std::optional<std::string> unknownCommand(CLI::App& app, int argc, char** argv) {
  if (argc < 2 || argv[1][0] == '-') return std::nullopt;
  const std::string given = argv[1];
  std::string names, closest;
  size_t best = 3;  // suggest only names at most 2 edits away
  for (const CLI::App* sub : app.get_subcommands({})) {
    const std::string& name = sub->get_name();
    if (name == given) return std::nullopt;
    names += (names.empty() ? "" : ", ") + name;
    const size_t d = config::editDistance(given, name);
    if (d < best) {
      best = d;
      closest = name;
    }
  }
  return "unknown command '" + given + "'" + (closest.empty() ? "" : " (did you mean '" + closest + "'?)") +
         "; commands: " + names;
}

}  // namespace fmcib::cli
