// fmcib: the command-line entry point. Errors are typed exceptions, caught here once and mapped
// to exit codes: 0 success, 2 bad usage/config/input, 1 runtime failure.
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <iostream>

#include "command.hpp"
#include "fmcib/config/error.hpp"

int main(int argc, char** argv) {
  spdlog::set_default_logger(spdlog::stderr_color_mt("fmcib"));
  spdlog::set_pattern("[%H:%M:%S] %^%l%$ %v");
  CLI::App app{
      "fmcib: train and use the Foundation Model for Cancer Imaging Biomarkers (lighter-compatible configs)"};
  app.set_version_flag("--version", std::string("fmcib ") + FMCIB_VERSION);
  app.require_subcommand(1);
  // One line, like every other error (CLI11's default adds a second "Run with --help" line).
  app.failure_message([](const CLI::App*, const CLI::Error& e) {
    return "fmcib: usage error: " + std::string(e.what()) + " (--help lists the options)\n";
  });
  fmcib::cli::GlobalOptions global;
  fmcib::cli::installCommands(app, global);
  if (auto unknown = fmcib::cli::unknownCommand(app, argc, argv)) {
    std::cerr << "fmcib: usage error: " << *unknown << "\n";
    return 2;
  }
  try {
    app.parse(argc, argv);
    return 0;
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? 0 : 2;
  } catch (const fmcib::cli::Exit& e) {
    return e.code;
  } catch (const fmcib::ConfigError& e) {
    std::cerr << "fmcib: config error: " << e.what() << "\n";
    return 2;
  } catch (const fmcib::InputError& e) {
    std::cerr << "fmcib: input error: " << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::string what = e.what();
    // Library errors (torch, ITK) carry long backtraces: one line on stderr, the rest at debug level.
    spdlog::debug("full error: {}", what);
    std::cerr << "fmcib: error: " << what.substr(0, what.find('\n')) << "\n";
    return 1;
  }
}
