// How `synchub run` stops: the first SIGINT/SIGTERM asks the hub to finish
// the batches in flight and exit; if that takes longer than the hub's
// `shutdown_timeout` (a bus or a target that no longer answers), the process
// exits anyway, saying what was not confirmed; a second signal exits at once.
// Either way nothing is lost: what was not confirmed (offsets, cursors) is
// delivered again at the next start, like after a crash.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

namespace synchub::cli {

// Installs the SIGINT/SIGTERM handlers; the flag they set is stop_requested().
void install_stop_signals();
const std::atomic<bool>& stop_requested();

// While alive, ends the process `timeout` after a stop was asked for.
class ShutdownDeadline {
 public:
  explicit ShutdownDeadline(std::chrono::milliseconds timeout);
  ~ShutdownDeadline();
  ShutdownDeadline(const ShutdownDeadline&) = delete;
  ShutdownDeadline& operator=(const ShutdownDeadline&) = delete;

 private:
  std::chrono::milliseconds timeout_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool done_ = false;
  std::thread watch_;
};

}  // namespace synchub::cli
