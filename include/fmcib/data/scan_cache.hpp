#pragma once
/// The scan cache behind SSLRadiomicsDataset's `cache_dir` and `cache_bytes`.
///
/// `cache_dir`: the first time a scan is used it is decoded and written, as decoded (before any
/// resampling or reorientation, so one entry serves every geometry option), to
/// `<cache_dir>/<file stem>-<hash of the absolute path>.mha`: an uncompressed MetaImage that ITK
/// reads (streamed, a sub-region at a time, with MetaImageIO), with the exact geometry written with
/// 17 significant digits and the source's stamp (size and modification time in ns; for a DICOM
/// folder, file count, total size and newest modification time) in a header comment. Later uses
/// check the stamp and the file length and read only the boxes a patch needs (pread per row); a
/// stale entry (changed source) or a truncated one is rebuilt. Entries are written to a unique
/// temporary file and renamed into place, so readers — other threads, other ranks sharing the
/// folder — only ever see complete files; threads of one process building the same entry wait for
/// one build instead of decoding twice.
///
/// `cache_bytes`: an in-memory LRU of decoded scans (keyed by path and stamp) holding at most that
/// many bytes of voxels; a hit skips both the decode and the file.
#include <atomic>
#include <cstdint>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "fmcib/data/scan_source.hpp"

namespace fmcib::data {

/// What identifies a version of a source scan.
struct SourceStamp {
  int64_t size = -1;
  int64_t mtimeNs = 0;
  int64_t files = 1;
  bool operator==(const SourceStamp& o) const {
    return size == o.size && mtimeNs == o.mtimeNs && files == o.files;
  }
  bool operator!=(const SourceStamp& o) const { return !(*this == o); }
};

/// The stamp of a scan file or DICOM folder; InputError naming the path when it does not exist.
SourceStamp sourceStamp(const std::string& path);

struct ScanCacheOptions {
  std::string dir;          ///< empty: no file cache
  int64_t memoryBytes = 0;  ///< 0: no in-memory LRU
};

struct ScanCacheStats {
  int64_t memoryHits = 0;  ///< served from the LRU
  int64_t fileHits = 0;    ///< served from a valid cache file
  int64_t decodes = 0;     ///< source decoded
  int64_t writes = 0;      ///< cache files written
  int64_t rebuilds = 0;    ///< invalid entries (stale, truncated, unreadable) replaced
};

class ScanCache {
 public:
  /// Creates `dir` and checks it is writable (ConfigError naming it otherwise).
  explicit ScanCache(ScanCacheOptions options);

  /// The scan at `path` (InputError naming the path when it cannot be read).
  ScanSourcePtr open(const std::string& path) const;

  /// The cache file of a source path (whether or not it exists).
  std::string entryPath(const std::string& path) const;
  const ScanCacheOptions& options() const { return options_; }
  ScanCacheStats stats() const;
  /// Bytes of voxels the LRU holds now.
  int64_t memoryBytesUsed() const;

 private:
  ScanSourcePtr fromMemory(const std::string& key, const SourceStamp& stamp) const;
  void remember(const std::string& key, const SourceStamp& stamp, const io::Volume& scan) const;
  ScanSourcePtr openFile(const std::string& path, const std::string& key, const SourceStamp& stamp) const;

  ScanCacheOptions options_;
  // LRU: most recent first.
  struct Cached {
    std::string key;
    SourceStamp stamp;
    io::Volume scan;
  };
  mutable std::mutex lruMutex_;
  mutable std::list<Cached> lru_;
  mutable std::map<std::string, std::list<Cached>::iterator> lruIndex_;
  mutable int64_t lruBytes_ = 0;
  // One build per entry at a time within the process.
  mutable std::mutex buildMutex_;
  mutable std::map<std::string, std::weak_ptr<std::mutex>> building_;
  mutable std::atomic<int64_t> memoryHits_{0}, fileHits_{0}, decodes_{0}, writes_{0}, rebuilds_{0};
};

using ScanCachePtr = std::shared_ptr<const ScanCache>;

// ---- the entry file format (exposed for tests) ----

/// Writes `scan` as a cache entry at `path` (temporary file + rename). RuntimeError naming the
/// file when it cannot be written.
void writeCacheEntry(const io::Volume& scan, const SourceStamp& stamp, const std::string& path);

/// Opens a cache entry; null when it is missing, of another stamp, malformed or truncated (`why`
/// says which).
ScanSourcePtr openCacheEntry(const std::string& path, const SourceStamp& stamp, std::string* why = nullptr);

}  // namespace fmcib::data
