#include "fmcib/data/demo_data.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <optional>
#include <random>
#include <sstream>

#include "demo_lesion.hpp"
#include "fmcib/config/error.hpp"
#include "fmcib/io/csv.hpp"
#include "fmcib/io/image_io.hpp"

namespace fmcib::data {

namespace fs = std::filesystem;

namespace {

// Distance (mm) kept between lesion centres and the scan's borders when the scan is large enough:
// a radius-25 patch at 1 mm then fits whole.
constexpr double kPatchMargin = 26.0;

uint64_t mix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

// Unit-variance noise per voxel from a hash (Irwin–Hall of four 16-bit uniforms): fast and
// reproducible whatever the scan size.
double noise(uint64_t seed, int64_t voxel) {
  const uint64_t h = mix(seed ^ static_cast<uint64_t>(voxel) * 0xd1b54a32d192ed03ull);
  double s = 0;
  for (int i = 0; i < 4; ++i) s += static_cast<double>((h >> (16 * i)) & 0xffff) / 65535.0;
  return (s - 2.0) * 1.7320508075688772;
}

double uniform(std::mt19937_64& rng, double lo, double hi) {
  return lo + (hi - lo) * (static_cast<double>(rng() >> 11) * 0x1.0p-53);
}

std::array<double, 3> diagonalOf(const std::string& orientation) {
  if (orientation == "LPI") return {1, 1, -1};
  if (orientation == "LPS") return {1, 1, 1};
  if (orientation == "RAS") return {-1, -1, 1};
  throw ConfigError("unknown demo orientation '" + orientation + "' (use LPI, LPS or RAS)");
}

std::string numberText(double v) {
  std::ostringstream os;
  os.precision(12);
  os << v;
  return os.str();
}

/// HU written for a true HU on a scan with this calibration: scaled about air, then shifted.
double calibrated(double hu, double calibration, double offset) {
  return -1000 + (hu + 1000) * calibration + offset;
}

/// The body of a synthetic chest slab: an elliptic outline with a subcutaneous fat layer, two
/// lungs, a spine, soft tissue between them. Coordinates in mm from the body centre.
struct Anatomy {
  explicit Anatomy(const io::Vec3& half)
      : bodyX(0.9 * half[0]),
        bodyY(0.75 * half[1]),
        lungX(0.3 * half[0]),
        lungY(0.45 * half[1]),
        lungZ(0.8 * half[2]),
        lungCx(0.42 * half[0]),
        lungCy(-0.1 * half[1]),
        spineR(0.12 * std::min(half[0], half[1])),
        spineCy(0.55 * half[1]) {}

  /// (x/a)² + (y/b)² of the body outline.
  double bodyLevel(double x, double y) const { return (x / bodyX) * (x / bodyX) + (y / bodyY) * (y / bodyY); }
  /// The lung ellipsoid's level at a point (1 on its surface), grown by `grow` mm.
  double lungLevel(const demo::P3& p, double grow = 0) const {
    const double dx = (std::abs(p[0]) - lungCx) / (lungX + grow), dy = (p[1] - lungCy) / (lungY + grow);
    const double dz = p[2] / (lungZ + grow);
    return dx * dx + dy * dy + dz * dz;
  }
  bool inSpine(double x, double y) const { return x * x + (y - spineCy) * (y - spineCy) <= spineR * spineR; }

  double hu(double x, double y, double z) const {
    const double b = bodyLevel(x, y);
    if (b > 1) return -1000;
    if (inSpine(x, y)) return 750;
    if (lungLevel({x, y, z}) <= 1) return -850;
    if (b > 0.8) return -100;  // subcutaneous fat
    return 35 + 12 * std::sin(x / 17.0) * std::cos(y / 23.0);
  }

  /// A ball of radius `reach` at c lies inside the fat layer (`strict`) or the body, clear of the spine.
  bool fits(const demo::P3& c, double reach, bool strict) const {
    const double level = strict ? bodyLevel(std::abs(c[0]) + reach, std::abs(c[1]) + reach)
                                : std::max(bodyLevel(c[0], c[1]), bodyLevel(std::abs(c[0]) + reach, c[1]));
    return level <= (strict ? 0.8 : 1.0) && std::hypot(c[0], c[1] - spineCy) > spineR + reach;
  }
  bool insideLung(const demo::P3& c, double reach) const {
    return lungX > reach && lungY > reach && lungZ > reach && lungLevel(c, -reach) <= 1;
  }
  bool outsideLungs(const demo::P3& c, double reach) const { return lungLevel(c, reach) > 1; }

