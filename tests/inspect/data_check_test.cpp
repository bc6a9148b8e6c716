// check-data's core on generated scans with planted problems, and its config side.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <sstream>

#include "fmcib/config/config.hpp"
#include "fmcib/config/error.hpp"
#include "fmcib/data/demo_data.hpp"
#include "fmcib/inspect/data_check.hpp"
#include "fmcib/io/csv.hpp"
#include "fmcib/io/image_io.hpp"
#include "support/paths.hpp"
#include "support/text.hpp"

namespace fmcib::inspect {
using fmcib::test::num;

namespace {

namespace fs = std::filesystem;

constexpr int64_t kRadius = 6;

struct Fixture {
  fs::path dir;
  data::DemoDataResult demo;
  std::vector<io::ImageGeometry> geometry;
  std::vector<std::vector<std::string>> cleanRows;                  // image_path, x, y, z, label
  std::vector<std::pair<size_t, const data::DemoLesion*>> lesions;  // (scan, lesion) of the clean rows
};

bool insideScan(const io::ImageGeometry& g, const io::Vec3& p, double margin) {
  const io::Vec3 ci = g.physicalToContinuousIndex(p);
  for (int a = 0; a < 3; ++a)
    if (ci[a] < margin || ci[a] >= static_cast<double>(g.size[a]) - margin) return false;
  return true;
}

const Fixture& fixture() {
  static const Fixture f = [] {
    Fixture x;
    x.dir = test::tempDir("inspect_check");
    data::DemoDataOptions o;
    o.outDir = (x.dir / "data").string();
    o.scans = 3;
    o.lesionsPerScan = 4;
    o.size = {96, 96, 48};
    x.demo = data::makeDemoData(o);
    for (size_t s = 0; s < x.demo.scans.size(); ++s) {
      x.geometry.push_back(io::readImageInfo(x.demo.scans[s].path).geometry);
      for (const auto& l : x.demo.scans[s].lesions)
        if (insideScan(x.geometry[s], l.centre, kRadius + 1)) {  // whole patches only: a clean CSV
          x.cleanRows.push_back({x.demo.scans[s].path, num(l.centre[0]), num(l.centre[1]), num(l.centre[2]),
                                 std::to_string(l.coarseType())});
          x.lesions.emplace_back(s, &l);
        }
    }
    return x;
  }();
  return f;
}

DataCheckOptions options(const std::string& csv) {
  DataCheckOptions o;
  o.name = "train";
  o.csvPath = csv;
  o.label = "label";
  o.labelRule.kind = LabelRule::Kind::kClasses;
  o.labelRule.numClasses = 8;
  o.labelRule.source = "test";
  o.crop.radius = kRadius;
  o.workers = 2;
  return o;
}

std::string writeCsv(const std::string& name, const std::vector<std::vector<std::string>>& rows) {
  const std::string path = (fixture().dir / name).string();
  io::writeCsv(path, {"image_path", "coordX", "coordY", "coordZ", "label"}, rows);
  return path;
}

std::vector<const Problem*> problemsOfRow(const DatasetReport& r, int64_t row) {
  std::vector<const Problem*> out;
  for (const auto& p : r.problems)
    if (p.row == row) out.push_back(&p);
  return out;
}

TEST(InspectDataCheck, CleanCsvHasNoProblems) {
  const Fixture& f = fixture();
  ASSERT_GE(f.cleanRows.size(), 6u);
  const DatasetReport r = checkDataset(options(writeCsv("clean.csv", f.cleanRows)));
  EXPECT_EQ(r.rows, static_cast<int64_t>(f.cleanRows.size()));
  EXPECT_EQ(r.scans, 3);
  EXPECT_EQ(r.scansRead, 3);
  for (const auto& p : r.problems) ADD_FAILURE() << "row " << p.row << ": " << p.message;
  EXPECT_FALSE(r.hasErrors());
  std::ostringstream out;
  printReport(out, {r});
  EXPECT_NE(out.str().find("check-data: OK"), std::string::npos) << out.str();
}

TEST(InspectDataCheck, FindsEveryPlantedProblem) {
  const Fixture& f = fixture();
  auto rows = f.cleanRows;
  const size_t n = rows.size();
  // RAS-flipped seed: negating x and y of a lesion whose flipped point leaves the scan by more than
  // the radius (closer, it would be upstream's partial patch, a warning).
  std::optional<size_t> flipped;
  for (size_t i = 0; i < n && !flipped; ++i) {
    const auto& c = f.lesions[i].second->centre;
    if (!insideScan(f.geometry[f.lesions[i].first], {-c[0], -c[1], c[2]}, -(kRadius + 1.0))) flipped = i;
  }
  ASSERT_TRUE(flipped.has_value()) << "no demo lesion whose RAS-flipped seed leaves the scan";
  const auto& lc = f.lesions[*flipped].second->centre;
  rows.push_back({rows[*flipped][0], num(-lc[0]), num(-lc[1]), num(lc[2]), "1"});   // n
  rows.push_back({(f.dir / "data" / "nope.nii.gz").string(), "1", "2", "3", "1"});  // n+1: missing scan
  auto outside = rows[0];
  outside[3] = num(std::stod(outside[3]) + 1000);
  rows.push_back(outside);  // n+2
  const io::ImageGeometry& g0 = f.geometry[0];
  const io::Vec3 corner = g0.indexToPhysical({2.5, 2.5, 24.5});  // truncates to voxel [2, 2, 24]
  rows.push_back({f.demo.scans[0].path, num(corner[0]), num(corner[1]), num(corner[2]), "1"});  // n+3: air
  auto badLabel = rows[1];
  badLabel[4] = "9";
  rows.push_back(badLabel);  // n+4: class 9 of 8 (also a duplicate of row 1)
  auto missingLabel = rows[2];
  missingLabel[1] = num(std::stod(missingLabel[1]) + 0.5);
  missingLabel[4] = "";
  rows.push_back(missingLabel);  // n+5
  auto textLabel = rows[2];
  textLabel[1] = num(std::stod(textLabel[1]) - 0.5);
  textLabel[4] = "benign";
  rows.push_back(textLabel);  // n+6
  auto badCoord = rows[0];
  badCoord[2] = "12,5mm";
  rows.push_back(badCoord);  // n+7
  rows.push_back(rows[3]);   // n+8: duplicate of row 3
  const double midY = static_cast<double>(g0.size[1]) / 2, midZ = static_cast<double>(g0.size[2]) / 2;
  const io::Vec3 justOutside = g0.indexToPhysical({-2.4, midY, midZ});  // int() → -2: a 23-voxel-wide patch
  rows.push_back(
      {f.demo.scans[0].path, num(justOutside[0]), num(justOutside[1]), num(justOutside[2]), "1"});  // n+9
  const io::Vec3 farOutside = g0.indexToPhysical({-30, midY, midZ});  // [-55, -5) misses the scan
  rows.push_back(
      {f.demo.scans[0].path, num(farOutside[0]), num(farOutside[1]), num(farOutside[2]), "1"});  // n+10

  const DatasetReport r = checkDataset(options(writeCsv("planted.csv", rows)));
  auto kindsOf = [&](int64_t row) {
    std::vector<ProblemKind> kinds;
    for (const Problem* p : problemsOfRow(r, row)) kinds.push_back(p->kind);
    return kinds;
  };
  for (int64_t row = 0; row < static_cast<int64_t>(n); ++row) EXPECT_TRUE(kindsOf(row).empty()) << row;
  const int64_t m = static_cast<int64_t>(n);
  ASSERT_EQ(kindsOf(m), std::vector<ProblemKind>{ProblemKind::kSeedOutside});
  EXPECT_NE(problemsOfRow(r, m)[0]->hint.find("RAS"), std::string::npos) << problemsOfRow(r, m)[0]->hint;
  EXPECT_EQ(kindsOf(m + 1), std::vector<ProblemKind>{ProblemKind::kMissingScan});
  EXPECT_NE(problemsOfRow(r, m + 1)[0]->message.find("nope.nii.gz"), std::string::npos);
  EXPECT_EQ(kindsOf(m + 2), std::vector<ProblemKind>{ProblemKind::kSeedOutside});
  const auto air = kindsOf(m + 3);
  EXPECT_NE(std::find(air.begin(), air.end(), ProblemKind::kSeedInAir), air.end());
  EXPECT_NE(std::find(air.begin(), air.end(), ProblemKind::kBorderClamp), air.end());
  for (const Problem* p : problemsOfRow(r, m + 3)) {
    if (p->kind == ProblemKind::kSeedInAir) {
      EXPECT_NE(p->hint.find("LPS"), std::string::npos) << p->hint;
    }
    if (p->kind == ProblemKind::kBorderClamp) {  // voxel 2 of a 12-voxel patch: 4 missing in x and y
      EXPECT_NE(p->message.find("by 4, 4, 0 voxels"), std::string::npos) << p->message;
    }
  }
  EXPECT_EQ(kindsOf(m + 4), (std::vector<ProblemKind>{ProblemKind::kBadLabel, ProblemKind::kDuplicateRow}));
  EXPECT_NE(problemsOfRow(r, m + 4)[0]->message.find("0..7"), std::string::npos);
  EXPECT_EQ(kindsOf(m + 5), std::vector<ProblemKind>{ProblemKind::kMissingLabel});
  EXPECT_EQ(kindsOf(m + 6), std::vector<ProblemKind>{ProblemKind::kBadLabel});
  EXPECT_EQ(kindsOf(m + 7), std::vector<ProblemKind>{ProblemKind::kBadCoordinate});
  EXPECT_NE(problemsOfRow(r, m + 7)[0]->message.find("'12,5mm'"), std::string::npos);
  EXPECT_EQ(kindsOf(m + 8), std::vector<ProblemKind>{ProblemKind::kDuplicateRow});
  // A seed just outside is upstream's partial patch: a warning, not an error (unless it is in air).
  const auto just = kindsOf(m + 9);
  ASSERT_NE(std::find(just.begin(), just.end(), ProblemKind::kBorderClamp), just.end());
  EXPECT_EQ(std::find(just.begin(), just.end(), ProblemKind::kSeedOutside), just.end());
  for (const Problem* p : problemsOfRow(r, m + 9))
    if (p->kind == ProblemKind::kBorderClamp) {
      EXPECT_NE(p->message.find("outside the scan"), std::string::npos) << p->message;
      EXPECT_NE(p->message.find("voxel [-2, "), std::string::npos) << p->message;
    }
  EXPECT_EQ(kindsOf(m + 10), std::vector<ProblemKind>{ProblemKind::kSeedOutside});
  EXPECT_NE(problemsOfRow(r, m + 10)[0]->message.find("misses the scan on x"), std::string::npos)
      << problemsOfRow(r, m + 10)[0]->message;
  const bool justInAir = std::find(just.begin(), just.end(), ProblemKind::kSeedInAir) != just.end();
  EXPECT_EQ(r.rowsWithErrors(), 10 + (justInAir ? 1 : 0));
  EXPECT_EQ(r.scansRead, 3);  // the missing scan is the fourth path
  EXPECT_EQ(r.scans, 4);

  std::ostringstream out;
  printReport(out, {r});
  EXPECT_NE(out.str().find(std::to_string(r.rowsWithErrors()) + " of " + std::to_string(rows.size()) +
                           " rows have errors"),
            std::string::npos)
      << out.str();
  EXPECT_NE(
      out.str().find("row " + std::to_string(m + 1) + " (line " + std::to_string(m + 3) + "): missing scan"),
      std::string::npos)
      << out.str();
}

TEST(InspectDataCheck, FractionalLabelsNameWhatIntMakesOfThem) {
  // Training int()-truncates labels as upstream (2.5 -> 2, 0.5 -> 0, -1.5 -> -1): whatever the label
  // rule, a fractional value is reported with what it becomes, once.
  const Fixture& f = fixture();
  std::vector<std::vector<std::string>> rows = {f.cleanRows[0], f.cleanRows[1], f.cleanRows[2]};
  rows[0][4] = "2.5";
  rows[1][4] = "0.5";
  rows[2][4] = "-1.5";
  const std::string csv = writeCsv("fractional.csv", rows);
  for (LabelRule::Kind kind :
       {LabelRule::Kind::kAnyNumber, LabelRule::Kind::kClasses, LabelRule::Kind::kBinary}) {
    DataCheckOptions o = options(csv);
    o.labelRule.kind = kind;
    const DatasetReport r = checkDataset(o);
    const char* truncated[] = {"to 2", "to 0", "to -1"};
    for (int64_t row = 0; row < 3; ++row) {
      const auto problems = problemsOfRow(r, row);
      ASSERT_EQ(problems.size(), 1u) << "rule " << static_cast<int>(kind) << " row " << row;
      EXPECT_EQ(problems[0]->kind, ProblemKind::kBadLabel);
      EXPECT_NE(problems[0]->message.find("int()"), std::string::npos) << problems[0]->message;
      EXPECT_NE(problems[0]->message.find(truncated[row]), std::string::npos) << problems[0]->message;
    }
  }
}

TEST(InspectDataCheck, AFifoOrHexOrNulInTheCsvIsAProblemRow) {
  // A FIFO as image_path blocked check-data for ever (nothing writes to it); hex coordinates were
  // read as numbers.
  const Fixture& f = fixture();
  const std::string fifo = (f.dir / "pipe.nii.gz").string();
  fs::remove(fifo);
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  auto rows = f.cleanRows;
  rows.push_back({fifo, rows[0][1], rows[0][2], rows[0][3], "1"});
  auto hex = rows[0];
  hex[1] = "0x10";
  rows.push_back(hex);
  const int64_t m = static_cast<int64_t>(f.cleanRows.size());
  const DatasetReport r = checkDataset(options(writeCsv("fifo.csv", rows)));
  ASSERT_EQ(problemsOfRow(r, m).size(), 1u);
  EXPECT_EQ(problemsOfRow(r, m)[0]->kind, ProblemKind::kUnreadableScan);
  EXPECT_NE(problemsOfRow(r, m)[0]->message.find("not a regular file"), std::string::npos)
      << problemsOfRow(r, m)[0]->message;
  ASSERT_EQ(problemsOfRow(r, m + 1).size(), 1u);
  EXPECT_EQ(problemsOfRow(r, m + 1)[0]->kind, ProblemKind::kBadCoordinate);
}

TEST(InspectDataCheck, AnOverLongImagePathIsAProblemRow) {
  // fs::exists threw "File name too long" on a worker thread (std::terminate) or, with one worker,
  // ended the whole check instead of reporting the row.
  const Fixture& f = fixture();
  auto rows = f.cleanRows;
  const std::string name = std::string(5000, 'a') + ".nii.gz";
  rows.push_back({"/" + name, rows[0][1], rows[0][2], rows[0][3], "1"});  // absolute
  rows.push_back({name, rows[0][1], rows[0][2], rows[0][3], "1"});        // resolved beside the CSV
  const int64_t m = static_cast<int64_t>(f.cleanRows.size());
  for (int workers : {1, 2}) {
    DataCheckOptions o = options(writeCsv("long.csv", rows));
    o.workers = workers;
    const DatasetReport r = checkDataset(o);
    for (int64_t row : {m, m + 1}) {
      ASSERT_EQ(problemsOfRow(r, row).size(), 1u) << workers;
      EXPECT_EQ(problemsOfRow(r, row)[0]->kind, ProblemKind::kUnreadableScan);
      EXPECT_NE(problemsOfRow(r, row)[0]->message.find("File name too long"), std::string::npos)
          << problemsOfRow(r, row)[0]->message;
    }
    EXPECT_EQ(r.rowsWithErrors(), 2) << workers;
    EXPECT_EQ(r.scansRead, r.scans - 2);
  }
}

TEST(InspectDataCheck, VoxelIndicesGetTheirOwnHint) {
  const Fixture& f = fixture();
  const auto& [scan, lesion] = f.lesions[0];
  const io::Vec3 index = f.geometry[scan].physicalToContinuousIndex(lesion->centre);
  // The lesion's voxel index written as if it were mm: outside or in air, and recognised as an index.
  const DatasetReport r = checkDataset(options(
      writeCsv("voxel.csv", {{f.demo.scans[scan].path, num(index[0]), num(index[1]), num(index[2]), "0"}})));
  ASSERT_FALSE(r.problems.empty());
  bool hinted = false;
  for (const auto& p : r.problems) hinted = hinted || p.hint.find("voxel indices") != std::string::npos;
  EXPECT_TRUE(hinted) << r.problems[0].message << " / " << r.problems[0].hint;
}

TEST(InspectDataCheck, StructuralProblemsThrow) {
  EXPECT_THROW(checkDataset(options((fixture().dir / "absent.csv").string())), InputError);
  const std::string path = (fixture().dir / "nolabel.csv").string();
  io::writeCsv(path, {"image_path", "coordX", "coordY", "coordZ"}, {{"a", "1", "2", "3"}});
  try {
    checkDataset(options(path));
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("label"), std::string::npos) << e.what();
  }
}

TEST(InspectDataCheck, OptionsComeFromTheConfig) {
  const config::Config cfg = config::Config::fromString(R"(
system:
  criterion:
    _target_: torch.nn.CrossEntropyLoss
  model:
    _target_: fmcib.models.LoadModel
    heads: [16, 8, 5]
  datasets:
    train:
      _target_: fmcib.datasets.SSLRadiomicsDataset
      path: /data/train.csv
      label: malignancy
      radius: 12
      orient: True
      resample_spacing: [2, 2, 2]
    val:
      _target_: fmcib.datasets.SSLRadiomicsDataset
      path: /data/val.csv
    test: null
    predict:
      _target_: torch.utils.data.TensorDataset
)");
  EXPECT_EQ(configuredDatasets(cfg), (std::vector<std::string>{"train", "val", "predict"}));
  const DataCheckOptions t = dataCheckOptionsFromConfig(cfg, "train");
  EXPECT_EQ(t.csvPath, "/data/train.csv");
  EXPECT_EQ(t.label, std::optional<std::string>("malignancy"));
  EXPECT_EQ(t.crop.radius, 12);
  EXPECT_TRUE(t.crop.orient);
  ASSERT_TRUE(t.crop.resampleSpacing.has_value());
  EXPECT_EQ(*t.crop.resampleSpacing, (io::Vec3{2, 2, 2}));
  EXPECT_EQ(t.labelRule.kind, LabelRule::Kind::kClasses);
  EXPECT_EQ(t.labelRule.numClasses, 5);
  const DataCheckOptions v = dataCheckOptionsFromConfig(cfg, "val");  // the declared defaults
  EXPECT_EQ(v.crop.radius, 25);
  EXPECT_FALSE(v.crop.orient);
  EXPECT_TRUE(v.crop.orientPatch);
  EXPECT_FALSE(v.label.has_value());
  EXPECT_THROW(dataCheckOptionsFromConfig(cfg, "predict"), ConfigError);
  try {
    dataCheckOptionsFromConfig(cfg, "nope");
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("train, val, predict"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace fmcib::inspect
