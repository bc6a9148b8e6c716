#include "fmcib/probe/probe_report.hpp"

#include <torch/torch.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "fmcib/config/error.hpp"
#include "fmcib/io/csv.hpp"

namespace fmcib::probe {

namespace fs = std::filesystem;

namespace {

/// The shortest text that reads back as the same double.
std::string exact(double v) {
  char buf[64];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, r.ptr);
}

std::string fixed(double v, int digits = 4) {
  if (std::isnan(v)) return "n/a";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

std::string general(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

std::string pad(const std::string& s, size_t width, bool right = false) {
  if (s.size() >= width) return s;
  return right ? std::string(width - s.size(), ' ') + s : s + std::string(width - s.size(), ' ');
}

std::string jsonString(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

std::string jsonNumber(double v) {
  return std::isfinite(v) ? exact(v) : "null";
}

/// The "bootstrap" and "test" members of metrics.json (linear-probe and evaluate write the same).
std::string bootstrapAndTestJson(const ScoreOptions& o, int used, int skipped,
                                 const std::vector<TestMetric>& metrics) {
  std::ostringstream j;
  j << "  \"bootstrap\": {\"resamples\": " << o.bootstrap << ", \"used\": " << used
    << ", \"skipped\": " << skipped << ", \"seed\": " << o.seed << ", \"level\": " << jsonNumber(o.level)
    << ", \"interval\": \"percentile (numpy linear interpolation)\"},\n";
  j << "  \"test\": {";
  for (size_t m = 0; m < metrics.size(); ++m) {
    const auto& t = metrics[m];
    j << (m ? ",\n    " : "\n    ") << jsonString(t.key) << ": {\"value\": " << jsonNumber(t.value)
      << ", \"ci_low\": " << jsonNumber(t.low) << ", \"ci_high\": " << jsonNumber(t.high) << "}";
  }
  j << "}";
  return j.str();
}

std::string jsonStrings(const std::vector<std::string>& items) {
  std::string out = "[";
  for (size_t i = 0; i < items.size(); ++i) out += (i ? ", " : "") + jsonString(items[i]);
  return out + "]";
}

/// The test-metrics table of the reports: one line per metric, with its interval.
std::string metricLines(const std::vector<TestMetric>& metrics, const ScoreOptions& o) {
  std::ostringstream s;
  s << "  " << pad("metric", 28) << pad("value", 8, true);
  if (o.bootstrap > 0) s << "   " << general(o.level * 100) << "% interval";
  s << "\n";
  for (const auto& m : metrics) {
    s << "  " << pad(m.name, 28) << pad(fixed(m.value), 8, true);
    if (o.bootstrap > 0) s << "   [" << fixed(m.low) << ", " << fixed(m.high) << "]";
    s << "\n";
  }
  return s.str();
}

const char* solverName(Solver s) {
  return s == Solver::kLbfgs ? "lbfgs" : "newton";
}

std::string selectionMethod(const ProbeResult& r) {
  if (!r.options.valPath.empty()) return "fit on train, scored on " + r.options.valPath;
  return "stratified " + std::to_string(r.options.folds) +
         "-fold cross-validation on train (mean over folds)";
}

/// Writes `text` to `path` through a temporary file in the same folder.
void writeAtomically(const fs::path& path, const std::string& text) {
  const fs::path tmp = path.string() + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary);
    out << text;
    if (!out) throw RuntimeError("cannot write '" + tmp.string() + "'");
  }
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) throw RuntimeError("cannot write '" + path.string() + "': " + ec.message());
}

}  // namespace

std::string formatProbeReport(const ProbeResult& r) {
  std::ostringstream s;
  std::string classes;
  for (size_t k = 0; k < r.classes.size(); ++k) classes += (k ? ", " : "") + r.classes[k];
  s << "linear probe: " << r.classes.size() << " classes (" << classes << "), " << r.numFeatures
    << " features; train " << r.trainRows << " rows";
  if (r.valRows) s << ", validation " << r.valRows << " rows";
  s << ", test " << r.test.rows() << " rows\n";
  s << "solver " << solverName(r.options.solver.solver) << " (tol " << general(r.options.solver.tol)
    << ", max_iter " << r.options.solver.maxIter << ")\n\n";
  s << "C selection: " << selectionMethod(r) << ", " << r.selectionMetric << "\n";
  s << "  " << pad("C", 10, true) << "  " << pad(r.selectionMetric, 8, true);
  if (r.options.valPath.empty()) s << "   per fold";
  s << "\n";
  for (const auto& c : r.candidates) {
    s << (c.C == r.chosenC ? "* " : "  ") << pad(general(c.C), 10, true) << "  "
      << pad(fixed(c.score), 8, true);
    if (!c.foldScores.empty()) {
      s << "  ";
      for (double f : c.foldScores) s << " " << fixed(f);
    }
    if (c.unconverged) s << "  (" << c.unconverged << " fit(s) not converged)";
    s << "\n";
  }
  s << "final fit on train: C = " << general(r.chosenC) << ", " << r.finalFit.iterations << " iterations, "
    << r.finalFit.stop << ", max |gradient| " << general(r.finalGradient) << "\n\n";
  s << "test set (" << r.test.rows() << " rows)";
  if (r.options.bootstrap > 0)
    s << ", " << general(r.options.level * 100) << "% percentile bootstrap intervals (" << r.bootstrapUsed
      << " of " << r.options.bootstrap << " resamples, seed " << r.options.seed << ")";
  s << ":\n";
  s << metricLines(r.metrics, {r.options.bootstrap, r.options.seed, r.options.level});
  return s.str();
}

