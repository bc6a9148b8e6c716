#include "fmcib/io/atomic_file.hpp"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <random>

#include "fmcib/config/error.hpp"

namespace fmcib::io {

namespace fs = std::filesystem;

namespace {

constexpr const char* kPrefix = ".fmcib-tmp-";
constexpr size_t kRandomDigits = 12;
constexpr size_t kHostDigits = 8;
/// Room left in a 255-byte file name for the target's name (its end is kept: the extension).
constexpr size_t kNameKept = 200;

std::string errnoText(int e) {
  return std::strerror(e);
}

/// This machine, as 8 hex digits (FNV-1a of the host name): temporaries of other machines sharing
/// a folder are never judged by this machine's process table.
const std::string& hostTag() {
  static const std::string tag = [] {
    char name[256] = {0};
    if (::gethostname(name, sizeof(name) - 1) != 0) std::strcpy(name, "unknown");
    uint32_t h = 2166136261u;
    for (const char* c = name; *c; ++c) h = (h ^ static_cast<unsigned char>(*c)) * 16777619u;
    char hex[kHostDigits + 1];
    std::snprintf(hex, sizeof(hex), "%08x", h);
    return std::string(hex);
  }();
  return tag;
}

std::string randomDigits() {
  thread_local std::mt19937_64 gen([] {
    std::random_device rd;
    return (static_cast<uint64_t>(rd()) << 32) ^ rd() ^ static_cast<uint64_t>(::getpid());
  }());
  static const char* hex = "0123456789abcdef";
  std::string s;
  uint64_t v = gen();
  for (size_t i = 0; i < kRandomDigits; ++i, v >>= 4) s += hex[v & 15];
  return s;
}

std::string folderOf(const std::string& path) {
  const fs::path p(path);
  return p.has_parent_path() ? p.parent_path().string() : ".";
}

/// Creates and locks a fresh temporary beside `path`; returns its descriptor and sets `temp`.
int createTemporary(const std::string& path, std::string& temp) {
  const fs::path target(path);
  std::string name = target.filename().string();
  if (name.empty() || name == "." || name == "..")
    throw RuntimeError("cannot write '" + path + "': not a file name");
  if (name.size() > kNameKept) name = name.substr(name.size() - kNameKept);
  const std::string dir = folderOf(path);
  for (int attempt = 0;; ++attempt) {
    temp = (fs::path(dir) / (std::string(kPrefix) + std::to_string(::getpid()) + "-" + randomDigits() + "-" +
                             hostTag() + "-" + name))
               .string();
    const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
    if (fd >= 0) {
      // Held until the descriptor closes: a concurrent cleaner sees the file is in use.
      ::flock(fd, LOCK_EX | LOCK_NB);
      return fd;
    }
    if (errno == EEXIST && attempt < 16) continue;
    throw RuntimeError("cannot create a temporary file in " + dir + " to write " + path + ": " +
                       errnoText(errno));
  }
}

void syncFolder(const std::string& dir) {
  // Persists the rename (best effort: some file systems cannot fsync a folder).
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
}

/// Mode for the new file: the replaced file's, else what the temporary got (0666 & ~umask).
void adoptMode(int fd, const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode)) ::fchmod(fd, st.st_mode & 07777);
}

bool processRuns(long pid) {
  if (pid <= 0 || pid > (1L << 22)) return true;  // not a pid (PID_MAX_LIMIT): treat as running
  if (pid == ::getpid()) return true;
  return ::kill(static_cast<pid_t>(pid), 0) == 0 || errno != ESRCH;
}

struct TempName {
  long pid = 0;
  std::string host;
};

bool parseTemporary(const std::string& name, TempName& out) {
  const size_t prefix = std::strlen(kPrefix);
  if (name.compare(0, prefix, kPrefix) != 0) return false;
  size_t pos = prefix, digits = 0;
  while (pos < name.size() && std::isdigit(static_cast<unsigned char>(name[pos]))) ++pos, ++digits;
  if (digits == 0 || digits > 10 || pos >= name.size() || name[pos] != '-') return false;
  out.pid = std::stol(name.substr(prefix, digits));
  const size_t random = pos + 1;
  const size_t host = random + kRandomDigits + 1;
  const size_t rest = host + kHostDigits + 1;
  if (name.size() <= rest || name[host - 1] != '-' || name[rest - 1] != '-') return false;
  for (size_t i = random; i < random + kRandomDigits; ++i)
    if (!std::isxdigit(static_cast<unsigned char>(name[i]))) return false;
  out.host = name.substr(host, kHostDigits);
  return true;
}

}  // namespace

bool isTemporaryName(const std::string& name) {
  TempName t;
  return parseTemporary(name, t);
}

AtomicFile::AtomicFile(std::string path) : path_(std::move(path)) {
  fd_ = createTemporary(path_, temp_);
}

AtomicFile::~AtomicFile() {
  discard();
}

