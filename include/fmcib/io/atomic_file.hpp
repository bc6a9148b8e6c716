#pragma once
/// Writing files without touching anything else: every file fmcib writes whole (checkpoints,
/// weights, CSVs, PNGs, YAML, exported patches, scan-cache entries) goes through AtomicFile.
///
/// The bytes go to a temporary file in the target's folder, created exclusively
/// (O_CREAT|O_EXCL|O_NOFOLLOW: never an existing file, never through a symbolic link) under a
/// random name `.fmcib-tmp-<pid>-<random>-<host>-<target name>`; it is flushed to disk and renamed
/// over the target, so readers see the old file or the new one, never a part. A symbolic link at
/// the target is replaced by the file; what it points to is never written. The temporary is locked
/// (flock) while it is written, and deleted when the write fails.
///
/// A process killed while writing leaves its temporary behind; removeStaleTemporaries() deletes
/// those in a folder the next time a run starts there. "Stale" means all of: the name has the
/// pattern above, the host part is this machine's, the pid in it is not a running process, and no
/// process holds its lock. A temporary of a writer that is still running (in this or another
/// process, on this or another machine) is never touched.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

namespace fmcib::io {

class AtomicFile {
 public:
  /// Creates the temporary beside `path` (RuntimeError naming the folder when it cannot).
  explicit AtomicFile(std::string path);
  /// Deletes the temporary unless commit() succeeded.
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  const std::string& path() const { return path_; }
  const std::string& tempPath() const { return temp_; }
  /// The temporary's descriptor (for writers that take one).
  int fd() const { return fd_; }

  /// RuntimeError naming the target when the bytes cannot be written (disk full, ...).
  void write(const void* data, size_t n);
  void write(const std::string& bytes) { write(bytes.data(), bytes.size()); }
  /// Flushes the file, gives it the mode of the file it replaces, renames it over the target and
  /// flushes the folder. RuntimeError (the target left as it was) on failure.
  void commit();
  /// Deletes the temporary now.
  void discard();

 private:
  std::string path_, temp_;
  int fd_ = -1;
};

/// `bytes` as the whole content of `path`, atomically.
void writeFileAtomically(const std::string& path, const std::string& bytes);

/// For writers that only take a file name (ITK): `writer` is called with the temporary's path (a
/// fresh empty file whose name ends in the target's name, so its extension picks the format),
/// then the result is checked to be that same file and renamed over `path`.
void writeViaTemporary(const std::string& path, const std::function<void(const std::string&)>& writer);

/// Appends `text` to `path` (created when missing); a symbolic link at `path` is refused
/// (O_NOFOLLOW). For logs that grow (metrics.csv).
void appendToFile(const std::string& path, const std::string& text);

/// Opens a new file for writing that must not exist yet (O_CREAT|O_EXCL|O_NOFOLLOW); the caller
/// closes the descriptor. RuntimeError naming the file.
int createNewFile(const std::string& path);

/// Writes all of `n` bytes to `fd` (retrying short writes); RuntimeError naming `what`.
void writeAllTo(int fd, const void* data, size_t n, const std::string& what);

/// Deletes the stale temporaries (see above) directly in `folder` (not below it); returns how many.
/// A folder that does not exist has none.
int64_t removeStaleTemporaries(const std::string& folder);

/// True when `name` (a file name, no folder) has the temporaries' pattern.
bool isTemporaryName(const std::string& name);

}  // namespace fmcib::io
