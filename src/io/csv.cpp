#include "fmcib/io/csv.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string_view>

#include "fmcib/common/parse_number.hpp"
#include "fmcib/config/error.hpp"
#include "fmcib/io/atomic_file.hpp"
#include "fmcib/io/excerpt.hpp"

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

namespace {

/// One pass over the file: RFC 4180 records (quoted fields may span lines), the same field rules as
/// splitCsvRecord, each record's first line for messages. Linear in the file size.
class RecordReader {
 public:
  RecordReader(const std::string& path, std::istream& in) : path_(path), in_(in) {}

  /// The next record; false at the end of the file. `header` (null while reading it) and `row`
  /// only name the place of an error.
  bool next(std::vector<std::string>& fields, const std::vector<std::string>* header, size_t row) {
    fields.clear();
    std::string field;
    bool quoted = false, wasQuoted = false, any = false;
    recordLine_ = line_;
    auto place = [&] {
      const std::string column = header && fields.size() < header->size()
                                     ? "column '" + excerpt((*header)[fields.size()]) + "'"
                                     : "column " + std::to_string(fields.size() + 1);
      return path_ + " line " + std::to_string(line_) +
             (header ? " (row " + std::to_string(row) + ")" : std::string(" (header)")) + ", " + column;
    };
    auto endField = [&] {
      if (fields.size() >= kMaxCsvColumns)
        throw InputError(path_ + " line " + std::to_string(recordLine_) + " has more than " +
                         std::to_string(kMaxCsvColumns) + " fields");
      fields.push_back(std::move(field));
      field.clear();
      wasQuoted = false;
    };
    for (int c; (c = get()) != kEnd;) {
      any = true;
      if (c == '\0') throw InputError(place() + ": a NUL byte (binary data, or a UTF-16 file?)");
      if (quoted) {
        if (c == '"') {
          if (peek() == '"') {
            field += '"';
            get();
          } else {
            quoted = false;
          }
        } else if (!(c == '\r' && peek() == '\n')) {  // CRLF inside quotes reads as LF
          if (c == '\n') ++line_;
          field += static_cast<char>(c);
        }
      } else if (c == ',') {
        endField();
      } else if (c == '\n' || (c == '\r' && peek() == '\n')) {
        if (c == '\r') get();
        ++line_;
        endField();
        return true;
      } else if (c == '"' && field.empty() && !wasQuoted) {
        quoted = wasQuoted = true;
      } else {
        field += static_cast<char>(c);  // a stray quote inside an unquoted field is kept (as pandas does)
      }
      if (field.size() > kMaxCsvFieldBytes)
        throw InputError(place() + ": a field longer than " + std::to_string(kMaxCsvFieldBytes) +
                         " bytes (an unclosed quote?) starting '" + excerpt(field) + "'");
    }
    if (quoted)
      throw InputError(path_ + " line " + std::to_string(recordLine_) + ": a quoted field is never closed");
    if (!any) return false;
    endField();
    return true;
  }

  size_t recordLine() const { return recordLine_; }
  void skipByteOrderMark() {
    if (peek() == 0xEF && fill(3) && static_cast<unsigned char>(buf_[pos_ + 1]) == 0xBB &&
        static_cast<unsigned char>(buf_[pos_ + 2]) == 0xBF)
      pos_ += 3;
  }

 private:
  static constexpr int kEnd = -1;
  /// At least `n` unread bytes in the buffer, unless the file ends first.
  bool fill(size_t n) {
    if (len_ - pos_ >= n) return true;
    buf_.erase(0, pos_);
    len_ -= pos_;
    pos_ = 0;
    buf_.resize(std::max<size_t>(n, 1 << 16));
    while (len_ < n && in_) {
      in_.read(&buf_[len_], static_cast<std::streamsize>(buf_.size() - len_));
      len_ += static_cast<size_t>(in_.gcount());
    }
    if (in_.bad()) throw InputError("cannot read CSV file '" + path_ + "': read error");
    return len_ - pos_ >= n;
  }
  int peek() { return fill(1) ? static_cast<unsigned char>(buf_[pos_]) : kEnd; }
  int get() { return fill(1) ? static_cast<unsigned char>(buf_[pos_++]) : kEnd; }

