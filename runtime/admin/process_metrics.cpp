#include "runtime/admin/process_metrics.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>

#include "runtime/base/prometheus_text.hpp"

namespace synchub::runtime {

namespace {

// Field 22 of /proc/self/stat: start time in clock ticks after boot.
double start_time_seconds() {
  std::ifstream stat("/proc/self/stat");
  std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  const size_t end_of_name = text.rfind(')');  // the command name may hold spaces
  if (end_of_name == std::string::npos) return 0;
  std::istringstream fields(text.substr(end_of_name + 2));
  std::string field;
  for (int i = 3; i <= 22 && fields >> field; ++i) {
  }
  std::ifstream proc_stat("/proc/stat");
  std::string line;
  double boot = 0;
  while (std::getline(proc_stat, line))
    if (line.rfind("btime ", 0) == 0) boot = std::stod(line.substr(6));
  return boot + std::stod(field.empty() ? "0" : field) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

}  // namespace

void append_process_metrics(std::string& out) {
  static const double started = start_time_seconds();
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  const double cpu = static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
                     static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
  long pages_total = 0, pages_resident = 0;
  if (std::FILE* f = std::fopen("/proc/self/statm", "r")) {
    if (std::fscanf(f, "%ld %ld", &pages_total, &pages_resident) != 2) pages_total = pages_resident = 0;
    std::fclose(f);
  }
  const double page = static_cast<double>(sysconf(_SC_PAGESIZE));
  std::error_code ec;
  double open_fds = 0;
  for (auto it = std::filesystem::directory_iterator("/proc/self/fd", ec); !ec && it != std::filesystem::end(it);
       it.increment(ec))
    ++open_fds;
  rlimit files{};
  getrlimit(RLIMIT_NOFILE, &files);
  prometheus::Writer w(out);
  w.single("process_cpu_seconds_total", "counter", "User and system CPU time spent in seconds.", cpu);
  w.single("process_resident_memory_bytes", "gauge", "Resident memory size in bytes.",
           static_cast<double>(pages_resident) * page);
  w.single("process_virtual_memory_bytes", "gauge", "Virtual memory size in bytes.",
           static_cast<double>(pages_total) * page);
  w.single("process_open_fds", "gauge", "Number of open file descriptors.", open_fds);
  w.single("process_max_fds", "gauge", "Maximum number of open file descriptors.", static_cast<double>(files.rlim_cur));
  w.single("process_start_time_seconds", "gauge", "Start time of the process since unix epoch in seconds.", started);
}

}  // namespace synchub::runtime
