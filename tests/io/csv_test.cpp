// CSV annotations: the study's real files load as they are; bad files give messages naming the
// file, row, line, column and value.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "fmcib/config/error.hpp"
#include "fmcib/io/csv.hpp"
#include "support/errors.hpp"
#include "support/paths.hpp"

namespace fs = std::filesystem;
using fmcib::InputError;
using fmcib::io::CsvTable;

namespace {

fs::path excerpts() {
  return fmcib::test::sourceDir() / "tests" / "io" / "reference_csv";
}

using fmcib::test::writeFile;

using fmcib::test::errorOf;

}  // namespace

TEST(Csv, SplitsQuotedFieldsWithCommasAndQuotes) {
  std::vector<std::string> f;
  ASSERT_TRUE(fmcib::io::splitCsvRecord(R"(12,"-175, 275","[345, 284, 372, 319]",,"say ""hi""",x)", f));
  ASSERT_EQ(f.size(), 6u);
  EXPECT_EQ(f[0], "12");
  EXPECT_EQ(f[1], "-175, 275");
  EXPECT_EQ(f[2], "[345, 284, 372, 319]");
  EXPECT_EQ(f[3], "");
  EXPECT_EQ(f[4], "say \"hi\"");
  EXPECT_EQ(f[5], "x");
  EXPECT_FALSE(fmcib::io::splitCsvRecord("a,\"open", f));
}

TEST(Csv, ReferenceExcerptsLoadAsTheyAre) {
  const std::pair<const char*, const char*> files[] = {{"deeplesion_pretrain.csv", "Coarse_lesion_type"},
                                                       {"deeplesion_task1_train.csv", "Coarse_lesion_type"},
                                                       {"deeplesion_task1_val.csv", "Coarse_lesion_type"},
                                                       {"deeplesion_task1_test.csv", "Coarse_lesion_type"},
                                                       {"luna16_task2_train.csv", "malignancy"},
                                                       {"luna16_task2_val.csv", "malignancy"},
                                                       {"luna16_task2_test.csv", "malignancy"},
                                                       {"lung1_annotations.csv", "survival"}};
  for (const auto& [name, label] : files) {
    const CsvTable t = CsvTable::read((excerpts() / name).string());
    EXPECT_EQ(t.numRows(), 20u) << name;
    EXPECT_NO_THROW(t.requireColumns({"image_path", "coordX", "coordY", "coordZ", label})) << name;
    for (size_t r = 0; r < t.numRows(); ++r) {
      EXPECT_NO_THROW(t.number(r, t.column("coordX")));
      EXPECT_NO_THROW(t.number(r, t.column(label)));
    }
  }
  const CsvTable dl = CsvTable::read((excerpts() / "deeplesion_pretrain.csv").string());
  EXPECT_EQ(dl.header().size(), 22u);
  EXPECT_EQ(dl.cell(0, dl.column("bbox")), "[345, 284, 372, 319]");
  EXPECT_EQ(dl.cell(0, dl.column("DICOM_windows")), "-175, 275");
  EXPECT_DOUBLE_EQ(dl.number(0, dl.column("coordZ")), -32.5);
  EXPECT_EQ(dl.lineOf(0), 2u);
  const CsvTable lung1 = CsvTable::read((excerpts() / "lung1_annotations.csv").string());
  EXPECT_EQ(lung1.header().front(), "");  // pandas' unnamed index column
  EXPECT_EQ(lung1.cell(0, lung1.column("survival")), "1.0");
}

TEST(Csv, FullReferenceFilesLoadWhenPresent) {
  // The complete study files live beside the repository in the development workspace; a user's
  // clone checks the committed excerpts only.
  const fs::path full = fmcib::test::sourceDir().parent_path() / "shared" / "reference-data";
  if (!fs::is_directory(full)) {
    EXPECT_TRUE(fs::exists(excerpts() / "deeplesion_pretrain.csv"));
    return;
  }
  const std::pair<const char*, size_t> counts[] = {
      {"deeplesion_pretrain.csv", 11467}, {"deeplesion_task1_train.csv", 2610},
      {"deeplesion_task1_val.csv", 1220}, {"deeplesion_task1_test.csv", 1221},
      {"luna16_task2_train.csv", 338},    {"luna16_task2_val.csv", 169},
      {"luna16_task2_test.csv", 170},     {"lung1_annotations.csv", 421}};
  for (const auto& [name, rows] : counts) {
    const CsvTable t = CsvTable::read((full / name).string());
    EXPECT_EQ(t.numRows(), rows) << name;
    const CsvTable head = CsvTable::read((excerpts() / name).string());
    EXPECT_EQ(head.header(), t.header()) << name;
    for (size_t r = 0; r < head.numRows(); ++r) EXPECT_EQ(head.row(r), t.row(r)) << name << " row " << r;
    for (size_t r = 0; r < t.numRows(); ++r)
      for (const char* c : {"coordX", "coordY", "coordZ"}) ASSERT_NO_THROW(t.number(r, t.column(c))) << name;
  }
}

TEST(Csv, AcceptsBomCrlfBlankLinesAndMultilineQuotes) {
  const auto dir = fmcib::test::tempDir("csv_formats");
  const std::string path = writeFile(
      dir, "a.csv", "\xEF\xBB\xBFimage_path,note,coordX\r\n/a.nii,\"two\nlines\",1.5\r\n\r\n/b.nii,x,2\r\n");
  const CsvTable t = CsvTable::read(path);
  ASSERT_EQ(t.numRows(), 2u);
  EXPECT_EQ(t.header()[0], "image_path");
  EXPECT_EQ(t.cell(0, 1), "two\nlines");
  EXPECT_EQ(t.lineOf(1), 5u);
  EXPECT_DOUBLE_EQ(t.number(1, 2), 2.0);
}

TEST(Csv, WriteThenReadRoundTrips) {
  const auto dir = fmcib::test::tempDir("csv_write");
  const std::vector<std::string> header = {"a", "b,c", "d"};
  const std::vector<std::vector<std::string>> rows = {{"1", "x, y", "say \"q\""}, {"", "multi\nline", "3"}};
  const std::string path = (dir / "out.csv").string();
  fmcib::io::writeCsv(path, header, rows);
  const CsvTable t = CsvTable::read(path);
  EXPECT_EQ(t.header(), header);
  ASSERT_EQ(t.numRows(), 2u);
  EXPECT_EQ(t.row(0), rows[0]);
  EXPECT_EQ(t.row(1), rows[1]);
}

TEST(Csv, BadFilesNameFileLineAndValue) {
  const auto dir = fmcib::test::tempDir("csv_errors");
  const std::string missing = (dir / "nope.csv").string();
  EXPECT_EQ(errorOf([&] { CsvTable::read(missing); }), "CSV file '" + missing + "' does not exist");
  const std::string empty = writeFile(dir, "empty.csv", "");
  EXPECT_NE(errorOf([&] { CsvTable::read(empty); }).find("is empty (no header line)"), std::string::npos);
  const std::string ragged = writeFile(dir, "ragged.csv", "a,b\n1,2\n3\n");
  EXPECT_EQ(errorOf([&] { CsvTable::read(ragged); }),
            ragged + " line 3 (row 1) has 1 fields, the header has 2");
  const std::string open = writeFile(dir, "open.csv", "a,b\n1,\"never closed\n2,3\n");
  EXPECT_EQ(errorOf([&] { CsvTable::read(open); }), open + " line 2: a quoted field is never closed");

  const std::string ok = writeFile(dir, "cols.csv", "image_path,coordX,label\n/x.nii,12.5x,1\n");
  const CsvTable t = CsvTable::read(ok);
  EXPECT_EQ(
      errorOf([&] {
        t.requireColumns({"image_path", "coordX", "coordY", "coordZ"});
      }),
      ok + " is missing column(s) 'coordY', 'coordZ'; required columns: image_path, coordX, coordY, coordZ; "
           "columns present: image_path, coordX, label");
  EXPECT_EQ(errorOf([&] { t.number(0, 1); }),
            ok + " row 0 (line 2), column 'coordX': '12.5x' is not a number");
  EXPECT_EQ(errorOf([&] { t.column("coordY"); }), ok + " is missing column(s) 'coordY'; required columns: "
                                                       "coordY; columns present: image_path, coordX, label");
}
