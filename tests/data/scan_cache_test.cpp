// The scan cache (cache_dir / cache_bytes): a cached scan gives exactly the decoded voxels and
// geometry, whole or box by box, and patches cropped from it equal the uncached ones; ITK reads the
// entry (and a region of it); a changed source or a truncated entry is rebuilt; concurrent fills
// leave one valid file; the LRU keeps to its byte budget; a bad cache_dir is a ConfigError.
#include <gtest/gtest.h>
#include <itkImageIORegion.h>
#include <itkMetaImageIO.h>
#include <sys/stat.h>
#include <torch/torch.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <thread>

#include "data/phantom.hpp"
#include "fmcib/config/error.hpp"
#include "fmcib/data/scan_cache.hpp"
#include "fmcib/data/seed_crop.hpp"
#include "fmcib/io/image_io.hpp"
#include "support/paths.hpp"

namespace fs = std::filesystem;
using namespace fmcib;
using data::ScanCache;
using data::ScanCacheOptions;

namespace {

bool sameVoxels(const io::Volume& a, const io::Volume& b) {
  return a.pixelType() == b.pixelType() && a.geometry().size == b.geometry().size &&
         std::memcmp(a.data(), b.data(), a.byteSize()) == 0;
}

bool sameGeometry(const io::ImageGeometry& a, const io::ImageGeometry& b) {
  return a.size == b.size && a.spacing == b.spacing && a.origin == b.origin && a.direction == b.direction;
}

// A phantom written as `name` in `dir`; returns its path.
std::string writePhantom(const fs::path& dir, const std::string& name, const io::ImageGeometry& g,
                         io::PixelType type, test::LinearField field = {}) {
  const std::string path = (dir / name).string();
  io::writeImage(test::linearPhantom(g, field, type), path);
  return path;
}

size_t filesIn(const fs::path& dir) {
  size_t n = 0;
  for (const auto& e : fs::directory_iterator(dir)) n += e.is_regular_file() ? 1 : 0;
  return n;
}

}  // namespace

TEST(ScanCache, CachedScanHasTheDecodedVoxelsAndGeometryWholeAndByBox) {
  const fs::path dir = test::tempDir("cache_voxels");
  int scans = 0;
  for (const auto& [name, g] : test::phantomGeometries({23, 19, 11}))
    for (io::PixelType type : {io::PixelType::kInt16, io::PixelType::kFloat32}) {
      SCOPED_TRACE(name + " " + io::pixelTypeName(type));
      const std::string src =
          writePhantom(dir, name + io::pixelTypeName(type) + ".nii.gz", g, type, {{-300.25, 3, -2, 5}});
      const io::Volume decoded = io::readImage(src);
      ScanCache cache(ScanCacheOptions{(dir / "cache").string(), 0});
      const data::ScanSourcePtr first = cache.open(src);  // decodes and writes the entry
      ASSERT_TRUE(first->inMemory());
      const data::ScanSourcePtr cached = cache.open(src);  // reads the entry
      EXPECT_FALSE(cached->inMemory());
      EXPECT_EQ(cache.stats().decodes, 1);
      EXPECT_EQ(cache.stats().fileHits, 1);
      EXPECT_TRUE(sameGeometry(cached->geometry(), decoded.geometry()));
      EXPECT_TRUE(sameVoxels(cached->whole(), decoded));
      const io::Index3 start{3, 5, 2}, size{17, 9, 6};
      const io::Volume box = cached->region(start, size);
      EXPECT_TRUE(sameVoxels(box, data::MemoryScanSource(decoded).region(start, size)));
      EXPECT_TRUE(box.geometry().approxEqual(data::boxGeometry(decoded.geometry(), start, size), 1e-12));
      // Whole slices (the contiguous read) too.
      EXPECT_TRUE(sameVoxels(cached->region({0, 0, 4}, {23, 19, 3}),
                             data::MemoryScanSource(decoded).region({0, 0, 4}, {23, 19, 3})));
      EXPECT_THROW(cached->region({20, 0, 0}, {4, 1, 1}), RuntimeError);

      // The entry is a MetaImage that ITK reads whole, and streams a region of.
      const std::string entry = cache.entryPath(src);
      const io::Volume viaItk = io::readImage(entry);
      EXPECT_TRUE(sameVoxels(viaItk, decoded));
      EXPECT_TRUE(viaItk.geometry().approxEqual(decoded.geometry(), 1e-12));
      auto metaIo = itk::MetaImageIO::New();
      metaIo->SetFileName(entry);
      metaIo->SetUseStreamedReading(true);
      metaIo->ReadImageInformation();
      itk::ImageIORegion region(3);
      for (unsigned a = 0; a < 3; ++a) {
        region.SetIndex(a, start[a]);
        region.SetSize(a, static_cast<itk::SizeValueType>(size[a]));
      }
      ASSERT_TRUE(metaIo->CanStreamRead());
      metaIo->SetIORegion(region);
      std::vector<char> buffer(box.byteSize());
      metaIo->Read(buffer.data());
      EXPECT_EQ(std::memcmp(buffer.data(), box.data(), buffer.size()), 0);
      ++scans;
    }
  EXPECT_EQ(scans, 6);
}

