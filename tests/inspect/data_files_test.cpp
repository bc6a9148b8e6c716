// Hostile image paths and headers: a path the system cannot look up is that row's problem (with
// one worker or several), a header that reads its voxels from outside its folder is a warning in
// check-data and refused by export-patches.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "fmcib/data/demo_data.hpp"
#include "fmcib/inspect/data_check.hpp"
#include "fmcib/io/csv.hpp"
#include "fmcib/io/image_data_files.hpp"
#include "fmcib/io/image_io.hpp"
#include "support/paths.hpp"
#include "support/process.hpp"
#include "support/text.hpp"

namespace fmcib::inspect {
using fmcib::test::num;

namespace {

namespace fs = std::filesystem;

struct Scan {
  fs::path dir, image;
  std::vector<io::Vec3> seeds;  ///< well inside the scan
};

const Scan& scan() {
  static const Scan s = [] {
    Scan x;
    x.dir = test::tempDir("inspect_files");
    data::DemoDataOptions o;
    o.outDir = (x.dir / "data").string();
    o.scans = 3;  // the fewest make-demo-data writes (one per orientation group)
    o.lesionsPerScan = 3;
    o.size = {64, 64, 32};
    const data::DemoDataResult demo = data::makeDemoData(o);
    x.image = demo.scans[0].path;
    const io::ImageGeometry g = io::readImageInfo(x.image.string()).geometry;
    for (const auto& l : demo.scans[0].lesions) {
      const io::Vec3 ci = g.physicalToContinuousIndex(l.centre);
      bool inside = true;
      for (int a = 0; a < 3; ++a) inside = inside && ci[a] > 8 && ci[a] < static_cast<double>(g.size[a]) - 8;
      if (inside) x.seeds.push_back(l.centre);
    }
    return x;
  }();
  return s;
}

std::string readText(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

/// The demo scan as a two-file image (`ext` .nhdr or .mhd) whose data file is moved to `elsewhere`
/// and named there by `reference` (its name relative to the header, or absolute).
fs::path detachedScan(const std::string& tag, const std::string& ext, bool absolute) {
  const fs::path dir = scan().dir / tag, headerDir = dir / "scans", elsewhere = dir / "elsewhere";
  fs::create_directories(headerDir);
  fs::create_directories(elsewhere);
  const fs::path header = headerDir / ("scan" + ext);
  io::writeImage(io::readImage(scan().image.string()), header.string());
  std::string dataName;
  for (const auto& e : fs::directory_iterator(headerDir))
    if (e.path() != header) dataName = e.path().filename().string();
  EXPECT_FALSE(dataName.empty());
  fs::rename(headerDir / dataName, elsewhere / dataName);
  const std::string reference =
      absolute ? (elsewhere / dataName).string() : (fs::path("..") / "elsewhere" / dataName).string();
  std::string text = readText(header);
  const std::string key = ext == ".nhdr" ? "data file: " : "ElementDataFile = ";
  const size_t at = text.find(key);
  EXPECT_NE(at, std::string::npos) << text;
  text.replace(at + key.size(), text.find('\n', at) - at - key.size(), reference);
  std::ofstream(header, std::ios::binary | std::ios::trunc) << text;
  return header;
}

DataCheckOptions options(const std::string& csv, int workers) {
  DataCheckOptions o;
  o.name = "train";
  o.csvPath = csv;
  o.crop.radius = 6;
  o.workers = workers;
  return o;
}

std::string csvOf(const std::string& name, const std::vector<std::string>& images) {
  std::vector<std::vector<std::string>> rows;
  for (const std::string& image : images)
    for (const io::Vec3& s : scan().seeds) rows.push_back({image, num(s[0]), num(s[1]), num(s[2])});
  const std::string path = (scan().dir / name).string();
  io::writeCsv(path, {"image_path", "coordX", "coordY", "coordZ"}, rows);
  return path;
}

TEST(InspectDataFiles, PathsThatCannotBeLookedUpAreRowProblems) {
  ASSERT_FALSE(scan().seeds.empty());
  const std::string longName(300, 'a');
  // Absolute: looked up on a worker thread; relative: also while the CSV is read.
  const std::string csv =
      csvOf("long.csv", {scan().image.string(), "/tmp/" + longName + ".nii.gz", longName + ".nii.gz"});
  const int64_t n = static_cast<int64_t>(scan().seeds.size());
  for (int workers : {1, 2}) {
    SCOPED_TRACE(std::to_string(workers) + " worker(s)");
    const DatasetReport r = checkDataset(options(csv, workers));
    EXPECT_EQ(r.rows, 3 * n);
    EXPECT_EQ(r.rowsWithErrors(), 2 * n);
    for (const Problem& p : r.problems) {
      EXPECT_GE(p.row, n) << p.message;
      EXPECT_EQ(p.kind, ProblemKind::kUnreadableScan) << p.message;
      EXPECT_NE(p.message.find("File name too long"), std::string::npos) << p.message;
      EXPECT_LT(p.message.size(), 400u) << "the path is shortened";
    }
  }
  // Through the binary: a report and exit 1 (not a crash, not a one-line exit 2).
  const std::string yaml = (scan().dir / "long.yaml").string();
  std::ofstream(yaml)
      << "system:\n  datasets:\n    train:\n      _target_: fmcib.datasets.SSLRadiomicsDataset\n"
      << "      path: " << csv << "\n      radius: 6\n";
  const auto r = test::runFmcib("check-data --workers 2 --config_file " + yaml);
  EXPECT_EQ(r.code, 1) << r.out << r.err;
  EXPECT_NE(r.out.find(std::to_string(2 * n) + " of " + std::to_string(3 * n) + " rows have errors"),
            std::string::npos)
      << r.out;
}

TEST(InspectDataFiles, DataFilesOutsideTheImagesFolderAreNamed) {
  const fs::path nhdr = detachedScan("relative", ".nhdr", false);
  const fs::path mhd = detachedScan("absolute", ".mhd", true);
  for (const fs::path& header : {nhdr, mhd}) {
    const std::vector<std::string> external = io::externalDataFiles(header.string());
    ASSERT_EQ(external.size(), 1u) << header;
    EXPECT_NE(external[0].find("elsewhere"), std::string::npos) << external[0];
  }
  // Beside the header (as ITK writes them) or a plain one-file image: nothing to report.
  const fs::path beside = scan().dir / "beside" / "scan.nhdr";
  io::writeImage(io::readImage(scan().image.string()), beside.string());
  EXPECT_EQ(io::referencedDataFiles(beside.string()).size(), 1u);
  EXPECT_TRUE(io::externalDataFiles(beside.string()).empty());
  EXPECT_TRUE(io::externalDataFiles(scan().image.string()).empty());

  const DatasetReport r = checkDataset(options(csvOf("external.csv", {nhdr.string(), mhd.string()}), 2));
  EXPECT_FALSE(r.hasErrors());
  EXPECT_EQ(r.scansRead, 2);  // the voxels are read: that is how these formats work
  EXPECT_EQ(r.count(ProblemKind::kExternalData), static_cast<int64_t>(r.rows));
  for (const Problem& p : r.problems) {
    EXPECT_EQ(p.kind, ProblemKind::kExternalData);
    EXPECT_NE(p.message.find("outside the image's folder"), std::string::npos) << p.message;
  }
  std::ostringstream out;
  printReport(out, {r});
  EXPECT_NE(out.str().find("data outside folder (warning)"), std::string::npos) << out.str();
  EXPECT_NE(out.str().find("check-data: OK"), std::string::npos) << out.str();
}

TEST(InspectDataFiles, DataFilePatternsAndListsAreResolved) {
  const fs::path dir = scan().dir / "headers";
  fs::create_directories(dir / "sub");
  std::ofstream(dir / "list.nhdr") << "NRRD0004\ntype: short\ndimension: 3\nsizes: 2 2 2\nencoding: raw\n"
                                   << "data file: LIST\nsub/a.raw\n/etc/passwd\n";
  std::ofstream(dir / "pattern.mha") << "ObjectType = Image\nNDims = 3\nDimSize = 2 2 3\n"
                                     << "ElementType = MET_SHORT\nElementDataFile = ../slice%03d.raw 1 3 1\n";
  std::ofstream(dir / "format.mha") << "NDims = 3\nElementDataFile = %s%n 1 3 1\n";
  EXPECT_EQ(io::referencedDataFiles((dir / "list.nhdr").string()),
            (std::vector<std::string>{(dir / "sub/a.raw").string(), "/etc/passwd"}));
  EXPECT_EQ(io::externalDataFiles((dir / "list.nhdr").string()), std::vector<std::string>{"/etc/passwd"});
  const auto slices = io::referencedDataFiles((dir / "pattern.mha").string());
  ASSERT_EQ(slices.size(), 3u);
  EXPECT_EQ(fs::path(slices[2]).filename(), "slice003.raw");
  EXPECT_EQ(io::externalDataFiles((dir / "pattern.mha").string()).size(), 3u);
  // Not a pattern a reader accepts (and never handed to printf): named as written.
  EXPECT_EQ(io::referencedDataFiles((dir / "format.mha").string()).size(), 1u);
}

TEST(InspectDataFiles, ExportPatchesRefusesExternalDataUnlessAllowed) {
  const fs::path nhdr = detachedScan("export", ".nhdr", false);
  const std::string yaml = (scan().dir / "export.yaml").string();
  std::ofstream(yaml)
      << "system:\n  datasets:\n    train:\n      _target_: fmcib.datasets.SSLRadiomicsDataset\n"
      << "      path: " << csvOf("export.csv", {nhdr.string()}) << "\n      radius: 6\n"
      << "      enable_negatives: false\n";
  const fs::path out = scan().dir / "patches";
  auto r = test::runFmcib("export-patches --config_file " + yaml + " --out " + out.string());
  EXPECT_EQ(r.code, 2) << r.out << r.err;
  EXPECT_NE(r.err.find("row 0 (line 2)"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("elsewhere"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("--allow-external-data"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(out));
  r = test::runFmcib("export-patches --allow-external-data --config_file " + yaml + " --out " + out.string());
  EXPECT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_TRUE(fs::exists(out / "row00000_positive.nrrd"));
  EXPECT_TRUE(fs::exists(out / "index.csv"));
}

}  // namespace
}  // namespace fmcib::inspect
