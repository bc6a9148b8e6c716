#pragma once
/// CSV annotation files (RFC 4180: quoted fields may hold commas, quotes doubled, and line breaks),
/// read in one linear pass by our own parser, because the annotation files differ in their columns
/// (DeepLesion's `"[345, 284, 372, 319]"`, LUNG1's unnamed first column) and a NUL byte must be an
/// error, not the end of a line. Every column is kept as raw text; typed access reports the file,
/// row, line, column and value of a bad cell. Limits: kMaxCsvFieldBytes per field,
/// kMaxCsvColumns per record, kMaxCsvCells in all.
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace fmcib::io {

inline constexpr size_t kMaxCsvFieldBytes = size_t{1} << 20;
inline constexpr size_t kMaxCsvColumns = 10000;
inline constexpr size_t kMaxCsvCells = size_t{1} << 24;

class CsvTable {
 public:
  /// Reads a whole file. InputError when it is missing or not a regular file, empty, has an
  /// unterminated quote, a NUL byte (naming line, row and column), a field, record or file over the
  /// limits above, or a row whose field count differs from the header's (naming file and line).
  /// Blank lines are skipped; a UTF-8 byte-order mark and Windows line ends are accepted.
  static CsvTable read(const std::string& path);
  /// A table from parts (tests, generated files). Rows must have header().size() fields.
  CsvTable(std::string path, std::vector<std::string> header, std::vector<std::vector<std::string>> rows,
           std::vector<size_t> lines = {});

  const std::string& path() const { return path_; }
  const std::vector<std::string>& header() const { return header_; }
  size_t numRows() const { return rows_.size(); }
  const std::vector<std::string>& row(size_t index) const { return rows_.at(index); }
  const std::string& cell(size_t row, size_t column) const { return rows_.at(row).at(column); }
  /// 1-based line of the file where a row starts.
  size_t lineOf(size_t row) const;

  /// The column's position, or nullopt.
  std::optional<size_t> findColumn(const std::string& name) const;
  /// Throws InputError naming the file, the missing columns and every required one.
  void requireColumns(const std::vector<std::string>& required) const;
  /// The column's position; throws like requireColumns({name}).
  size_t column(const std::string& name) const;

  /// The cell as a finite decimal number (parseDecimal); InputError
  /// "<file> row R (line L), column 'c': 'v' is not a number" (v cut to 80 characters).
  double number(size_t row, size_t column) const;
  /// "<file> row R (line L), column 'c'" for messages.
  std::string where(size_t row, size_t column) const;

 private:
  std::string path_;
  std::vector<std::string> header_;
  std::vector<std::vector<std::string>> rows_;
  std::vector<size_t> lines_;
};

using CsvTablePtr = std::shared_ptr<const CsvTable>;

/// Streams a CSV file one record at a time with the rules and limits of CsvTable::read (BOM, CRLF,
/// blank lines, quoted line breaks, NUL bytes, field count checked against the header) but no cap
/// on the number of cells, for files too large to keep as text (thousands of feature columns).
class CsvRecordReader {
 public:
  /// Opens the file and reads the header; InputError when it is missing, not a regular file or empty.
  explicit CsvRecordReader(const std::string& path);
  ~CsvRecordReader();
  CsvRecordReader(const CsvRecordReader&) = delete;
  CsvRecordReader& operator=(const CsvRecordReader&) = delete;

  const std::string& path() const;
  const std::vector<std::string>& header() const;
  /// The next row's fields; false at the end of the file. InputError (naming file, line and row)
  /// for an unclosed quote, a NUL byte, a field over the limit or a field count that differs from
  /// the header's.
  bool next(std::vector<std::string>& fields);
  /// 1-based line where the row last returned by next() starts.
  size_t line() const;
  /// 0-based index of the row last returned by next().
  size_t row() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// A decimal number as pandas writes them: optional blanks, sign, digits with an optional fraction
/// and exponent. nullopt for anything else (hex `0x10`, `inf`, `nan`, `1e`, trailing text) and for
/// values beyond double's range.
std::optional<double> parseDecimal(const std::string& text);

/// Splits one CSV record (already joined across quoted line breaks). Returns false when a quote is
/// left open (the caller appends the next line and retries).
bool splitCsvRecord(const std::string& record, std::vector<std::string>& fields);
/// Quotes a field when it holds a comma, quote, or line break.
std::string quoteCsvField(const std::string& field);
/// Writes header and rows (quoted where needed) atomically; RuntimeError when the file cannot be
/// written.
void writeCsv(const std::string& path, const std::vector<std::string>& header,
              const std::vector<std::vector<std::string>>& rows);

}  // namespace fmcib::io