std::string probeJson(const ProbeResult& r) {
  std::ostringstream j;
  const ProbeOptions& o = r.options;
  j << "{\n  \"task\": " << jsonString(r.classes.size() == 2 ? "binary" : "multiclass") << ",\n";
  j << "  \"classes\": [";
  for (size_t k = 0; k < r.classes.size(); ++k) j << (k ? ", " : "") << jsonString(r.classes[k]);
  j << "],\n  \"label\": " << jsonString(o.labelColumn) << ",\n";
  j << "  \"features\": {\"regex\": " << jsonString(o.featuresRegex) << ", \"count\": " << r.numFeatures
    << "},\n";
  j << "  \"files\": {\"train\": " << jsonString(o.trainPath) << ", \"test\": " << jsonString(o.testPath)
    << ", \"val\": " << (o.valPath.empty() ? "null" : jsonString(o.valPath)) << "},\n";
  j << "  \"rows\": {\"train\": " << r.trainRows << ", \"val\": " << r.valRows
    << ", \"test\": " << r.test.rows() << "},\n";
  j << "  \"solver\": {\"name\": " << jsonString(solverName(o.solver.solver))
    << ", \"tol\": " << jsonNumber(o.solver.tol) << ", \"max_iter\": " << o.solver.maxIter << "},\n";
  j << "  \"selection\": {\"method\": " << jsonString(selectionMethod(r))
    << ", \"metric\": " << jsonString(r.selectionMetric)
    << ", \"folds\": " << (o.valPath.empty() ? std::to_string(o.folds) : "null")
    << ",\n    \"candidates\": [";
  for (size_t i = 0; i < r.candidates.size(); ++i) {
    const auto& c = r.candidates[i];
    j << (i ? ",\n      " : "\n      ") << "{\"C\": " << jsonNumber(c.C)
      << ", \"score\": " << jsonNumber(c.score) << ", \"fold_scores\": [";
    for (size_t f = 0; f < c.foldScores.size(); ++f) j << (f ? ", " : "") << jsonNumber(c.foldScores[f]);
    j << "], \"unconverged_fits\": " << c.unconverged << "}";
  }
  j << "],\n    \"chosen_C\": " << jsonNumber(r.chosenC) << "},\n";
  j << "  \"final_fit\": {\"C\": " << jsonNumber(r.chosenC) << ", \"iterations\": " << r.finalFit.iterations
    << ", \"converged\": " << (r.finalFit.converged ? "true" : "false")
    << ", \"stop\": " << jsonString(r.finalFit.stop)
    << ", \"gradient_max_abs\": " << jsonNumber(r.finalGradient) << "},\n";
  j << bootstrapAndTestJson({o.bootstrap, o.seed, o.level}, r.bootstrapUsed, r.bootstrapSkipped, r.metrics);
  j << ",\n  \"warnings\": " << jsonStrings(r.warnings) << ",\n  \"seconds\": " << jsonNumber(r.seconds)
    << "\n}\n";
  return j.str();
}

ProbeOutputs writeProbeOutputs(const ProbeResult& r, const std::string& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec || !fs::is_directory(dir)) throw RuntimeError("cannot create the output folder '" + dir + "'");
  ProbeOutputs out{(fs::path(dir) / "probabilities.csv").string(), (fs::path(dir) / "metrics.json").string()};

  std::ostringstream csv;
  std::vector<std::string> header = r.test.otherColumns;
  for (const auto& c : r.classes) header.push_back("prob_" + c);
  for (size_t i = 0; i < header.size(); ++i) csv << (i ? "," : "") << io::quoteCsvField(header[i]);
  csv << '\n';
  const at::Tensor p = r.testProba.to(torch::kDouble).contiguous();
  const double* data = p.data_ptr<double>();
  const auto k = static_cast<size_t>(p.size(1));
  for (size_t row = 0; row < r.test.otherCells.size(); ++row) {
    const auto& cells = r.test.otherCells[row];
    for (size_t i = 0; i < cells.size(); ++i) csv << (i ? "," : "") << io::quoteCsvField(cells[i]);
    for (size_t c = 0; c < k; ++c) csv << (cells.empty() && c == 0 ? "" : ",") << exact(data[row * k + c]);
    csv << '\n';
  }
  writeAtomically(out.probabilities, csv.str());
  writeAtomically(out.metrics, probeJson(r));
  return out;
}

