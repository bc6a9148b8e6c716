// Lightning's CSVLogger (_ExperimentWriter): rows buffered per log call, written every
// flush_logs_every_n_steps and on flush(); a new key rewrites the file under the wider header.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <system_error>

#include "fmcib/config/error.hpp"
#include "fmcib/engine/loggers.hpp"
#include "fmcib/io/atomic_file.hpp"

namespace fmcib::engine {

namespace fs = std::filesystem;

namespace {

/// Python csv's minimal quoting: only fields with a delimiter, a quote or a line break are quoted.
std::string csvField(const std::string& s) {
  if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
  std::string q = "\"";
  for (char c : s) {
    if (c == '"') q += '"';
    q += c;
  }
  return q + "\"";
}

void writeText(const fs::path& path, const std::string& text) {
  io::writeFileAtomically(path.string(), text.empty() || text.back() == '\n' ? text : text + "\n");
}

}  // namespace

CsvLogger::CsvLogger(CsvLoggerOptions options) : options_(std::move(options)) {}

CsvLogger::~CsvLogger() {
  try {
    save();
  } catch (const std::exception& e) {
    spdlog::error("CSVLogger: {}", e.what());
  }
}

std::string CsvLogger::logDir() {
  if (logDir_.empty()) {
    const fs::path dir = resolveLogDir(options_.dir);
    std::error_code ec;
    if (fs::is_directory(dir, ec) && !fs::is_empty(dir, ec))
      spdlog::warn("Experiment logs directory {} exists and is not empty; its metrics.csv will be replaced",
                   dir.string());
    fs::create_directories(dir, ec);
    if (ec) throw RuntimeError("cannot create the log folder " + dir.string() + ": " + ec.message());
    logDir_ = dir.string();
    io::removeStaleTemporaries(logDir_);
  }
  return logDir_;
}

void CsvLogger::logHyperparams(const std::string& resolvedYaml) {
  writeText(fs::path(logDir()) / "hparams.yaml", resolvedYaml);
}

void CsvLogger::logMetrics(const std::map<std::string, double>& metrics, int64_t step) {
  logDir();
  Row row;
  for (const auto& [key, value] : metrics)
    row.emplace_back(options_.prefix.empty() ? key : options_.prefix + "-" + key, formatMetricValue(value));
  row.emplace_back("step", std::to_string(step));
  pending_.push_back(std::move(row));
  if ((step + 1) % options_.flushLogsEveryNSteps == 0) save();
}

void CsvLogger::flush() {
  save();
}

void CsvLogger::writeRows(std::string& out, const std::vector<Row>& rows) const {
  for (const Row& row : rows) {
    for (size_t c = 0; c < columns_.size(); ++c) {
      if (c) out += ',';
      // A column this row did not log stays empty (csv.DictWriter's restval).
      auto it =
          std::find_if(row.begin(), row.end(), [&](const auto& cell) { return cell.first == columns_[c]; });
      if (it != row.end()) out += csvField(it->second);
    }
    out += '\n';
  }
}

void CsvLogger::save() {
  if (pending_.empty()) return;
  bool newKeys = false;
  for (const Row& row : pending_)
    for (const auto& cell : row)
      if (std::find(columns_.begin(), columns_.end(), cell.first) == columns_.end()) {
        columns_.push_back(cell.first);
        newKeys = true;
      }
  const fs::path file = fs::path(logDir()) / "metrics.csv";
  // A fresh file, or a wider header: write everything (atomically); otherwise append the pending rows.
  const bool rewrite = !fileStarted_ || newKeys;
  std::string out;
  if (rewrite) {
    for (size_t c = 0; c < columns_.size(); ++c) out += (c ? "," : "") + csvField(columns_[c]);
    out += '\n';
    writeRows(out, written_);
  }
  writeRows(out, pending_);
  if (rewrite)
    io::writeFileAtomically(file.string(), out);
  else
    io::appendToFile(file.string(), out);
  fileStarted_ = true;
  written_.insert(written_.end(), std::make_move_iterator(pending_.begin()),
                  std::make_move_iterator(pending_.end()));
  pending_.clear();
}

}  // namespace fmcib::engine
