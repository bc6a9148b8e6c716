#include "fmcib/dist/launcher.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

#include <atomic>
#include <csignal>
#include <cstring>
#include <fstream>
#include <iostream>
#include <iterator>
#include <optional>

#include "fmcib/config/error.hpp"

namespace fmcib::dist {

namespace {

volatile std::sig_atomic_t gForward = 0;
extern "C" void onLauncherSignal(int sig) {
  gForward = sig;
}

std::vector<std::string> selfArgs() {
  std::ifstream in("/proc/self/cmdline", std::ios::binary);
  std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<std::string> args;
  size_t start = 0;
  for (size_t i = 0; i < all.size(); ++i)
    if (all[i] == '\0') {
      args.push_back(all.substr(start, i - start));
      start = i + 1;
    }
  return args;
}

// One child's output stream: bytes are cut into lines and written with the rank prefix.
struct Stream {
  int fd = -1;
  int target = STDOUT_FILENO;
  std::string pending;
};

struct Child {
  pid_t pid = -1;
  int rank = 0;
  bool running = true;
  Stream out, err;
};

void writeAll(int fd, const std::string& s) {
  size_t done = 0;
  while (done < s.size()) {
    ssize_t n = ::write(fd, s.data() + done, s.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    done += static_cast<size_t>(n);
  }
}

void flushLines(Stream& s, int rank, bool final) {
  const std::string prefix = "[rank " + std::to_string(rank) + "] ";
  size_t nl;
  while ((nl = s.pending.find_first_of("\n\r")) != std::string::npos) {
    if (nl > 0) writeAll(s.target, prefix + s.pending.substr(0, nl) + "\n");
    s.pending.erase(0, nl + 1);
  }
  if (final && !s.pending.empty()) {
    writeAll(s.target, prefix + s.pending + "\n");
    s.pending.clear();
  }
}

// Reads what is available; closes the stream at end of file.
void drain(Stream& s, int rank) {
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(s.fd, buf, sizeof(buf));
    if (n > 0) {
      s.pending.append(buf, static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
    ::close(s.fd);
    s.fd = -1;
    flushLines(s, rank, true);
    return;
  }
  flushLines(s, rank, false);
}

/// Starts one rank in process group `pgid` (0: a new group led by this child).
pid_t spawn(const std::string& exe, const std::vector<std::string>& args, int rank, int world, int port,
            pid_t pgid, Child& child) {
  int outPipe[2], errPipe[2];
  // Close-on-exec: a rank inherits no other rank's pipes.
  if (pipe2(outPipe, O_CLOEXEC) != 0) throw RuntimeError(std::string("pipe failed: ") + std::strerror(errno));
  if (pipe2(errPipe, O_CLOEXEC) != 0) {
    const int e = errno;
    for (int fd : outPipe) ::close(fd);
    throw RuntimeError(std::string("pipe failed: ") + std::strerror(e));
  }
  // Everything the child needs is prepared before fork (the child only calls async-signal-safe
  // functions, then exec).
  std::vector<std::string> env = {"RANK=" + std::to_string(rank),
                                  "LOCAL_RANK=" + std::to_string(rank),
                                  "WORLD_SIZE=" + std::to_string(world),
                                  "LOCAL_WORLD_SIZE=" + std::to_string(world),
                                  "MASTER_ADDR=127.0.0.1",
                                  "MASTER_PORT=" + std::to_string(port)};
  std::vector<std::string> keep;
  for (char** e = environ; *e; ++e) {
    const std::string entry = *e;
    const std::string name = entry.substr(0, entry.find('='));
    if (name != "RANK" && name != "LOCAL_RANK" && name != "WORLD_SIZE" && name != "LOCAL_WORLD_SIZE" &&
        name != "MASTER_ADDR" && name != "MASTER_PORT")
      keep.push_back(entry);
  }
  env.insert(env.end(), keep.begin(), keep.end());
  std::vector<char*> envp, argv;
  for (auto& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);
  std::vector<std::string> argCopy = args;
  for (auto& a : argCopy) argv.push_back(a.data());
  argv.push_back(nullptr);
  const std::string execFailed = "launcher: cannot run " + exe + "\n";

  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid < 0) {
    const int e = errno;
    for (int fd : {outPipe[0], outPipe[1], errPipe[0], errPipe[1]}) ::close(fd);
    throw RuntimeError(std::string("fork failed: ") + std::strerror(e));
  }
  if (pid == 0) {
    // Child: die with the launcher, even if it is killed with SIGKILL (armed before exec, kept
    // across it; the getppid() check covers a launcher that died before prctl ran). All ranks
    // share one process group apart from the launcher's, so a terminal's Ctrl-C reaches the
    // launcher only (it forwards it once) and the launcher can stop the whole group.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(1);
    if (setpgid(0, pgid) != 0) setpgid(0, 0);
    dup2(outPipe[1], STDOUT_FILENO);
    dup2(errPipe[1], STDERR_FILENO);
    execve(exe.c_str(), argv.data(), envp.data());
    ssize_t ignored = ::write(STDERR_FILENO, execFailed.data(), execFailed.size());
    (void)ignored;
    _exit(127);
  }
  setpgid(pid, pgid == 0 ? pid : pgid);  // also from here: no window in which it is outside the group
  ::close(outPipe[1]);
  ::close(errPipe[1]);
  child.pid = pid;
  child.rank = rank;
  child.out = Stream{outPipe[0], STDOUT_FILENO, {}};
  child.err = Stream{errPipe[0], STDERR_FILENO, {}};
  for (int fd : {outPipe[0], errPipe[0]}) fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
  return pid;
}

/// The ranks' process group. Whatever way launchLocalRanks leaves (done, or an exception while
/// starting or supervising), everything still in the group is killed and every rank reaped. The
/// group leader (rank 0) is reaped last: while its pid is unreaped the group id cannot be reused,
/// so the kill can only reach the ranks and what they started.
class RankGroup {
 public:
  explicit RankGroup(std::vector<Child>& children) : children_(children) {}
  ~RankGroup() { stop(); }
  pid_t pgid() const { return pgid_; }
  void setLeader(pid_t pid) { pgid_ = pid; }
  /// waitpid(WNOHANG) for a rank; the leader is only observed (WNOWAIT), not reaped.
  bool exited(const Child& c, int& status) {
    if (c.pid != pgid_) return waitpid(c.pid, &status, WNOHANG) == c.pid;
    siginfo_t info{};
    if (waitid(P_PID, static_cast<id_t>(c.pid), &info, WEXITED | WNOHANG | WNOWAIT) != 0 ||
        info.si_pid != c.pid)
      return false;
    status = info.si_code == CLD_EXITED ? (info.si_status & 0xff) << 8 : (info.si_status & 0x7f);
    return true;
  }
  void stop() {
    if (pgid_ > 0) kill(-pgid_, SIGKILL);
    for (auto& c : children_) {
      if (c.pid <= 0) continue;
      if (c.running) kill(c.pid, SIGKILL);  // also one that could not join the group
      if (c.running || c.pid == pgid_) waitpid(c.pid, nullptr, 0);
      c.running = false;
      for (Stream* s : {&c.out, &c.err})
        if (s->fd >= 0) {
          flushLines(*s, c.rank, true);
          ::close(s->fd);
          s->fd = -1;
        }
    }
    pgid_ = 0;
  }

 private:
  std::vector<Child>& children_;
  pid_t pgid_ = 0;
};

int statusCode(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 1;
}

}  // namespace

int freePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) throw RuntimeError(std::string("launcher: socket failed: ") + std::strerror(errno));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof(addr);
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    ::close(fd);
    throw RuntimeError(std::string("launcher: no free port: ") + std::strerror(errno));
  }
  ::close(fd);
  return ntohs(addr.sin_port);
}