void AtomicFile::discard() {
  if (fd_ < 0) return;
  ::close(fd_);
  fd_ = -1;
  ::unlink(temp_.c_str());
}

void writeAllTo(int fd, const void* data, size_t n, const std::string& what) {
  const char* bytes = static_cast<const char*>(data);
  while (n > 0) {
    const ssize_t w = ::write(fd, bytes, std::min<size_t>(n, size_t{1} << 26));
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) throw RuntimeError("cannot write " + what + ": " + errnoText(w < 0 ? errno : EIO));
    bytes += w;
    n -= static_cast<size_t>(w);
  }
}

void AtomicFile::write(const void* data, size_t n) {
  if (fd_ < 0) throw RuntimeError("cannot write " + path_ + ": the file was already closed");
  try {
    writeAllTo(fd_, data, n, path_);
  } catch (const RuntimeError& e) {
    discard();
    throw RuntimeError(std::string(e.what()) + " (existing file left unchanged)");
  }
}

void AtomicFile::commit() {
  if (fd_ < 0) throw RuntimeError("cannot write " + path_ + ": the file was already closed");
  adoptMode(fd_, path_);
  if (::fsync(fd_) != 0) {
    const int e = errno;
    discard();
    throw RuntimeError("cannot write " + path_ + ": " + errnoText(e) + " (existing file left unchanged)");
  }
  const int fd = fd_;
  fd_ = -1;
  if (::close(fd) != 0) {
    const int e = errno;
    ::unlink(temp_.c_str());
    throw RuntimeError("cannot write " + path_ + ": " + errnoText(e) + " (existing file left unchanged)");
  }
  if (::rename(temp_.c_str(), path_.c_str()) != 0) {
    const int e = errno;
    ::unlink(temp_.c_str());
    throw RuntimeError("cannot move the written file into place as " + path_ + ": " + errnoText(e));
  }
  syncFolder(folderOf(path_));
}

void writeFileAtomically(const std::string& path, const std::string& bytes) {
  AtomicFile f(path);
  f.write(bytes);
  f.commit();
}

void writeViaTemporary(const std::string& path, const std::function<void(const std::string&)>& writer) {
  AtomicFile f(path);
  struct stat before {};
  if (::fstat(f.fd(), &before) != 0) throw RuntimeError("cannot write " + path + ": " + errnoText(errno));
  writer(f.tempPath());
  // The writer opened the name again: it must still be the file created above.
  struct stat after {};
  if (::lstat(f.tempPath().c_str(), &after) != 0 || !S_ISREG(after.st_mode) ||
      after.st_ino != before.st_ino || after.st_dev != before.st_dev)
    throw RuntimeError("cannot write " + path + ": its temporary file " + f.tempPath() + " was replaced");
  f.commit();
}

void appendToFile(const std::string& path, const std::string& text) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0666);
  if (fd < 0)
    throw RuntimeError("cannot write " + path + ": " + errnoText(errno) +
                       (errno == ELOOP ? " (it is a symbolic link)" : ""));
  try {
    writeAllTo(fd, text.data(), text.size(), path);
  } catch (...) {
    ::close(fd);
    throw;
  }
  if (::close(fd) != 0) throw RuntimeError("cannot write " + path + ": " + errnoText(errno));
}

int createNewFile(const std::string& path) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
  if (fd < 0) throw RuntimeError("cannot create " + path + ": " + errnoText(errno));
  return fd;
}

int64_t removeStaleTemporaries(const std::string& folder) {
  std::error_code ec;
  fs::directory_iterator it(folder, ec), end;
  if (ec) return 0;
  int64_t removed = 0;
  uintmax_t bytes = 0;
  for (; it != end; it.increment(ec)) {
    if (ec) break;
    const std::string name = it->path().filename().string();
    TempName t;
    if (!parseTemporary(name, t) || t.host != hostTag() || processRuns(t.pid)) continue;
    const std::string path = it->path().string();
    struct stat named {};
    if (::lstat(path.c_str(), &named) != 0 || !S_ISREG(named.st_mode)) continue;
    const int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) continue;
    struct stat opened {};
    const bool same =
        ::fstat(fd, &opened) == 0 && opened.st_ino == named.st_ino && opened.st_dev == named.st_dev;
    // A writer (whatever its pid looks like from here) holds the lock while it writes.
    const bool inUse = ::flock(fd, LOCK_EX | LOCK_NB) != 0 && errno == EWOULDBLOCK;
    if (same && !inUse && ::unlink(path.c_str()) == 0) {
      ++removed;
      bytes += static_cast<uintmax_t>(named.st_size);
    }
    ::close(fd);
  }
  if (removed > 0)
    spdlog::info("removed {} stale temporary file(s) ({:.1f} MB) left by interrupted writes in {}", removed,
                 static_cast<double>(bytes) / 1e6, folder);
  return removed;
}

}  // namespace fmcib::io
