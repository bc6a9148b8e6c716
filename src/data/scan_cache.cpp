// The scan cache: stamps, the in-memory LRU, and the file cache's build-once logic (the entry
// format is in scan_cache_file.cpp).
#include "fmcib/data/scan_cache.hpp"

#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "fmcib/config/error.hpp"
#include "fmcib/io/atomic_file.hpp"
#include "fmcib/io/image_io.hpp"

namespace fmcib::data {

namespace fs = std::filesystem;

namespace {

int64_t mtimeNs(const struct stat& st) {
  return static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
}

uint64_t fnv1a(const std::string& s) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

std::string absolutePath(const std::string& path) {
  std::error_code ec;
  const fs::path p = fs::absolute(path, ec);
  return (ec ? fs::path(path) : p).lexically_normal().string();
}

}  // namespace

SourceStamp sourceStamp(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0)
    throw InputError("image '" + path + "' does not exist or cannot be read");
  SourceStamp s;
  if (!S_ISDIR(st.st_mode)) {
    s.size = static_cast<int64_t>(st.st_size);
    s.mtimeNs = mtimeNs(st);
    return s;
  }
  // A DICOM series folder: any added, removed, resized or rewritten file changes the stamp.
  s.size = 0;
  s.files = 0;
  s.mtimeNs = mtimeNs(st);
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(path, ec)) {
    struct stat fst {};
    if (::stat(entry.path().c_str(), &fst) != 0 || !S_ISREG(fst.st_mode)) continue;
    ++s.files;
    s.size += static_cast<int64_t>(fst.st_size);
    s.mtimeNs = std::max(s.mtimeNs, mtimeNs(fst));
  }
  return s;
}

ScanCache::ScanCache(ScanCacheOptions options) : options_(std::move(options)) {
  if (options_.memoryBytes < 0)
    throw ConfigError("cache_bytes must be ≥ 0, got " + std::to_string(options_.memoryBytes));
  if (options_.dir.empty()) return;
  std::error_code ec;
  fs::create_directories(options_.dir, ec);
  if (ec || !fs::is_directory(options_.dir))
    throw ConfigError("cache_dir '" + options_.dir +
                      "' cannot be created: " + (ec ? ec.message() : std::string("it is not a folder")));
  // Entries are written beside each other and renamed into place: the folder must take new files
  // (a temporary created and discarded at once, as every entry's is).
  try {
    io::AtomicFile probe((fs::path(options_.dir) / "write-test").string());
  } catch (const RuntimeError& e) {
    throw ConfigError("cache_dir '" + options_.dir + "' is not writable: " + e.what());
  }
  // Temporaries of writers killed mid-entry (other processes' live ones are left alone).
  io::removeStaleTemporaries(options_.dir);
}

std::string ScanCache::entryPath(const std::string& path) const {
  const std::string absolute = absolutePath(path);
  std::string stem = fs::path(absolute).filename().string();
  for (const char* ext : {".nii.gz", ".nii", ".nrrd", ".nhdr", ".mha", ".mhd", ".gipl", ".dcm"})
    if (stem.size() > std::strlen(ext) &&
        stem.compare(stem.size() - std::strlen(ext), std::string::npos, ext) == 0) {
      stem.resize(stem.size() - std::strlen(ext));
      break;
    }
  for (char& c : stem)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.') c = '_';
  if (stem.size() > 48) stem.resize(48);
  char hash[20];
  std::snprintf(hash, sizeof(hash), "%016llx", static_cast<unsigned long long>(fnv1a(absolute)));
  return (fs::path(options_.dir) / (stem + "-" + hash + ".mha")).string();
}

ScanSourcePtr ScanCache::fromMemory(const std::string& key, const SourceStamp& stamp) const {
  if (options_.memoryBytes <= 0) return nullptr;
  std::lock_guard<std::mutex> lock(lruMutex_);
  const auto it = lruIndex_.find(key);
  if (it == lruIndex_.end()) return nullptr;
  if (it->second->stamp != stamp) {  // the source changed: forget the old scan
    lruBytes_ -= static_cast<int64_t>(it->second->scan.byteSize());
    lru_.erase(it->second);
    lruIndex_.erase(it);
    return nullptr;
  }
  lru_.splice(lru_.begin(), lru_, it->second);
  ++memoryHits_;
  return std::make_shared<MemoryScanSource>(it->second->scan);
}

void ScanCache::remember(const std::string& key, const SourceStamp& stamp, const io::Volume& scan) const {
  const int64_t bytes = static_cast<int64_t>(scan.byteSize());
  if (options_.memoryBytes <= 0 || bytes > options_.memoryBytes) return;
  std::lock_guard<std::mutex> lock(lruMutex_);
  if (const auto it = lruIndex_.find(key); it != lruIndex_.end()) {
    lruBytes_ -= static_cast<int64_t>(it->second->scan.byteSize());
    lru_.erase(it->second);
    lruIndex_.erase(it);
  }
  while (!lru_.empty() && lruBytes_ + bytes > options_.memoryBytes) {
    lruBytes_ -= static_cast<int64_t>(lru_.back().scan.byteSize());
    lruIndex_.erase(lru_.back().key);
    lru_.pop_back();
  }
  lru_.push_front({key, stamp, scan});
  lruIndex_[key] = lru_.begin();
  lruBytes_ += bytes;
}

ScanSourcePtr ScanCache::openFile(const std::string& path, const std::string& key,
                                  const SourceStamp& stamp) const {
  const std::string entry = entryPath(path);
  if (ScanSourcePtr hit = openCacheEntry(entry, stamp)) {
    ++fileHits_;
    return hit;
  }
  // Build once per process: threads wanting the same entry queue on its mutex.
  std::shared_ptr<std::mutex> entryMutex;
  {
    std::lock_guard<std::mutex> lock(buildMutex_);
    auto& weak = building_[key];
    entryMutex = weak.lock();
    if (!entryMutex) weak = entryMutex = std::make_shared<std::mutex>();
  }
  std::lock_guard<std::mutex> build(*entryMutex);
  std::string why;
  if (ScanSourcePtr hit = openCacheEntry(entry, stamp, &why)) {  // built while we waited
    ++fileHits_;
    return hit;
  }
  if (why != "missing") {
    ++rebuilds_;
    spdlog::debug("scan cache: rebuilding {} ({})", entry, why);
  }
  io::Volume scan = io::readImage(path);
  ++decodes_;
  try {
    writeCacheEntry(scan, stamp, entry);
    ++writes_;
  } catch (const RuntimeError& e) {
    // A full disk must not stop training: this scan stays uncached and is decoded next time.
    spdlog::warn("scan cache: {} (continuing without caching this scan)", e.what());
  }
  remember(key, stamp, scan);
  return std::make_shared<MemoryScanSource>(std::move(scan));
}

ScanSourcePtr ScanCache::open(const std::string& path) const {
  const SourceStamp stamp = sourceStamp(path);
  const std::string key = absolutePath(path);
  if (ScanSourcePtr hit = fromMemory(key, stamp)) return hit;
  if (!options_.dir.empty()) return openFile(path, key, stamp);
  io::Volume scan = io::readImage(path);
  ++decodes_;
  remember(key, stamp, scan);
  return std::make_shared<MemoryScanSource>(std::move(scan));
}

ScanCacheStats ScanCache::stats() const {
  return {memoryHits_.load(), fileHits_.load(), decodes_.load(), writes_.load(), rebuilds_.load()};
}

int64_t ScanCache::memoryBytesUsed() const {
  std::lock_guard<std::mutex> lock(lruMutex_);
  return lruBytes_;
}

}  // namespace fmcib::data
