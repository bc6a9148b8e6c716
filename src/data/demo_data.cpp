#include "fmcib/data/demo_data.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <random>
#include <sstream>

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
  std::vector<double> coord[3];
  for (int a = 0; a < 3; ++a)
    for (int64_t i = 0; i < size[a]; ++i)
      coord[a].push_back(g.origin[a] + diag[a] * spacing[a] * static_cast<double>(i) - centre[a]);

  const double bodyX = 0.9 * half[0], bodyY = 0.75 * half[1];
  const double lungX = 0.3 * half[0], lungY = 0.45 * half[1], lungZ = 0.8 * half[2];
  const double lungCx = 0.42 * half[0], lungCy = -0.1 * half[1];
  const double spineR = 0.12 * std::min(half[0], half[1]), spineCy = 0.55 * half[1];
  auto inLung = [&](double x, double y, double z) {
    const double dx = (std::abs(x) - lungCx) / lungX, dy = (y - lungCy) / lungY, dz = z / lungZ;
    return dx * dx + dy * dy + dz * dz <= 1.0;
  };
  auto inBody = [&](double x, double y) {
    return (x / bodyX) * (x / bodyX) + (y / bodyY) * (y / bodyY) <= 1.0;
  };
  auto inSpine = [&](double x, double y) { return x * x + (y - spineCy) * (y - spineCy) <= spineR * spineR; };

  io::Volume volume(io::PixelType::kInt16, g);
  int16_t* v = volume.dataAs<int16_t>();
  const uint64_t noiseSeed = rng();
  int64_t n = 0;
  for (int64_t k = 0; k < size[2]; ++k)
    for (int64_t j = 0; j < size[1]; ++j)
      for (int64_t i = 0; i < size[0]; ++i, ++n) {
        const double x = coord[0][i], y = coord[1][j], z = coord[2][k];
        double hu;
        if (!inBody(x, y))
          hu = -1000 + 5 * noise(noiseSeed, n);
        else if (inSpine(x, y))
          hu = 700 + 40 * noise(noiseSeed, n);
        else if (inLung(x, y, z))
          hu = -850 + 30 * noise(noiseSeed, n);
        else
          hu = 30 + 15 * std::sin(x / 17.0) * std::cos(y / 23.0) + 8 * noise(noiseSeed, n);
        v[n] = static_cast<int16_t>(std::lround(std::clamp(hu, -1024.0, 3071.0)));
      }

  // Lesions: radius and density from the class; centres inside the body, off the spine, apart.
  static const double kRadius[4][2] = {{3, 5}, {5, 8}, {8, 11}, {11, 14}};
  lesions.clear();
  // Smaller scans get proportionally smaller lesions (the classes keep their order).
  const double scale = std::min(1.0, std::min({half[0], half[1], half[2]}) / 45.0);
  for (int cls : lesionClasses) {
    DemoLesion lesion;
    lesion.sizeClass = (cls / 2) % 4;
    lesion.densityClass = cls % 2;
    const double r = scale * uniform(rng, kRadius[lesion.sizeClass][0], kRadius[lesion.sizeClass][1]);
    lesion.radii = {r, r * uniform(rng, 0.8, 1.2), r * uniform(rng, 0.8, 1.2)};
    lesion.density = lesion.densityClass == 0 ? uniform(rng, -20, 20) : uniform(rng, 80, 140);
    const double reach = std::max({lesion.radii[0], lesion.radii[1], lesion.radii[2]}) + 2;
    bool placed = false;
    for (int attempt = 0; attempt < 600 && !placed; ++attempt) {
      // First try to keep the centre kPatchMargin from every border, so that the 50 mm patches of
      // the configs are not clamped; small scans (or crowded ones) fall back to anywhere inside.
      const bool margin = attempt < 300;
      auto limit = [&](double bodyHalf, double gridHalf) {
        const double inside = bodyHalf - reach;
        return margin && gridHalf > kPatchMargin ? std::min(inside, gridHalf - kPatchMargin) : inside;
      };
      const double lx = limit(bodyX, half[0]), ly = limit(bodyY, half[1]), lz = limit(half[2], half[2]);
      if (lx <= 0 || ly <= 0 || lz <= 0) continue;
      const io::Vec3 c{uniform(rng, -lx, lx), uniform(rng, -ly, ly), uniform(rng, -lz, lz)};
      bool ok = inBody(c[0], c[1]) && inBody(std::abs(c[0]) + reach, c[1]) && !inSpine(c[0], c[1]) &&
                std::hypot(c[0], c[1] - spineCy) > spineR + reach;
      for (const auto& other : lesions) {
        const double d =
            std::hypot(c[0] - (other.centre[0] - centre[0]), c[1] - (other.centre[1] - centre[1]),
                       c[2] - (other.centre[2] - centre[2]));
        ok = ok && d > reach + std::max({other.radii[0], other.radii[1], other.radii[2]}) + 2;
      }
      if (!ok) continue;
      lesion.centre = {c[0] + centre[0], c[1] + centre[1], c[2] + centre[2]};
      placed = true;
    }
    if (!placed)
      throw ConfigError("the synthetic scan of size [" + std::to_string(size[0]) + ", " +
                        std::to_string(size[1]) + ", " + std::to_string(size[2]) + "] has no room for " +
                        std::to_string(lesionClasses.size()) +
                        " lesions; use a larger --size or fewer --lesions-per-scan");
    // Fill: density inside the ellipsoid, a one-millimetre soft edge.
    const io::Vec3 cidx = g.physicalToContinuousIndex(lesion.centre);
    int64_t lo[3], hi[3];
    for (int a = 0; a < 3; ++a) {
      const double extent = (lesion.radii[a] + 1.5) / spacing[a];
      lo[a] = std::max<int64_t>(0, static_cast<int64_t>(std::floor(cidx[a] - extent)));
      hi[a] = std::min<int64_t>(size[a] - 1, static_cast<int64_t>(std::ceil(cidx[a] + extent)));
    }
    for (int64_t k = lo[2]; k <= hi[2]; ++k)
      for (int64_t j = lo[1]; j <= hi[1]; ++j)
        for (int64_t i = lo[0]; i <= hi[0]; ++i) {
          const double dx = (coord[0][i] + centre[0] - lesion.centre[0]) / lesion.radii[0];
          const double dy = (coord[1][j] + centre[1] - lesion.centre[1]) / lesion.radii[1];
          const double dz = (coord[2][k] + centre[2] - lesion.centre[2]) / lesion.radii[2];
          const double dist = std::sqrt(dx * dx + dy * dy + dz * dz);  // 1 at the surface
          const double w = std::clamp((1.0 + 1.0 / lesion.radii[0] - dist) * lesion.radii[0], 0.0, 1.0);
          if (w <= 0) continue;
          const int64_t idx = (k * size[1] + j) * size[0] + i;
          const double hu = lesion.density + 10 * noise(noiseSeed ^ 0x5eed, idx);
          v[idx] = static_cast<int16_t>(std::lround(w * hu + (1 - w) * v[idx]));
        }
    lesions.push_back(lesion);
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
    return std::vector<std::string>{r.scan->path, numberText(r.lesion->centre[0]),
                                    numberText(r.lesion->centre[1]), numberText(r.lesion->centre[2])};
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