  double bodyX, bodyY, lungX, lungY, lungZ, lungCx, lungCy, spineR, spineCy;
};

/// Vessels: tubes of 0.6–1.8 mm radius through the lungs (line structures that are not spicules).
void paintVessels(const Anatomy& body, const demo::GridCoords& grid, std::mt19937_64& rng,
                  std::vector<float>& tissue) {
  const int perLung = 20;
  for (int side = -1; side <= 1; side += 2)
    for (int t = 0; t < perLung; ++t) {
      const demo::P3 a{side * (body.lungCx + uniform(rng, -0.7, 0.7) * body.lungX),
                       body.lungCy + uniform(rng, -0.7, 0.7) * body.lungY,
                       uniform(rng, -0.7, 0.7) * body.lungZ};
      const double zc = uniform(rng, -1, 1), phi = uniform(rng, 0, 6.283185307179586),
                   sc = std::sqrt(1 - zc * zc);
      const double len = uniform(rng, 10, 30), radius = uniform(rng, 0.6, 1.8);
      const demo::P3 d{sc * std::cos(phi), sc * std::sin(phi), zc};
      int64_t lo[3], hi[3];
      for (int ax = 0; ax < 3; ++ax) {
        const double p0 = std::min(a[ax], a[ax] + len * d[ax]) - radius - 1;
        const double p1 = std::max(a[ax], a[ax] + len * d[ax]) + radius + 1;
        lo[ax] = grid.size[ax];
        hi[ax] = -1;
        for (int64_t i = 0; i < grid.size[ax]; ++i) {
          const double c = grid.coord[ax][static_cast<size_t>(i)];
          if (c >= p0 && c <= p1) lo[ax] = std::min(lo[ax], i), hi[ax] = std::max(hi[ax], i);
        }
      }
      for (int64_t k = lo[2]; k <= hi[2]; ++k)
        for (int64_t j = lo[1]; j <= hi[1]; ++j)
          for (int64_t i = lo[0]; i <= hi[0]; ++i) {
            const size_t idx = static_cast<size_t>((k * grid.size[1] + j) * grid.size[0] + i);
            if (tissue[idx] > -700) continue;  // lung only
            const demo::P3 p{grid.coord[0][static_cast<size_t>(i)] - a[0],
                             grid.coord[1][static_cast<size_t>(j)] - a[1],
                             grid.coord[2][static_cast<size_t>(k)] - a[2]};
            const double along = std::clamp(p[0] * d[0] + p[1] * d[1] + p[2] * d[2], 0.0, len);
            const double dist = std::hypot(p[0] - along * d[0], p[1] - along * d[1], p[2] - along * d[2]);
            const double w = std::clamp(0.5 - (dist - radius) / 0.7, 0.0, 1.0);
            tissue[idx] = static_cast<float>(w * 40 + (1 - w) * tissue[idx]);
          }
    }
}

}  // namespace

io::Volume makeSyntheticCt(const io::Index3& size, const io::Vec3& spacing, const std::string& orientation,
                           const std::vector<int>& lesionClasses, uint64_t seed,
                           std::vector<DemoLesion>& lesions) {
  const auto diag = diagonalOf(orientation);
  std::mt19937_64 rng(mix(seed));
  io::ImageGeometry g;
  g.size = size;
  g.spacing = spacing;
  g.direction = {diag[0], 0, 0, 0, diag[1], 0, 0, 0, diag[2]};
  // Body centre somewhere near the scanner's isocentre; the grid is centred on it.
  const io::Vec3 centre{uniform(rng, -20, 20), uniform(rng, -40, 0), uniform(rng, -300, -100)};
  io::Vec3 half{};
  for (int a = 0; a < 3; ++a) {
    half[a] = 0.5 * static_cast<double>(size[a] - 1) * spacing[a];
    g.origin[a] = centre[a] - diag[a] * half[a];
  }
  demo::GridCoords grid;
  grid.size = size;
  for (int a = 0; a < 3; ++a)
    for (int64_t i = 0; i < size[a]; ++i)
      grid.coord[a].push_back(g.origin[a] + diag[a] * spacing[a] * static_cast<double>(i) - centre[a]);
  const auto& coord = grid.coord;

  const Anatomy body(half);
  // The scan's nuisances: calibration (HU scaled about air) and noise level.
  const double calibration = uniform(rng, 0.94, 1.06), offset = uniform(rng, -15, 15);
  const double sigma = uniform(rng, 6, 25);
  const int64_t voxels = size[0] * size[1] * size[2];
  std::vector<float> tissue(static_cast<size_t>(voxels));
  int64_t n = 0;
  for (int64_t k = 0; k < size[2]; ++k)
    for (int64_t j = 0; j < size[1]; ++j)
      for (int64_t i = 0; i < size[0]; ++i, ++n)
        tissue[static_cast<size_t>(n)] = static_cast<float>(body.hu(coord[0][i], coord[1][j], coord[2][k]));
  paintVessels(body, grid, rng, tissue);

  // Lesions: in a lung or in soft tissue as the class says, inside the body, off the spine, apart.
  lesions.clear();
  std::vector<std::pair<demo::LesionShape, demo::P3>> placed;
  // Smaller scans get proportionally smaller lesions (the classes keep their order).
  const double scale = std::min(1.0, std::min({half[0], half[1], half[2]}) / 45.0);
  for (int cls : lesionClasses) {
    demo::LesionShape shape;
    std::optional<demo::P3> at;
    // A crowded scan redraws the lesion smaller (down to a third) until it fits.
    for (double shrink = 1; !at && shrink > 0.3; shrink *= 0.8) {
      shape = demo::drawLesion(cls, scale * shrink, rng);
      const double reach = shape.bodyReach() + 1;
      for (int attempt = 0; attempt < 900 && !at; ++attempt) {
        // First keep the centre kPatchMargin from every border (so that the 50 mm patches of the
        // configs are not clamped) and in its tissue; small or crowded scans relax one, then both.
        const bool margin = attempt < 300, inTissue = attempt < 600;
        auto limit = [&](double bodyHalf, double gridHalf) {
          const double inside = bodyHalf - reach;
          return margin && gridHalf > kPatchMargin ? std::min(inside, gridHalf - kPatchMargin) : inside;
        };
        const double lx = limit(body.bodyX, half[0]), ly = limit(body.bodyY, half[1]);
        const double lz = limit(half[2], half[2]);
        if (lx <= 0 || ly <= 0 || lz <= 0) continue;
        const demo::P3 c{uniform(rng, -lx, lx), uniform(rng, -ly, ly), uniform(rng, -lz, lz)};
        bool ok = body.fits(c, reach, inTissue);
        if (inTissue)
          ok = ok && (shape.summary.softTissue ? body.outsideLungs(c, reach) : body.insideLung(c, reach));
        for (const auto& [other, oc] : placed) {
          const double d = std::hypot(c[0] - oc[0], c[1] - oc[1], c[2] - oc[2]);
          ok = ok && d > reach + other.bodyReach() + 2;
        }
        if (ok) at = c;
      }
    }
    if (!at)
      throw ConfigError("the synthetic scan of size [" + std::to_string(size[0]) + ", " +
                        std::to_string(size[1]) + ", " + std::to_string(size[2]) + "] has no room for " +
                        std::to_string(lesionClasses.size()) +
                        " lesions; use a larger --size or fewer --lesions-per-scan");
    demo::paintLesion(shape, *at, grid, tissue);
    DemoLesion& l = shape.summary;
    // The annotated point: the centre with a click jitter of up to a fifth of the smallest radius.
    const double jitter = 0.2 * std::min({l.radii[0], l.radii[1], l.radii[2]}) / std::sqrt(3.0);
    for (int a = 0; a < 3; ++a) {
      l.centre[a] = (*at)[a] + centre[a];
      l.seed[a] = l.centre[a] + uniform(rng, -jitter, jitter);
    }
    l.density = calibrated(l.density, calibration, offset);
    l.texture *= calibration;
    placed.emplace_back(shape, *at);
    lesions.push_back(l);
  }

  io::Volume volume(io::PixelType::kInt16, g);
  int16_t* v = volume.dataAs<int16_t>();
  const uint64_t noiseSeed = rng();
  for (int64_t m = 0; m < voxels; ++m) {
    const double hu =
        calibrated(tissue[static_cast<size_t>(m)], calibration, offset) + sigma * noise(noiseSeed, m);
    v[m] = static_cast<int16_t>(std::lround(std::clamp(hu, -1024.0, 3071.0)));
  }
  return volume;
}

DemoDataResult makeDemoData(const DemoDataOptions& o) {
  if (o.outDir.empty()) throw ConfigError("make-demo-data needs an output folder (--out)");
  if (o.scans < 3)
    throw ConfigError("--scans must be at least 3 (one per orientation group), got " +
                      std::to_string(o.scans));
  if (o.lesionsPerScan < 1)
    throw ConfigError("--lesions-per-scan must be at least 1, got " + std::to_string(o.lesionsPerScan));
  for (int a = 0; a < 3; ++a) {
    if (o.size[a] < 8)
      throw ConfigError("--size values must be at least 8 voxels, got " + std::to_string(o.size[a]));
    if (!(o.spacing[a] > 0)) throw ConfigError("--spacing values must be positive");
  }
  const int64_t perSide = std::max<int64_t>(1, o.scans / 4);
  const int64_t nLpi = o.scans - 2 * perSide;
  const std::string outDir = fs::absolute(o.outDir).lexically_normal().string();
  fs::create_directories(outDir);

  DemoDataResult result;
  std::mt19937_64 rng(mix(o.seed ^ 0xf00d));
  int64_t lesionCounter = static_cast<int64_t>(rng() % 8);
  for (int64_t s = 0; s < o.scans; ++s) {
    DemoScan scan;
    scan.orientation = s < nLpi ? "LPI" : (s < nLpi + perSide ? "LPS" : "RAS");
    std::vector<int> classes;
    for (int64_t l = 0; l < o.lesionsPerScan; ++l) classes.push_back(static_cast<int>(lesionCounter++ % 8));
    char name[64];
    std::snprintf(name, sizeof(name), "scan_%03lld_%s.nii.gz", static_cast<long long>(s),
                  scan.orientation.c_str());
    scan.path = (fs::path(outDir) / name).string();
    const io::Volume ct = makeSyntheticCt(o.size, o.spacing, scan.orientation, classes,
                                          mix(o.seed + 1000003ull * (s + 1)), scan.lesions);
    io::writeImage(ct, scan.path);
    result.scans.push_back(std::move(scan));
  }

  struct Row {
    const DemoScan* scan;
    const DemoLesion* lesion;
  };
  auto rowsOf = [&](const std::string& orientation) {
    std::vector<Row> rows;
    for (const auto& scan : result.scans)
      if (scan.orientation == orientation)
        for (const auto& lesion : scan.lesions) rows.push_back({&scan, &lesion});
    return rows;
  };
  auto base = [](const Row& r) {
    return std::vector<std::string>{r.scan->path, numberText(r.lesion->seed[0]),
                                    numberText(r.lesion->seed[1]), numberText(r.lesion->seed[2])};
  };
  const std::vector<std::string> header = {"image_path", "coordX", "coordY", "coordZ"};
  auto write = [&](const std::string& file, const std::vector<std::string>& columns,
                   const std::vector<std::vector<std::string>>& rows) {
    const std::string path = (fs::path(outDir) / file).string();
    io::writeCsv(path, columns, rows);
    result.csvFiles.push_back(path);
  };

  const std::vector<Row> lpi = rowsOf("LPI");
  std::vector<std::vector<std::string>> pretrain;
  for (const auto& r : lpi) pretrain.push_back(base(r));
  write("pretrain.csv", header, pretrain);

  auto writeTask = [&](const std::string& task, const std::string& label, std::vector<Row> rows,
                       int (DemoLesion::*value)() const) {
    if (rows.size() < 3)
      throw ConfigError(
          task + " has " + std::to_string(rows.size()) +
          " lesions; it needs at least 3 (train/val/test): raise --scans or --lesions-per-scan");
    std::shuffle(rows.begin(), rows.end(), rng);
    const size_t n = rows.size();
    const size_t nVal = std::max<size_t>(1, n / 5), nTest = std::max<size_t>(1, n / 5);
    const size_t nTrain = n - nVal - nTest;
    std::vector<std::string> columns = header;
    columns.push_back(label);
    const std::pair<const char*, std::pair<size_t, size_t>> splits[] = {
        {"train", {0, nTrain}}, {"val", {nTrain, nTrain + nVal}}, {"test", {nTrain + nVal, n}}};
    for (const auto& [split, range] : splits) {
      std::vector<std::vector<std::string>> out;
      for (size_t i = range.first; i < range.second; ++i) {
        auto fields = base(rows[i]);
        fields.push_back(std::to_string((rows[i].lesion->*value)()));
        out.push_back(std::move(fields));
      }
      write(task + "_" + split + ".csv", columns, out);
    }
  };
  writeTask("task1", "Coarse_lesion_type", lpi, &DemoLesion::coarseType);
  writeTask("task2", "malignancy", rowsOf("LPS"), &DemoLesion::malignancy);
  writeTask("task3", "survival", rowsOf("RAS"), &DemoLesion::survival);
  return result;
}

}  // namespace fmcib::data