TEST(ScanCache, PatchesFromACachedScanEqualTheUncachedOnes) {
  const fs::path dir = test::tempDir("cache_patches");
  ScanCache cache(ScanCacheOptions{(dir / "cache").string(), 0});
  int compared = 0;
  for (const auto& [name, g] : test::phantomGeometries({40, 36, 20})) {
    const std::string src = writePhantom(dir, name + ".nrrd", g, io::PixelType::kInt16);
    const io::Volume decoded = io::readImage(src);
    cache.open(src);
    const data::ScanSourcePtr cached = cache.open(src);
    ASSERT_FALSE(cached->inMemory());
    for (bool resample : {false, true})
      for (bool orient : {false, true})
        for (data::CropMode mode : {data::CropMode::kRegion, data::CropMode::kWholeImage}) {
          SCOPED_TRACE(name + (resample ? " resample" : "") + (orient ? " orient" : "") + " " +
                       data::cropModeName(mode));
          data::CropOptions o;
          o.radius = 6;
          o.orient = orient;
          o.mode = mode;
          if (resample) o.resampleSpacing = io::Vec3{1.1, 0.9, 1.7};
          const data::ScanCropper fromCache(cached, o), fromMemory(decoded, o);
          // Seeds inside, at a corner (clamped patch) and near the far border.
          for (const io::Vec3& idx :
               {io::Vec3{20.3, 17.6, 10.2}, io::Vec3{0.2, 0.3, 0.1}, io::Vec3{38.6, 35.1, 19.2}}) {
            const io::Vec3 seed = g.indexToPhysical(idx);
            const data::Patch a = fromCache.positive(seed), b = fromMemory.positive(seed);
            EXPECT_TRUE(torch::equal(a.array, b.array));
            EXPECT_TRUE(sameGeometry(a.geometry, b.geometry));
            ++compared;
          }
          for (uint64_t s = 0; s < 4; ++s) {
            data::Generator g1(s), g2(s);
            EXPECT_TRUE(torch::equal(fromCache.negative(g1).array, fromMemory.negative(g2).array));
            ++compared;
          }
        }
  }
  EXPECT_EQ(compared, 3 * 8 * 7);
}

TEST(ScanCache, AChangedSourceInvalidatesItsEntry) {
  const fs::path dir = test::tempDir("cache_stale");
  const io::ImageGeometry g = test::phantomGeometries({16, 14, 8})[1].geometry;
  const std::string src = writePhantom(dir, "ct.nii.gz", g, io::PixelType::kInt16);
  ScanCache cache(ScanCacheOptions{(dir / "cache").string(), 1 << 20});
  cache.open(src);
  EXPECT_FALSE(cache.open(src)->whole().empty());
  EXPECT_EQ(cache.stats().decodes, 1);
  // New voxels, and a modification time that surely differs.
  const auto before = fs::last_write_time(src);
  writePhantom(dir, "ct.nii.gz", g, io::PixelType::kInt16, {{100, 1, 1, 1}});
  fs::last_write_time(src, before + std::chrono::seconds(5));
  std::string why;
  EXPECT_FALSE(data::openCacheEntry(cache.entryPath(src), data::sourceStamp(src), &why));
  EXPECT_EQ(why, "stale (the source changed)");
  const data::ScanSourcePtr fresh = cache.open(src);
  EXPECT_EQ(cache.stats().decodes, 2);
  EXPECT_EQ(cache.stats().rebuilds, 1);
  EXPECT_TRUE(sameVoxels(fresh->whole(), io::readImage(src)));
  EXPECT_TRUE(sameVoxels(cache.open(src)->whole(), io::readImage(src)));
  EXPECT_FALSE(data::openCacheEntry(cache.entryPath(src), data::sourceStamp(src)) == nullptr);
}

