#include "cli/stop_signals.hpp"

#include <unistd.h>

#include <csignal>
#include <cstring>

#include "runtime/base/log.hpp"

namespace synchub::cli {
namespace {

std::atomic<bool> g_stop{false};

extern "C" void on_stop_signal(int) {
  if (g_stop.exchange(true)) {  // the second: the operator does not want to wait
    static const char message[] =
        "synchub: second stop signal, exiting now; batches in flight were not confirmed and are delivered again "
        "at the next start\n";
    [[maybe_unused]] ssize_t n = ::write(STDERR_FILENO, message, sizeof message - 1);
    ::_exit(130);
  }
}

}  // namespace

void install_stop_signals() {
  struct sigaction action {};
  action.sa_handler = on_stop_signal;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
}

const std::atomic<bool>& stop_requested() {
  return g_stop;
}

ShutdownDeadline::ShutdownDeadline(std::chrono::milliseconds timeout) : timeout_(timeout) {
  watch_ = std::thread([this] {
    std::unique_lock lock(mu_);
    // A signal handler cannot notify: the flag is looked at ten times a second.
    while (!done_ && !g_stop.load()) cv_.wait_for(lock, std::chrono::milliseconds(100));
    if (done_) return;
    if (cv_.wait_for(lock, timeout_, [this] { return done_; })) return;
    runtime::log_error("hub", {{"shutdown_timeout_ms", std::to_string(timeout_.count())}},
                       "stop took longer than shutdown_timeout: exiting without confirming the batches in flight "
                       "(their offsets and cursors were not committed: they are delivered again at the next start, "
                       "nothing is lost)");
    ::_exit(3);
  });
}

ShutdownDeadline::~ShutdownDeadline() {
  {
    std::lock_guard lock(mu_);
    done_ = true;
  }
  cv_.notify_all();
  watch_.join();
}

}  // namespace synchub::cli
