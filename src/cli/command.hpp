#pragma once
// Subcommands install themselves on the CLI11 app. A command reports failure by throwing a typed
// fmcib error (main maps it to an exit code), or a specific exit code by throwing cli::Exit.
#include <CLI/CLI.hpp>

namespace fmcib::cli {

/// Thrown to end the program with a given code (e.g. 130 after SIGINT) without an error message.
struct Exit {
  int code;
};

/// Options every subcommand shares.
struct GlobalOptions {
  int verbosity = 0;
};

/// Adds every subcommand to the app (commands.cpp lists them).
void installCommands(CLI::App& app, GlobalOptions& global);

/// fit / validate / test / predict (and --print_config).
void installRunCommands(CLI::App& app, GlobalOptions& global);

}  // namespace fmcib::cli
