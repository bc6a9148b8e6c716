// check-data's core: row checks (coordinates, labels, duplicates) on the CSV, then scan checks (read,
// seed inside, border clamps, air) with rows grouped by scan and the groups spread over threads.
#include "fmcib/inspect/data_check.hpp"

#include <torch/torch.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cmath>
#include <filesystem>
#include <map>
#include <mutex>
#include <sstream>
#include <thread>

#include "fmcib/config/error.hpp"
#include "fmcib/data/image_path.hpp"
#include "fmcib/data/ssl_radiomics_dataset.hpp"
#include "fmcib/io/csv.hpp"
#include "fmcib/io/excerpt.hpp"
#include "fmcib/io/image_data_files.hpp"
#include "fmcib/io/image_io.hpp"

namespace fmcib::inspect {

namespace fs = std::filesystem;

namespace {

std::string trimmed(const std::string& s) {
  const size_t b = s.find_first_not_of(" \t");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t") - b + 1);
}

/// The cell as a finite number (same rules as CsvTable::number), or nullopt.
std::optional<double> parseNumber(const std::string& cell) {
  return io::parseDecimal(cell);
}

bool isMissingText(const std::string& cell) {
  const std::string t = trimmed(cell);
  return t.empty() || t == "nan" || t == "NaN" || t == "NA" || t == "None" || t == "null";
}

std::string fmt(double v, int precision = 1) {
  std::ostringstream os;
  os.setf(std::ios::fixed);
  os.precision(precision);
  os << v;
  return os.str();
}

std::string vec(const io::Vec3& v) {
  return "(" + fmt(v[0]) + ", " + fmt(v[1]) + ", " + fmt(v[2]) + ")";
}

/// A path for a message: long ones are cut in the middle.
std::string shown(const std::string& path) {
  constexpr size_t kMax = 160;
  if (path.size() <= kMax) return path;
  return path.substr(0, kMax / 2) + "…(" + std::to_string(path.size()) + " characters)…" +
         path.substr(path.size() - kMax / 2);
}

struct RowSeed {
  int64_t row;
  io::Vec3 seed;
};

struct ScanGroup {
  std::string path;
  std::vector<RowSeed> rows;
};

class ScanChecker {
 public:
  ScanChecker(const DataCheckOptions& options, const io::CsvTable& table)
      : options_(options), table_(table) {}

  /// Every failure becomes the rows' problem; nothing escapes (this runs on worker threads).
  std::vector<Problem> check(const ScanGroup& group, bool& read) const {
    read = false;
    try {
      return checkScan(group, read);
    } catch (const std::exception& e) {
      std::vector<Problem> out;
      for (const RowSeed& r : group.rows)
        add(out, r.row, ProblemKind::kUnreadableScan,
            "image '" + shown(group.path) + "': " + firstLine(e.what()), "");
      return out;
    } catch (...) {
      std::vector<Problem> out;
      for (const RowSeed& r : group.rows)
        add(out, r.row, ProblemKind::kUnreadableScan, "image '" + shown(group.path) + "': unknown error", "");
      return out;
    }
  }

 private:
  std::vector<Problem> checkScan(const ScanGroup& group, bool& read) const {
    std::vector<Problem> out;
    std::error_code ec;
    const bool exists = fs::exists(group.path, ec);
    if (ec || !exists) {
      // A path the system refuses to look up (too long, no access) may name a scan that exists.
      const ProblemKind kind = ec ? ProblemKind::kUnreadableScan : ProblemKind::kMissingScan;
      const std::string why = ec ? "cannot be looked up: " + ec.message() : "does not exist";
      for (const RowSeed& r : group.rows) add(out, r.row, kind, "image '" + shown(group.path) + "' " + why, "");
      return out;
    }
    for (const std::string& data : io::externalDataFiles(group.path))
      for (const RowSeed& r : group.rows)
        add(out, r.row, ProblemKind::kExternalData,
            "the header of '" + shown(group.path) + "' reads its voxels from '" + shown(data) +
                "', outside the image's folder",
            "check that this is intended: a header can name any file on the machine as its data");
    io::Volume scan;
    try {
      scan = io::readImage(group.path);
    } catch (const std::exception& e) {
      for (const RowSeed& r : group.rows)
        add(out, r.row, ProblemKind::kUnreadableScan, firstLine(e.what()), "");
      return out;
    }
    read = true;
    const io::ImageGeometry original = scan.geometry();
    std::optional<data::ScanCropper> cropper;
    try {
      cropper.emplace(std::move(scan), options_.crop);
    } catch (const std::exception& e) {
      for (const RowSeed& r : group.rows)
        add(out, r.row, ProblemKind::kUnreadableScan, "cannot prepare the scan: " + firstLine(e.what()), "");
      return out;
    }
    for (const RowSeed& r : group.rows) {
      try {
        checkRow(out, *cropper, original, r);
      } catch (const std::exception& e) {
        add(out, r.row, ProblemKind::kUnreadableScan, "cropping failed: " + firstLine(e.what()), "");
      }
    }
    return out;
  }