  const std::string& path_;
  std::istream& in_;
  std::string buf_;
  size_t pos_ = 0, len_ = 0;
  size_t line_ = 1, recordLine_ = 1;
};

}  // namespace

std::optional<double> parseDecimal(const std::string& text) {
  const size_t b = text.find_first_not_of(" \t");
  if (b == std::string::npos) return std::nullopt;
  const std::string_view t(text.data() + b, text.find_last_not_of(" \t") - b + 1);
  const std::optional<double> v = fmcib::parseDecimal(t);
  if (!v || !std::isfinite(*v)) return std::nullopt;
  return v;
}

namespace {

/// The checks before any open (a FIFO would block it), then the stream.
void openCsv(const std::string& path, std::ifstream& in) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const auto status = fs::status(path, ec);
  if (!fs::exists(status)) throw InputError("CSV file '" + path + "' does not exist");
  if (fs::is_directory(status)) throw InputError("CSV file '" + path + "' is a folder");
  if (!fs::is_regular_file(status)) throw InputError("CSV file '" + path + "' is not a regular file");
  in.open(path, std::ios::binary);
  if (!in) throw InputError("cannot read CSV file '" + path + "'");
}

void checkFieldCount(const std::string& path, size_t line, size_t row, size_t fields, size_t header) {
  if (fields != header)
    throw InputError(path + " line " + std::to_string(line) + " (row " + std::to_string(row) + ") has " +
                     std::to_string(fields) + " fields, the header has " + std::to_string(header));
}

bool blank(const std::vector<std::string>& fields) {
  return fields.size() == 1 && fields[0].empty();
}

}  // namespace

struct CsvRecordReader::Impl {
  std::string path;
  std::ifstream in;
  std::unique_ptr<RecordReader> reader;
  std::vector<std::string> header;
  size_t line = 0;
  size_t rows = 0;
};

CsvRecordReader::CsvRecordReader(const std::string& path) : impl_(std::make_unique<Impl>()) {
  impl_->path = path;
  openCsv(path, impl_->in);
  impl_->reader = std::make_unique<RecordReader>(impl_->path, impl_->in);
  impl_->reader->skipByteOrderMark();
  while (impl_->reader->next(impl_->header, nullptr, 0))
    if (!blank(impl_->header)) return;
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
  while (impl_->reader->next(fields, &impl_->header, impl_->rows)) {
    if (blank(fields)) continue;
    impl_->line = impl_->reader->recordLine();
    checkFieldCount(impl_->path, impl_->line, impl_->rows, fields.size(), impl_->header.size());
    ++impl_->rows;
    return true;
  }
  return false;
}

CsvTable CsvTable::read(const std::string& path) {
  std::ifstream in;
  openCsv(path, in);
  RecordReader reader(path, in);
  reader.skipByteOrderMark();
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
  std::vector<size_t> lines;
  std::vector<std::string> fields;
  bool first = true;
  size_t cells = 0;
  while (reader.next(fields, first ? nullptr : &header, rows.size())) {
    if (blank(fields)) continue;
    const size_t line = reader.recordLine();
    if (first) {
      header = fields;
      first = false;
      continue;
    }
    checkFieldCount(path, line, rows.size(), fields.size(), header.size());
    cells += fields.size();
    if (cells > kMaxCsvCells)
      throw InputError(path + " has more than " + std::to_string(kMaxCsvCells) + " cells (line " +
                       std::to_string(line) + ")");
    rows.push_back(fields);
    lines.push_back(line);
  }
  if (first) throw InputError("CSV file '" + path + "' is empty (no header line)");
  return CsvTable(path, std::move(header), std::move(rows), std::move(lines));
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
    if (!findColumn(name)) missing += (missing.empty() ? "'" : ", '") + excerpt(name) + "'";
  if (missing.empty()) return;
  std::string all, present;
  for (const auto& name : required) all += (all.empty() ? "" : ", ") + name;
  for (const auto& name : header_) present += (present.empty() ? "" : ", ") + excerpt(name);
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
         excerpt(header_.at(column)) + "'";
}

double CsvTable::number(size_t row, size_t column) const {
  const std::string& text = cell(row, column);
  const auto v = parseDecimal(text);
  if (!v) throw InputError(where(row, column) + ": '" + excerpt(text) + "' is not a number");
  return *v;
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