std::string formatEvaluationReport(const EvaluationResult& r) {
  std::ostringstream s;
  const ScoreOptions& o = r.options.score;
  s << "evaluate: " << r.options.predictionsPath << ", " << r.rows << " rows, " << r.classes.size()
    << " classes (label " << r.options.labelColumn << "; probabilities";
  for (size_t k = 0; k < r.probaColumns.size(); ++k) s << (k ? ", " : " ") << r.probaColumns[k];
  s << ")";
  if (o.bootstrap > 0)
    s << ", " << general(o.level * 100) << "% percentile bootstrap intervals (" << r.scores.bootstrapUsed
      << " of " << o.bootstrap << " resamples, seed " << o.seed << ")";
  s << ":\n" << metricLines(r.scores.metrics, o);
  return s.str();
}

std::string evaluationJson(const EvaluationResult& r) {
  std::ostringstream j;
  const EvaluationOptions& o = r.options;
  j << "{\n  \"task\": " << jsonString(r.classes.size() == 2 ? "binary" : "multiclass") << ",\n";
  j << "  \"classes\": " << jsonStrings(r.classes) << ",\n  \"label\": " << jsonString(o.labelColumn)
    << ",\n";
  j << "  \"probability_columns\": {\"regex\": " << jsonString(o.probaRegex)
    << ", \"names\": " << jsonStrings(r.probaColumns) << "},\n";
  j << "  \"files\": {\"predictions\": " << jsonString(o.predictionsPath) << "},\n";
  j << "  \"rows\": {\"test\": " << r.rows << "},\n";
  j << bootstrapAndTestJson(o.score, r.scores.bootstrapUsed, r.scores.bootstrapSkipped, r.scores.metrics);
  j << ",\n  \"warnings\": " << jsonStrings(r.warnings) << "\n}\n";
  return j.str();
}

std::string writeEvaluationJson(const EvaluationResult& r, const std::string& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec || !fs::is_directory(dir)) throw RuntimeError("cannot create the output folder '" + dir + "'");
  const std::string path = (fs::path(dir) / "metrics.json").string();
  writeAtomically(path, evaluationJson(r));
  return path;
}

std::string formatMetricsTable(const std::vector<MetricsRow>& rows) {
  // AUROC, mAP and balanced accuracy, whatever the task: for two classes mAP is the positive
  // class's average precision, for more AUROC is the macro one-vs-rest one.
  const std::vector<std::pair<std::string, std::vector<std::string>>> columns = {
      {"AUROC", {"auroc", "auroc_macro_ovr"}},
      {"mAP", {"average_precision", "map"}},
      {"balanced accuracy", {"balanced_accuracy"}}};
  std::vector<std::vector<std::string>> cells;
  size_t nameWidth = 4;
  std::vector<size_t> width;
  for (const auto& c : columns) width.push_back(c.first.size());
  for (const auto& row : rows) {
    nameWidth = std::max(nameWidth, row.name.size());
    std::vector<std::string> line;
    for (size_t c = 0; c < columns.size(); ++c) {
      std::string cell = "n/a";
      for (const auto& key : columns[c].second)
        for (const auto& m : row.metrics)
          if (m.key == key && cell == "n/a") {
            cell = fixed(m.value, 3);
            if (!std::isnan(m.low)) cell += " [" + fixed(m.low, 3) + ", " + fixed(m.high, 3) + "]";
          }
      width[c] = std::max(width[c], cell.size());
      line.push_back(cell);
    }
    cells.push_back(line);
  }
  std::ostringstream s;
  s << pad("", nameWidth);
  for (size_t c = 0; c < columns.size(); ++c) s << "   " << pad(columns[c].first, width[c]);
  s << "   test rows\n";
  for (size_t r = 0; r < rows.size(); ++r) {
    s << pad(rows[r].name, nameWidth);
    for (size_t c = 0; c < columns.size(); ++c) s << "   " << pad(cells[r][c], width[c]);
    s << "   " << rows[r].testRows << "\n";
  }
  std::set<std::string> notes;
  for (const auto& row : rows)
    if (row.bootstrapUsed > 0)
      notes.insert("[low, high]: " + general(row.level * 100) +
                   "% percentile bootstrap interval over the test rows");
  for (const auto& n : notes) s << n << "\n";
  return s.str();
}

}  // namespace fmcib::probe