  static std::string firstLine(const std::string& s) { return s.substr(0, s.find('\n')); }

  void add(std::vector<Problem>& out, int64_t row, ProblemKind kind, std::string message,
           std::string hint) const {
    out.push_back({row, table_.lineOf(static_cast<size_t>(row)), kind, std::move(message), std::move(hint)});
  }

  /// The positive patch around `seed`, or nullopt when the seed is outside the scan.
  static std::optional<data::Patch> patchAt(const data::ScanCropper& cropper, const io::Vec3& seed) {
    try {
      return cropper.positive(seed);
    } catch (const InputError&) {
      return std::nullopt;
    }
  }

  /// Mean of a float32 patch, summed here rather than with torch so worker threads do not each
  /// start torch's intra-op pool for a tiny reduction.
  static double meanOf(const at::Tensor& array) {
    const at::Tensor a = array.contiguous();
    const float* p = a.data_ptr<float>();
    double sum = 0;
    for (int64_t i = 0; i < a.numel(); ++i) sum += p[i];
    return sum / static_cast<double>(a.numel());
  }

  static bool inTissue(const std::optional<data::Patch>& p, double threshold) {
    return p && p->array.numel() > 0 && meanOf(p->array) >= threshold;
  }

  /// Which reinterpretation of a suspicious seed lands in tissue: RAS (x, y negated) or voxel indices.
  std::string hintFor(const data::ScanCropper& cropper, const io::ImageGeometry& original,
                      const io::Vec3& seed) const {
    const io::Vec3 ras{-seed[0], -seed[1], seed[2]};
    if (inTissue(patchAt(cropper, ras), options_.airThresholdHu))
      return "the coordinates look like RAS: negated x and y " + vec(ras) +
             " land in tissue; fmcib expects LPS mm (ITK's physical points)";
    const io::Vec3 asIndex = original.indexToPhysical(seed);
    if (inTissue(patchAt(cropper, asIndex), options_.airThresholdHu))
      return "the coordinates look like voxel indices: as an index they land in tissue at LPS " +
             vec(asIndex) + " mm; fmcib expects physical LPS mm";
    return "check the convention: coordinates must be LPS mm (ITK's physical points), not RAS (x, y "
           "negated) and not voxel indices";
  }

  void checkRow(std::vector<Problem>& out, const data::ScanCropper& cropper,
                const io::ImageGeometry& original, const RowSeed& r) const {
    auto outside = [&](const std::string& why) {
      const io::Vec3 ci = cropper.resampledGeometry().physicalToContinuousIndex(r.seed);
      const auto& size = cropper.resampledGeometry().size;
      add(out, r.row, ProblemKind::kSeedOutside,
          "seed " + vec(r.seed) + " mm is at voxel " + vec(ci) + ", outside the scan of " +
              std::to_string(size[0]) + "x" + std::to_string(size[1]) + "x" + std::to_string(size[2]) +
              " voxels: " + why + "; training replaces the row by another one, predict skips it",
          hintFor(cropper, original, r.seed));
    };
    data::SeedBox box;
    try {
      box = cropper.seedBox(r.seed);
    } catch (const InputError& e) {
      outside(firstLine(e.what()));
      return;
    }
    if (box.empty()) {
      outside("too far for any patch (" + cropper.describe(box) + ")");
      return;
    }
    const data::Patch patch = cropper.positive(r.seed);
    const int64_t full = 2 * options_.crop.radius;
    // The patch is [z][y][x]; report the clamp per x, y, z.
    const int64_t cx = full - patch.array.size(2), cy = full - patch.array.size(1),
                  cz = full - patch.array.size(0);
    const auto& c = box.index;
    if (cx > 0 || cy > 0 || cz > 0) {
      const auto& size = cropper.resampledGeometry().size;
      bool seedInside = true;
      for (int a = 0; a < 3; ++a) seedInside = seedInside && c[a] >= 0 && c[a] < size[a];
      add(out, r.row, ProblemKind::kBorderClamp,
          "patch clamped at the scan border by " + std::to_string(cx) + ", " + std::to_string(cy) + ", " +
              std::to_string(cz) + " voxels (x, y, z) around voxel [" + std::to_string(c[0]) + ", " +
              std::to_string(c[1]) + ", " + std::to_string(c[2]) + "]" +
              (seedInside ? "" : ", which lies outside the scan (as upstream, the partial patch is padded)"),
          "");
    }
    if (patch.array.numel() == 0) return;
    const double mean = meanOf(patch.array);
    if (mean < options_.airThresholdHu)
      add(out, r.row, ProblemKind::kSeedInAir,
          "patch mean " + fmt(mean) + " HU < " + fmt(options_.airThresholdHu, 0) + " HU: the seed " +
              vec(r.seed) + " lies in air",
          hintFor(cropper, original, r.seed));
  }

