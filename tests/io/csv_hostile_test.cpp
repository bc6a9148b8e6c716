// CSV files that are broken or built to be slow: NUL bytes, numbers in other notations, huge
// fields and records, quoted fields over many lines, a FIFO. Each is a clear InputError naming
// file, line, row and column, with echoed text cut short; none takes more than linear time.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "fmcib/config/error.hpp"
#include "fmcib/io/csv.hpp"
#include "support/errors.hpp"
#include "support/paths.hpp"

namespace {

namespace fs = std::filesystem;
using fmcib::io::CsvTable;
using fmcib::io::parseDecimal;
using fmcib::test::errorOf;

using fmcib::test::writeFile;

TEST(CsvHostile, NulByteIsAnErrorNotTheEndOfTheLine) {
  const auto dir = fmcib::test::tempDir("csv_nul");
  // label `1\0 99` read as 1 before
  const std::string path =
      writeFile(dir, "nul.csv", std::string("image_path,coordX,label\n/x.nii,1,1") + '\0' + " 99\n");
  EXPECT_EQ(errorOf([&] { CsvTable::read(path); }),
            path + " line 2 (row 0), column 'label': a NUL byte (binary data, or a UTF-16 file?)");
  const std::string header = writeFile(dir, "nul_header.csv", std::string("image_path,co") + '\0' + "ordX\n");
  EXPECT_EQ(errorOf([&] { CsvTable::read(header); }),
            header + " line 1 (header), column 2: a NUL byte (binary data, or a UTF-16 file?)");
  // UTF-16 (what some spreadsheet exports write) is full of NULs
  const std::string utf16 = writeFile(dir, "utf16.csv",
                                      std::string("\xff\xfe"
                                                  "a\0,\0b\0\n\0",
                                                  10));
  EXPECT_NE(errorOf([&] { CsvTable::read(utf16); }).find("a NUL byte"), std::string::npos);
}

TEST(CsvHostile, NumbersAreDecimalOnly) {
  for (const char* ok : {"1", "-2.5", "+3", " 4.25\t", ".5", "5.", "1e-6", "-1.5E+3", "007"})
    EXPECT_TRUE(parseDecimal(ok)) << ok;
  for (const char* bad : {"0x10", "0X1p3", "inf", "-Infinity", "nan", "1e", "e5", ".", "+", "--1", "1.2.3",
                          "1_000", "1,5", "12.5x", "", "  ", "1e999", "0x", "1 2"})
    EXPECT_FALSE(parseDecimal(bad)) << bad;
  EXPECT_DOUBLE_EQ(*parseDecimal(" -1.5E+3 "), -1500.0);
  const auto dir = fmcib::test::tempDir("csv_hex");
  const std::string path = writeFile(dir, "hex.csv", "image_path,coordX,label\n/x.nii,0x10,1\n");
  const CsvTable t = CsvTable::read(path);
  EXPECT_EQ(errorOf([&] { t.number(0, 1); }),
            path + " row 0 (line 2), column 'coordX': '0x10' is not a number");
}

TEST(CsvHostile, EchoedTextIsCutShort) {
  const auto dir = fmcib::test::tempDir("csv_echo");
  const std::string longCell(10000, 'x');
  const std::string path = writeFile(dir, "long.csv", "image_path,coordX\n/x.nii," + longCell + "\n");
  const CsvTable t = CsvTable::read(path);
  const std::string msg = errorOf([&] { t.number(0, 1); });
  EXPECT_EQ(msg,
            path + " row 0 (line 2), column 'coordX': '" + std::string(80, 'x') + "...' is not a number");
  const std::string header = writeFile(dir, "long_header.csv", std::string(5000, 'h') + "\n1\n");
  EXPECT_LT(errorOf([&] { CsvTable::read(header).requireColumns({"image_path"}); }).size(), 400u);
}

TEST(CsvHostile, FieldsRecordsAndCellsAreCapped) {
  const auto dir = fmcib::test::tempDir("csv_caps");
  // an unclosed quote swallowing the rest of a 3 MB file
  const std::string open =
      writeFile(dir, "open.csv", "image_path,note\n/x.nii,\"" + std::string(3 << 20, 'n') + "\n/y.nii,b\n");
  const std::string msg = errorOf([&] { CsvTable::read(open); });
  EXPECT_EQ(msg.rfind(open + " line 2 (row 0), column 'note': a field longer than 1048576 bytes (an unclosed "
                             "quote?) starting 'nnn",
                      0),
            0u)
      << msg.substr(0, 300);
  EXPECT_LT(msg.size(), 400u);
  // 20,000 commas on one line
  const std::string wide = writeFile(dir, "wide.csv", std::string(20000, ',') + "\n");
  EXPECT_EQ(errorOf([&] { CsvTable::read(wide); }), wide + " line 1 has more than 10000 fields");
}

TEST(CsvHostile, QuotedFieldOverManyLinesReadsInOnePass) {
  // 150,000 lines in one quoted field: re-splitting the record per line took minutes
  const auto dir = fmcib::test::tempDir("csv_multiline");
  std::string note;
  for (int i = 0; i < 150000; ++i) note += "l\n";
  const std::string path =
      writeFile(dir, "multi.csv", "image_path,note,coordX\n/x.nii,\"" + note + "\",1\n/y,b,2\n");
  const CsvTable t = CsvTable::read(path);
  ASSERT_EQ(t.numRows(), 2u);
  EXPECT_EQ(t.cell(0, 1), note);
  EXPECT_EQ(t.lineOf(1), 150003u);
  EXPECT_DOUBLE_EQ(t.number(1, 2), 2.0);
}

TEST(CsvHostile, OnlyRegularFilesAreOpened) {
  const auto dir = fmcib::test::tempDir("csv_fifo");
  const std::string fifo = (dir / "rows.csv").string();
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  EXPECT_EQ(errorOf([&] { CsvTable::read(fifo); }), "CSV file '" + fifo + "' is not a regular file");
}

}  // namespace
