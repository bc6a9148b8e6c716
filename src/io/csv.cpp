#include "fmcib/io/csv.hpp"

// libfccp copies file names with strncpy; GCC warns inside its header when inlined here.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wstringop-truncation"
#include <libfccp/csv.h>
#pragma GCC diagnostic pop

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "fmcib/config/error.hpp"
#include "fmcib/io/atomic_file.hpp"

namespace fmcib::io {

bool splitCsvRecord(const std::string& record, std::vector<std::string>& fields) {
  fields.clear();
  std::string field;
  bool quoted = false;     // inside a quoted section
  bool wasQuoted = false;  // the field began with a quote
  for (size_t i = 0; i < record.size(); ++i) {
    const char c = record[i];
    if (quoted) {
      if (c == '"') {
        if (i + 1 < record.size() && record[i + 1] == '"') {
          field += '"';
          ++i;
        } else {
          quoted = false;
        }
      } else {
        field += c;
      }
    } else if (c == ',') {
      fields.push_back(std::move(field));
      field.clear();
      wasQuoted = false;
    } else if (c == '"' && field.empty() && !wasQuoted) {
      quoted = true;
      wasQuoted = true;
    } else {
      // A stray quote inside an unquoted field is kept literally (as pandas does).
      field += c;
    }
  }
  if (quoted) return false;
  fields.push_back(std::move(field));
  return true;
}

std::string quoteCsvField(const std::string& field) {
  if (field.find_first_of(",\"\n\r") == std::string::npos) return field;
  std::string out = "\"";
  for (char c : field) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

CsvTable::CsvTable(std::string path, std::vector<std::string> header,
                   std::vector<std::vector<std::string>> rows, std::vector<size_t> lines)
    : path_(std::move(path)), header_(std::move(header)), rows_(std::move(rows)), lines_(std::move(lines)) {
  for (size_t r = 0; r < rows_.size(); ++r)
    if (rows_[r].size() != header_.size())
      throw InputError(path_ + " row " + std::to_string(r) + " has " + std::to_string(rows_[r].size()) +
                       " fields, the header has " + std::to_string(header_.size()));
  if (lines_.empty())
    for (size_t r = 0; r < rows_.size(); ++r) lines_.push_back(r + 2);
}

struct CsvRecordReader::Impl {
  std::string path;
  std::unique_ptr<::io::LineReader> reader;
  std::vector<std::string> header;
  size_t line = 0;
  size_t rows = 0;

  /// The next non-blank record joined across quoted line breaks; false at the end of the file.
  bool nextRecord(std::vector<std::string>& fields, bool first) {
    try {
      while (char* raw = reader->next_line()) {
        std::string record(raw);
        line = reader->get_file_line();
        if (first && record.rfind("\xEF\xBB\xBF", 0) == 0) record.erase(0, 3);
        // A quoted field may span lines: keep appending until the quotes close.
        while (!splitCsvRecord(record, fields)) {
          char* more = reader->next_line();
          if (!more)
            throw InputError(path + " line " + std::to_string(line) + ": a quoted field is never closed");
          record += '\n';
          record += more;
        }
        if (fields.size() == 1 && fields[0].empty()) continue;  // blank line
        return true;
      }
      return false;
    } catch (const ::io::error::base& e) {
      throw InputError("cannot read CSV file '" + path + "': " + e.what());
    }
  }
};

CsvRecordReader::CsvRecordReader(const std::string& path) : impl_(std::make_unique<Impl>()) {
  if (!std::filesystem::exists(path)) throw InputError("CSV file '" + path + "' does not exist");
  if (std::filesystem::is_directory(path)) throw InputError("CSV file '" + path + "' is a folder");
  impl_->path = path;
  try {
    impl_->reader = std::make_unique<::io::LineReader>(path);
  } catch (const ::io::error::base& e) {
    throw InputError("cannot read CSV file '" + path + "': " + e.what());
  }
  if (!impl_->nextRecord(impl_->header, true))
    throw InputError("CSV file '" + path + "' is empty (no header line)");
}

CsvRecordReader::~CsvRecordReader() = default;

const std::string& CsvRecordReader::path() const {
  return impl_->path;
}
const std::vector<std::string>& CsvRecordReader::header() const {
  return impl_->header;
}
size_t CsvRecordReader::line() const {
  return impl_->line;
}
size_t CsvRecordReader::row() const {
  return impl_->rows == 0 ? 0 : impl_->rows - 1;
}

bool CsvRecordReader::next(std::vector<std::string>& fields) {
  if (!impl_->nextRecord(fields, false)) return false;
  if (fields.size() != impl_->header.size())
    throw InputError(impl_->path + " line " + std::to_string(impl_->line) + " (row " +
                     std::to_string(impl_->rows) + ") has " + std::to_string(fields.size()) +
                     " fields, the header has " + std::to_string(impl_->header.size()));
  ++impl_->rows;
  return true;
}

CsvTable CsvTable::read(const std::string& path) {
  CsvRecordReader reader(path);
  std::vector<std::vector<std::string>> rows;
  std::vector<size_t> lines;
  std::vector<std::string> fields;
  while (reader.next(fields)) {
    rows.push_back(fields);
    lines.push_back(reader.line());
  }
  return CsvTable(path, reader.header(), std::move(rows), std::move(lines));
}

size_t CsvTable::lineOf(size_t row) const {
  return row < lines_.size() ? lines_[row] : 0;
}

std::optional<size_t> CsvTable::findColumn(const std::string& name) const {
  for (size_t i = 0; i < header_.size(); ++i)
    if (header_[i] == name) return i;
  return std::nullopt;
}

void CsvTable::requireColumns(const std::vector<std::string>& required) const {
  std::string missing;
  for (const auto& name : required)
    if (!findColumn(name)) missing += (missing.empty() ? "'" : ", '") + name + "'";
  if (missing.empty()) return;
  std::string all, present;
  for (const auto& name : required) all += (all.empty() ? "" : ", ") + name;
  for (const auto& name : header_) present += (present.empty() ? "" : ", ") + name;
  throw InputError(path_ + " is missing column(s) " + missing + "; required columns: " + all +
                   "; columns present: " + present);
}

size_t CsvTable::column(const std::string& name) const {
  if (auto c = findColumn(name)) return *c;
  requireColumns({name});
  return 0;  // unreachable: requireColumns threw
}

std::string CsvTable::where(size_t row, size_t column) const {
  return path_ + " row " + std::to_string(row) + " (line " + std::to_string(lineOf(row)) + "), column '" +
         header_.at(column) + "'";
}

std::optional<double> parseNumber(const std::string& text) {
  const size_t b = text.find_first_not_of(" \t");
  if (b == std::string::npos) return std::nullopt;
  const size_t e = text.find_last_not_of(" \t");
  const std::string trimmed = text.substr(b, e - b + 1);
  char* end = nullptr;
  errno = 0;
  const double v = std::strtod(trimmed.c_str(), &end);
  if (end != trimmed.c_str() + trimmed.size() || !std::isfinite(v)) return std::nullopt;
  return v;
}

double CsvTable::number(size_t row, size_t column) const {
  const std::string& text = cell(row, column);
  if (const auto v = parseNumber(text)) return *v;
  throw InputError(where(row, column) + ": '" + text + "' is not a number");
}

void writeCsv(const std::string& path, const std::vector<std::string>& header,
              const std::vector<std::vector<std::string>>& rows) {
  const auto parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent);
  std::string out;
  auto writeRow = [&](const std::vector<std::string>& fields) {
    for (size_t i = 0; i < fields.size(); ++i) {
      if (i) out += ',';
      out += quoteCsvField(fields[i]);
    }
    out += '\n';
  };
  writeRow(header);
  for (const auto& r : rows) writeRow(r);
  writeFileAtomically(path, out);
}

}  // namespace fmcib::io