  const DataCheckOptions& options_;
  const io::CsvTable& table_;
};

void checkLabel(const DataCheckOptions& o, const io::CsvTable& t, size_t col, size_t row,
                std::vector<Problem>& out) {
  const std::string& cell = t.cell(row, col);
  const auto add = [&](ProblemKind kind, std::string message) {
    out.push_back({static_cast<int64_t>(row), t.lineOf(row), kind, std::move(message), ""});
  };
  if (isMissingText(cell)) return add(ProblemKind::kMissingLabel, "label '" + *o.label + "' is missing");
  const auto v = parseNumber(cell);
  if (!v)
    return add(ProblemKind::kBadLabel,
               "label '" + *o.label + "' = '" + io::excerpt(cell) + "' is not a number");
  // Training applies int() to every label, as upstream: a fractional one silently becomes another.
  if (std::isfinite(*v) && *v != std::trunc(*v) && std::abs(*v) < 9.2e18)
    return add(ProblemKind::kBadLabel,
               "label '" + *o.label + "' = '" + io::excerpt(cell) +
                   "' is not an integer: training truncates it with int(), as upstream, to " +
                   std::to_string(static_cast<int64_t>(std::trunc(*v))));
  const LabelRule& rule = o.labelRule;
  if (rule.kind == LabelRule::Kind::kClasses &&
      (*v != std::trunc(*v) || *v < 0 || *v >= static_cast<double>(rule.numClasses)))
    add(ProblemKind::kBadLabel, "label '" + *o.label + "' = '" + cell + "' is not a class in 0.." +
                                    std::to_string(rule.numClasses - 1) + " (" + rule.source + ")");
  if (rule.kind == LabelRule::Kind::kBinary && (*v < 0 || *v > 1))
    add(ProblemKind::kBadLabel,
        "label '" + *o.label + "' = '" + cell + "' is outside [0, 1] (" + rule.source + ")");
}

/// Row checks on the CSV alone (coordinates, labels, duplicates); each row with a usable seed joins
/// its scan's group for the scan checks.
class RowChecker {
 public:
  RowChecker(const DataCheckOptions& o, const io::CsvTable& t)
      : o_(o),
        t_(t),
        ci_(t.column("image_path")),
        coords_{t.column("coordX"), t.column("coordY"), t.column("coordZ")},
        label_(o.label ? std::optional<size_t>(t.column(*o.label)) : std::nullopt) {}

  /// Any failure becomes the row's problem.
  void check(size_t r, std::vector<Problem>& problems) {
    try {
      checkRow(r, problems);
    } catch (const std::exception& e) {
      problems.push_back({static_cast<int64_t>(r), t_.lineOf(r), ProblemKind::kUnreadableScan,
                          std::string("cannot check this row: ") + e.what(), ""});
    }
  }
  std::vector<ScanGroup>& groups() { return groups_; }

 private:
  void checkRow(size_t r, std::vector<Problem>& problems) {
    const auto addRow = [&](ProblemKind kind, std::string message) {
      problems.push_back({static_cast<int64_t>(r), t_.lineOf(r), kind, std::move(message), ""});
    };
    if (label_) checkLabel(o_, t_, *label_, r, problems);
    if (trimmed(t_.cell(r, ci_)).empty()) return addRow(ProblemKind::kMissingScan, "image_path is empty");
    io::Vec3 seed{};
    bool numeric = true;
    for (size_t a = 0; a < 3; ++a) {
      const size_t c = coords_[a];
      const auto v = parseNumber(t_.cell(r, c));
      if (!v) {
        addRow(ProblemKind::kBadCoordinate,
               "column '" + t_.header()[c] + "' = '" + t_.cell(r, c) + "' is not a number");
        numeric = false;
      } else {
        seed[a] = *v;
      }
    }
    const std::string path = data::resolveImagePath(t_.cell(r, ci_), o_.csvPath);
    auto [it, fresh] = groupOf_.emplace(path, groups_.size());
    if (fresh) groups_.push_back({path, {}});
    if (!numeric) return;
    const auto [dup, unique] = firstRow_.emplace(std::make_pair(path, seed), static_cast<int64_t>(r));
    if (!unique)
      addRow(ProblemKind::kDuplicateRow,
             "same image and seed as row " + std::to_string(dup->second) + " (line " +
                 std::to_string(t_.lineOf(static_cast<size_t>(dup->second))) + ")");
    groups_[it->second].rows.push_back({static_cast<int64_t>(r), seed});
  }

