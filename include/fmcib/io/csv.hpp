#pragma once
/// CSV annotation files (RFC 4180: quoted fields may hold commas, quotes doubled, and line breaks),
/// read line by line with libfccp's LineReader and split by our own field splitter, because
/// libfccp's CSVReader needs the column count at compile time and the annotation files differ
/// (DeepLesion's `"[345, 284, 372, 319]"`, LUNG1's unnamed first column). Every column is kept as
/// raw text; typed access reports the file, row, line, column and value of a bad cell.
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace fmcib::io {

class CsvTable {
 public:
  /// Reads a whole file. InputError when it is missing, empty, has an unterminated quote, or a row
  /// whose field count differs from the header's (naming file and line). Blank lines are skipped;
  /// a UTF-8 byte-order mark and Windows line ends are accepted.
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

  /// The cell as a finite number; InputError "<file> row R (line L), column 'c': 'v' is not a number".
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

/// Streams a CSV file one record at a time with the rules of CsvTable::read (BOM, CRLF, blank lines,
/// quoted line breaks, field count checked against the header), for files too large to keep as text
/// (thousands of feature columns). CsvTable::read is built on it.
class CsvRecordReader {
 public:
  /// Opens the file and reads the header; InputError when it is missing, a folder or empty.
  explicit CsvRecordReader(const std::string& path);
  ~CsvRecordReader();
  CsvRecordReader(const CsvRecordReader&) = delete;
  CsvRecordReader& operator=(const CsvRecordReader&) = delete;

  const std::string& path() const;
  const std::vector<std::string>& header() const;
  /// The next row's fields; false at the end of the file. InputError (naming file, line and row)
  /// for an unclosed quote or a field count that differs from the header's.
  bool next(std::vector<std::string>& fields);
  /// 1-based line where the row last returned by next() starts.
  size_t line() const;
  /// 0-based index of the row last returned by next().
  size_t row() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// A cell's text as a finite number (blanks and tabs around it allowed), or nullopt.
std::optional<double> parseNumber(const std::string& text);

/// Splits one CSV record (already joined across quoted line breaks). Returns false when a quote is
/// left open (the caller appends the next line and retries).
bool splitCsvRecord(const std::string& record, std::vector<std::string>& fields);
/// Quotes a field when it holds a comma, quote, or line break.
std::string quoteCsvField(const std::string& field);
/// Writes header and rows (quoted where needed), atomically (io::AtomicFile); RuntimeError when
/// the file cannot be written.
void writeCsv(const std::string& path, const std::vector<std::string>& header,
              const std::vector<std::vector<std::string>>& rows);

}  // namespace fmcib::io