TEST(ScanCache, ATruncatedEntryIsDetectedAndRebuilt) {
  const fs::path dir = test::tempDir("cache_truncated");
  const io::ImageGeometry g = test::phantomGeometries({16, 14, 8})[2].geometry;
  const std::string src = writePhantom(dir, "ct.nrrd", g, io::PixelType::kInt16);
  ScanCache cache(ScanCacheOptions{(dir / "cache").string(), 0});
  cache.open(src);
  const std::string entry = cache.entryPath(src);
  const auto fullSize = fs::file_size(entry);
  fs::resize_file(entry, fullSize - 100);
  std::string why;
  EXPECT_FALSE(data::openCacheEntry(entry, data::sourceStamp(src), &why));
  EXPECT_NE(why.find("truncated"), std::string::npos) << why;
  const data::ScanSourcePtr rebuilt = cache.open(src);
  EXPECT_EQ(cache.stats().rebuilds, 1);
  EXPECT_EQ(fs::file_size(entry), fullSize);
  EXPECT_TRUE(sameVoxels(rebuilt->whole(), io::readImage(src)));
  // A header cut short is caught too.
  fs::resize_file(entry, 50);
  EXPECT_FALSE(data::openCacheEntry(entry, data::sourceStamp(src), &why));
  EXPECT_TRUE(sameVoxels(cache.open(src)->whole(), io::readImage(src)));
  EXPECT_EQ(cache.stats().rebuilds, 2);
}

TEST(ScanCache, ATamperedEntryIsRejectedAndRebuilt) {
  const fs::path dir = test::tempDir("cache_tampered");
  const io::ImageGeometry g = test::phantomGeometries({16, 14, 8})[0].geometry;
  const std::string src = writePhantom(dir, "ct.nii.gz", g, io::PixelType::kInt16);
  ScanCache cache(ScanCacheOptions{(dir / "cache").string(), 0});
  cache.open(src);
  const std::string entry = cache.entryPath(src);
  std::string original;
  {
    std::ifstream in(entry, std::ios::binary);
    original.assign(std::istreambuf_iterator<char>(in), {});
  }
  // Replaces the header line starting with `key` and keeps the file's length (cutting voxel bytes off
  // the end when the line grows), so only the geometry checks can tell.
  auto tamper = [&](const std::string& key, std::string line) {
    std::string bytes = original;
    const size_t at = bytes.find("\n" + key) + 1, end = bytes.find('\n', at);
    ASSERT_NE(at, 0u) << key;
    if (line.size() < end - at) line.resize(end - at, ' ');
    const size_t grow = line.size() - (end - at);
    bytes.replace(at, end - at, line);
    bytes.resize(bytes.size() - grow);
    std::ofstream(entry, std::ios::binary | std::ios::trunc) << bytes;
  };
  // (16 + 2^60) * 14 * 8 wraps to the real voxel count: the file size matched, the crop read far
  // outside the buffer.
  const std::vector<std::pair<std::string, std::string>> cases{
      {"DimSize", "DimSize = 1152921504606846992 14 8"},
      {"DimSize", "DimSize = -16 -14 8"},
      {"DimSize", "DimSize = 0 14 8"},
      {"ElementSpacing", "ElementSpacing = -1 1 1"},
      {"ElementSpacing", "ElementSpacing = nan 1 1"},
      {"TransformMatrix", "TransformMatrix = 0 0 0 0 0 0 0 0 0"},
      {"CompressedData", "CompressedData = True"},
  };
  int rebuilds = 0;
  for (const auto& [key, to] : cases) {
    tamper(key, to);
    std::string why;
    EXPECT_FALSE(data::openCacheEntry(entry, data::sourceStamp(src), &why)) << to;
    EXPECT_TRUE(why.find("malformed") != std::string::npos ||
                why.find("not an uncompressed") != std::string::npos)
        << to << ": " << why;
    EXPECT_TRUE(sameVoxels(cache.open(src)->whole(), io::readImage(src))) << to;
    EXPECT_EQ(cache.stats().rebuilds, ++rebuilds);
  }
  // a FIFO in the entry's place is neither opened for long nor trusted
  fs::remove(entry);
  ASSERT_EQ(::mkfifo(entry.c_str(), 0600), 0);
  std::string why;
  EXPECT_FALSE(data::openCacheEntry(entry, data::sourceStamp(src), &why));
  EXPECT_EQ(why, "not a regular file");
  EXPECT_TRUE(sameVoxels(cache.open(src)->whole(), io::readImage(src)));
  EXPECT_TRUE(fs::is_regular_file(entry));
}