  const DataCheckOptions& o_;
  const io::CsvTable& t_;
  size_t ci_;
  std::array<size_t, 3> coords_;
  std::optional<size_t> label_;
  std::map<std::string, size_t> groupOf_;
  std::vector<ScanGroup> groups_;
  std::map<std::pair<std::string, io::Vec3>, int64_t> firstRow_;
};

}  // namespace

const char* problemKindName(ProblemKind kind) {
  switch (kind) {
    case ProblemKind::kMissingScan:
      return "missing scan";
    case ProblemKind::kUnreadableScan:
      return "unreadable scan";
    case ProblemKind::kBadCoordinate:
      return "bad coordinate";
    case ProblemKind::kSeedOutside:
      return "seed outside scan";
    case ProblemKind::kSeedInAir:
      return "seed in air";
    case ProblemKind::kMissingLabel:
      return "missing label";
    case ProblemKind::kBadLabel:
      return "bad label";
    case ProblemKind::kDuplicateRow:
      return "duplicate row";
    case ProblemKind::kBorderClamp:
      return "clamped at border (warning)";
    case ProblemKind::kExternalData:
      return "data outside folder (warning)";
  }
  return "?";
}

bool isWarning(ProblemKind kind) {
  return kind == ProblemKind::kBorderClamp || kind == ProblemKind::kExternalData;
}

int64_t DatasetReport::count(ProblemKind kind) const {
  return std::count_if(problems.begin(), problems.end(), [&](const Problem& p) { return p.kind == kind; });
}

int64_t DatasetReport::rowsWithErrors() const {
  std::vector<int64_t> rowsSeen;
  for (const Problem& p : problems)
    if (!isWarning(p.kind)) rowsSeen.push_back(p.row);
  std::sort(rowsSeen.begin(), rowsSeen.end());
  return std::unique(rowsSeen.begin(), rowsSeen.end()) - rowsSeen.begin();
}

DatasetReport checkDataset(const DataCheckOptions& o) {
  io::ensureImageIOFactories();
  const io::CsvTable t = io::CsvTable::read(o.csvPath);
  std::vector<std::string> required = data::SSLRadiomicsDataset::requiredColumns();
  if (o.label) required.push_back(*o.label);
  t.requireColumns(required);
  DatasetReport report;
  report.name = o.name;
  report.csvPath = o.csvPath;
  report.rows = static_cast<int64_t>(t.numRows());

  RowChecker rows(o, t);
  for (size_t r = 0; r < t.numRows(); ++r) rows.check(r, report.problems);
  std::vector<ScanGroup>& groups = rows.groups();
  report.scans = static_cast<int64_t>(groups.size());

  const ScanChecker checker(o, t);
  std::atomic<size_t> next{0};
  std::atomic<int64_t> scansRead{0};
  std::mutex mutex;
  std::vector<Problem> found;
  auto work = [&] {
    std::vector<Problem> mine;
    for (size_t g = next++; g < groups.size(); g = next++) {
      bool read = false;
      for (Problem& p : checker.check(groups[g], read)) mine.push_back(std::move(p));
      if (read) ++scansRead;
    }
    const std::lock_guard<std::mutex> lock(mutex);
    for (Problem& p : mine) found.push_back(std::move(p));
  };
  const int workers = std::max(1, std::min<int>(o.workers, static_cast<int>(groups.size())));
  std::vector<std::thread> threads;
  for (int w = 1; w < workers; ++w) threads.emplace_back(work);
  work();
  for (auto& th : threads) th.join();
  report.scansRead = scansRead;
  for (Problem& p : found) report.problems.push_back(std::move(p));
  std::stable_sort(report.problems.begin(), report.problems.end(), [](const Problem& a, const Problem& b) {
    return a.row != b.row ? a.row < b.row : static_cast<int>(a.kind) < static_cast<int>(b.kind);
  });
  return report;
}

}  // namespace fmcib::inspect
