#include "command.hpp"

namespace fmcib::cli {

void installCommands(CLI::App& app, GlobalOptions& global) {
  installRunCommands(app, global);
}

}  // namespace fmcib::cli
