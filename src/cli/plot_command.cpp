// plot: training curves (loss, learning rate, metrics against step) from a CSV log folder or a
// metrics.csv, drawn by fmcib::inspect::plotCurves.
#include <filesystem>
#include <iostream>
#include <memory>
#include <optional>
#include <system_error>

#include "command.hpp"
#include "fmcib/config/error.hpp"
#include "fmcib/inspect/curves.hpp"

namespace fmcib::cli {

namespace fs = std::filesystem;

namespace {

/// A metrics.csv itself, the one in a folder, or the newest one below it (save_dir/name/version_N).
fs::path findMetrics(const fs::path& logs) {
  std::error_code ec;
  if (fs::is_regular_file(logs, ec)) return logs;
  if (!fs::is_directory(logs, ec)) throw InputError("--logs: '" + logs.string() + "' does not exist");
  if (fs::is_regular_file(logs / "metrics.csv", ec)) return logs / "metrics.csv";
  std::optional<fs::path> best;
  fs::file_time_type bestTime{};
  for (auto it = fs::recursive_directory_iterator(logs, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    if (it->path().filename() != "metrics.csv" || !it->is_regular_file(ec)) continue;
    const auto t = fs::last_write_time(it->path(), ec);
    if (!best || t > bestTime) {
      best = it->path();
      bestTime = t;
    }
  }
  if (!best) throw InputError("--logs: no metrics.csv in '" + logs.string() + "' or its subfolders");
  return *best;
}

}  // namespace

void installPlotCommand(CLI::App& app) {
  CLI::App* sub =
      app.add_subcommand("plot", "draw training curves (loss, learning rate, metrics) from CSV logs");
  auto logs = std::make_shared<std::string>();
  auto out = std::make_shared<std::string>();
  sub->add_option("--logs", *logs,
                  "a metrics.csv, its version folder, or a folder above (newest log is used)")
      ->required();
  sub->add_option("--out", *out, "PNG to write (default: curves.png next to metrics.csv)");
  sub->callback([logs, out] {
    const fs::path csv = findMetrics(*logs);
    const std::string png = out->empty() ? (csv.parent_path() / "curves.png").string() : *out;
    if (const fs::path parent = fs::path(png).parent_path(); !parent.empty()) fs::create_directories(parent);
    inspect::writeCurves(csv.string(), png);
    std::cout << "wrote " << png << " from " << csv.string() << "\n";
  });
}

}  // namespace fmcib::cli
