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

pid_t spawn(const std::string& exe, const std::vector<std::string>& args, int rank, int world, int port,
            Child& child) {
  int outPipe[2], errPipe[2];
  if (pipe(outPipe) != 0 || pipe(errPipe) != 0)
    throw RuntimeError(std::string("launcher: pipe failed: ") + std::strerror(errno));
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid < 0) throw RuntimeError(std::string("launcher: fork failed: ") + std::strerror(errno));
  if (pid == 0) {
    // Child: die with the launcher; its own process group, so a terminal's Ctrl-C reaches the
    // launcher only, which forwards it once.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(1);
    setpgid(0, 0);
    dup2(outPipe[1], STDOUT_FILENO);
    dup2(errPipe[1], STDERR_FILENO);
    for (int fd : {outPipe[0], outPipe[1], errPipe[0], errPipe[1]}) ::close(fd);
    setenv("RANK", std::to_string(rank).c_str(), 1);
    setenv("LOCAL_RANK", std::to_string(rank).c_str(), 1);
    setenv("WORLD_SIZE", std::to_string(world).c_str(), 1);
    setenv("LOCAL_WORLD_SIZE", std::to_string(world).c_str(), 1);
    setenv("MASTER_ADDR", "127.0.0.1", 1);
    setenv("MASTER_PORT", std::to_string(port).c_str(), 1);
    std::vector<char*> argv;
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execv(exe.c_str(), argv.data());
    const std::string msg = "launcher: cannot run " + exe + ": " + std::strerror(errno) + "\n";
    writeAll(STDERR_FILENO, msg);
    _exit(127);
  }
  ::close(outPipe[1]);
  ::close(errPipe[1]);
  child.pid = pid;
  child.rank = rank;
  child.out = Stream{outPipe[0], STDOUT_FILENO, {}};
  child.err = Stream{errPipe[0], STDERR_FILENO, {}};
  for (int fd : {outPipe[0], errPipe[0]}) fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
  return pid;
}

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
  int firstFailure = 0;
  for (int r = 0; r < o.nprocs; ++r) spawn(exe, args, r, o.nprocs, port, children[static_cast<size_t>(r)]);

  using Clock = std::chrono::steady_clock;
  std::optional<Clock::time_point> killAt;
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
      if (waitpid(c.pid, &status, WNOHANG) != c.pid) continue;
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
  sigaction(SIGINT, &prevInt, nullptr);
  sigaction(SIGTERM, &prevTerm, nullptr);
  return firstFailure;
}

}  // namespace fmcib::dist