int launchLocalRanks(const LaunchOptions& o) {
  if (o.nprocs < 1) throw ConfigError("launcher: nprocs must be >= 1");
  const std::string exe = o.executable.empty() ? "/proc/self/exe" : o.executable;
  const std::vector<std::string> args = o.args.empty() ? selfArgs() : o.args;
  const int port = freePort();
  spdlog::info("launching {} ranks on this machine (master 127.0.0.1:{})", o.nprocs, port);
  std::cout.flush();

  struct sigaction sa {
  }, prevInt{}, prevTerm{};
  sa.sa_handler = onLauncherSignal;
  sigemptyset(&sa.sa_mask);
  gForward = 0;
  sigaction(SIGINT, &sa, &prevInt);
  sigaction(SIGTERM, &sa, &prevTerm);

  std::vector<Child> children(static_cast<size_t>(o.nprocs));
  RankGroup group(children);
  int firstFailure = 0;
  for (int r = 0; r < o.nprocs; ++r) {
    try {
      const pid_t pid = spawn(exe, args, r, o.nprocs, port, group.pgid(), children[static_cast<size_t>(r)]);
      if (r == 0) group.setLeader(pid);
    } catch (const RuntimeError& e) {
      sigaction(SIGINT, &prevInt, nullptr);
      sigaction(SIGTERM, &prevTerm, nullptr);
      throw RuntimeError("launcher: cannot start rank " + std::to_string(r) + " of " +
                         std::to_string(o.nprocs) + ": " + e.what() + " (the started ranks were stopped)");
    }
  }

  using Clock = std::chrono::steady_clock;
  std::optional<Clock::time_point> killAt, allExited;
  bool forwarded = false, killed = false;
  for (;;) {
    std::vector<pollfd> fds;
    std::vector<std::pair<Child*, Stream*>> owners;
    for (auto& c : children)
      for (Stream* s : {&c.out, &c.err})
        if (s->fd >= 0) {
          fds.push_back({s->fd, POLLIN, 0});
          owners.push_back({&c, s});
        }
    bool anyRunning = false;
    for (auto& c : children) anyRunning = anyRunning || c.running;
    if (!anyRunning && fds.empty()) break;
    // Every rank is gone but something they started still holds their output open: take what
    // comes within a moment, then stop it with the group.
    if (!anyRunning && !allExited) allExited = Clock::now();
    if (allExited && Clock::now() - *allExited > std::chrono::seconds(2)) break;
    if (!fds.empty()) {
      poll(fds.data(), fds.size(), 100);
      for (size_t i = 0; i < fds.size(); ++i)
        if (fds[i].revents != 0) drain(*owners[i].second, owners[i].first->rank);
    } else {
      usleep(20000);
    }
    if (gForward && !forwarded) {
      forwarded = true;
      for (auto& c : children)
        if (c.running) kill(c.pid, gForward);
    }
    for (auto& c : children) {
      if (!c.running) continue;
      int status = 0;
      if (!group.exited(c, status)) continue;
      c.running = false;
      const int code = statusCode(status);
      if (code != 0 && firstFailure == 0) {
        firstFailure = code;
        killAt = Clock::now() + o.grace;
        writeAll(STDERR_FILENO, "[launcher] rank " + std::to_string(c.rank) + " exited with status " +
                                    std::to_string(code) + "; stopping the other ranks\n");
      }
    }
    if (killAt && !killed && Clock::now() >= *killAt) {
      killed = true;
      for (auto& c : children)
        if (c.running) kill(c.pid, SIGKILL);
    }
  }
  group.stop();  // what the ranks started and left running goes with them
  sigaction(SIGINT, &prevInt, nullptr);
  sigaction(SIGTERM, &prevTerm, nullptr);
  return firstFailure;
}

}  // namespace fmcib::dist
