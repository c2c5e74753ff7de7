// The conventional process_* metrics of Prometheus clients (CPU, memory,
// open files, start time), read from /proc on Linux.
#pragma once

#include <string>

namespace synchub::runtime {

// Appends the families in Prometheus text format.
void append_process_metrics(std::string& out);

}  // namespace synchub::runtime
