#pragma once
/// SIGINT / SIGTERM during a run: the first signal only sets a flag (the trainer finishes the
/// current optimizer step, writes last.ckpt and returns 128 + signal); a second one ends the
/// process at once with that status.
namespace fmcib::engine {

/// Installs the handlers while alive and restores the previous ones afterwards.
class InterruptScope {
 public:
  InterruptScope();
  ~InterruptScope();
  InterruptScope(const InterruptScope&) = delete;
  InterruptScope& operator=(const InterruptScope&) = delete;
};

/// The signal received since the scope was entered (SIGINT or SIGTERM), or 0.
int pendingSignal();

}  // namespace fmcib::engine
