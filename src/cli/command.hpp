#pragma once
// Subcommands install themselves on the CLI11 app. A command reports failure by throwing a typed
// fmcib error (main maps it to an exit code), or a specific exit code by throwing cli::Exit.
#include <CLI/CLI.hpp>

#include <optional>
#include <string>

namespace fmcib::cli {

/// Thrown to end the program with a given code (e.g. 130 after SIGINT) without an error message.
struct Exit {
  int code;
};

/// Options every subcommand shares.
struct GlobalOptions {
  int verbosity = 0;
};

/// The one-line error for a first argument that names no command (with the closest one), if so.
std::optional<std::string> unknownCommand(CLI::App& app, int argc, char** argv);

/// Adds every subcommand to the app (commands.cpp lists them).
void installCommands(CLI::App& app, GlobalOptions& global);

/// fit / validate / test / predict (and --print_config).
void installRunCommands(CLI::App& app, GlobalOptions& global);
/// targets [NAME].
void installTargetsCommand(CLI::App& app);
/// export-weights --checkpoint X --out Y.
void installExportWeightsCommand(CLI::App& app);
/// make-demo-data --out DIR [--scans N] [--lesions-per-scan K] [--seed S] [--size X,Y,Z].
void installMakeDemoDataCommand(CLI::App& app);
/// export-patches --config_file X [--dataset train] [--rows 0:20] [--transformed] --out DIR.
void installExportPatchesCommand(CLI::App& app, GlobalOptions& global);
/// benchmark --config_file X [--steps N] [--epochs E] [--dataset train] [--model].
void installBenchmarkCommand(CLI::App& app, GlobalOptions& global);
/// check-data --config_file X [--datasets train,val] [--workers N].
void installCheckDataCommand(CLI::App& app, GlobalOptions& global);
/// preview --config_file X [--dataset train] [--n 8] [--window 1500,-300] --out DIR.
void installPreviewCommand(CLI::App& app, GlobalOptions& global);
/// plot --logs DIR [--out curves.png].
void installPlotCommand(CLI::App& app);
/// features --csv X --weights W [--out Y] ... (fmcib.run.get_features).
void installFeaturesCommand(CLI::App& app, GlobalOptions& global);
/// linear-probe --train A.csv --test B.csv --label COL [--val C.csv] [--C 0.01,0.1,1] [--out DIR].
void installLinearProbeCommand(CLI::App& app);
/// evaluate --predictions P.csv --label COL [--out DIR]; metrics-table NAME=metrics.json ...
void installEvaluateCommands(CLI::App& app);

}  // namespace fmcib::cli
