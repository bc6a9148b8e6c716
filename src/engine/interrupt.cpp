#include "fmcib/engine/interrupt.hpp"

#include <unistd.h>

#include <csignal>
#include <cstdlib>

namespace fmcib::engine {

namespace {

volatile std::sig_atomic_t gSignal = 0;
struct sigaction gPrevInt, gPrevTerm;
int gDepth = 0;

extern "C" void onSignal(int sig) {
  if (gSignal != 0) _exit(128 + sig);  // second signal: stop now (async-signal-safe)
  gSignal = sig;
}

}  // namespace

InterruptScope::InterruptScope() {
  if (gDepth++ > 0) return;
  gSignal = 0;
  struct sigaction sa {};
  sa.sa_handler = onSignal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  sigaction(SIGINT, &sa, &gPrevInt);
  sigaction(SIGTERM, &sa, &gPrevTerm);
}

InterruptScope::~InterruptScope() {
  if (--gDepth > 0) return;
  sigaction(SIGINT, &gPrevInt, nullptr);
  sigaction(SIGTERM, &gPrevTerm, nullptr);
}

int pendingSignal() {
  return static_cast<int>(gSignal);
}

}  // namespace fmcib::engine