TEST(ScanCache, ConcurrentFillsOfOneEntryLeaveOneValidFile) {
  const fs::path dir = test::tempDir("cache_race");
  const io::ImageGeometry g = test::phantomGeometries({30, 28, 16})[0].geometry;
  const std::string src = writePhantom(dir, "ct.nii.gz", g, io::PixelType::kInt16);
  const io::Volume decoded = io::readImage(src);
  const fs::path cacheDir = dir / "cache";
  // Threads of one cache share the build; threads of two caches (as two ranks would) both write.
  ScanCache shared(ScanCacheOptions{cacheDir.string(), 0}), other(ScanCacheOptions{cacheDir.string(), 0});
  std::vector<std::thread> threads;
  std::vector<data::ScanSourcePtr> got(6);
  for (size_t t = 0; t < got.size(); ++t)
    threads.emplace_back([&, t] { got[t] = (t % 3 == 2 ? other : shared).open(src); });
  for (auto& t : threads) t.join();
  for (const auto& s : got) EXPECT_TRUE(sameVoxels(s->whole(), decoded));
  EXPECT_EQ(shared.stats().decodes + shared.stats().fileHits, 4);
  EXPECT_LE(shared.stats().decodes, 1);
  EXPECT_EQ(filesIn(cacheDir), 1u);  // no temporary file left behind
  EXPECT_TRUE(data::openCacheEntry(shared.entryPath(src), data::sourceStamp(src)));

  // Raw writers racing on the same path: the survivor is complete.
  const std::string entry = (cacheDir / "raced.mha").string();
  threads.clear();
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] { data::writeCacheEntry(decoded, data::sourceStamp(src), entry); });
  for (auto& t : threads) t.join();
  const data::ScanSourcePtr raced = data::openCacheEntry(entry, data::sourceStamp(src));
  ASSERT_TRUE(raced);
  EXPECT_TRUE(sameVoxels(raced->whole(), decoded));
  EXPECT_EQ(filesIn(cacheDir), 2u);
}

TEST(ScanCache, MemoryLruKeepsToItsByteBudget) {
  const fs::path dir = test::tempDir("cache_lru");
  io::ImageGeometry g;
  g.size = {20, 20, 10};  // 8000 bytes of int16
  std::vector<std::string> paths;
  for (int i = 0; i < 3; ++i)
    paths.push_back(writePhantom(dir, "s" + std::to_string(i) + ".nrrd", g, io::PixelType::kInt16,
                                 {{static_cast<double>(i), 1, 1, 1}}));
  ScanCache cache(ScanCacheOptions{"", 17000});  // room for two
  for (const auto& p : paths) cache.open(p);
  EXPECT_EQ(cache.stats().decodes, 3);
  EXPECT_EQ(cache.memoryBytesUsed(), 16000);
  EXPECT_TRUE(cache.open(paths[2])->inMemory());  // most recent: hit
  EXPECT_EQ(cache.stats().memoryHits, 1);
  cache.open(paths[0]);  // evicted: decoded again, evicting s1 (least recent)
  EXPECT_EQ(cache.stats().decodes, 4);
  cache.open(paths[2]);
  EXPECT_EQ(cache.stats().memoryHits, 2);
  cache.open(paths[1]);
  EXPECT_EQ(cache.stats().decodes, 5);
  EXPECT_LE(cache.memoryBytesUsed(), 17000);
  EXPECT_TRUE(sameVoxels(cache.open(paths[1])->whole(), io::readImage(paths[1])));
  // A scan larger than the budget is never held.
  ScanCache tiny(ScanCacheOptions{"", 7999});
  tiny.open(paths[0]);
  tiny.open(paths[0]);
  EXPECT_EQ(tiny.stats().decodes, 2);
  EXPECT_EQ(tiny.memoryBytesUsed(), 0);
}

TEST(ScanCache, UnusableCacheDirIsAConfigErrorNamingIt) {
  const fs::path dir = test::tempDir("cache_bad");
  std::ofstream(dir / "file") << "x";
  const std::string bad = (dir / "file" / "cache").string();
  try {
    ScanCache cache(ScanCacheOptions{bad, 0});
    ADD_FAILURE() << "no error";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find(bad), std::string::npos) << e.what();
  }
  EXPECT_THROW(ScanCache(ScanCacheOptions{"", -1}), ConfigError);
  ScanCache cache(ScanCacheOptions{(dir / "c").string(), 0});
  EXPECT_THROW(cache.open((dir / "missing.nii.gz").string()), InputError);
}
