// A source stream's options from the validated config: every default is the spec's
// (config/hub_config.cpp: hub_fields, state_fields), filled in by the loader.
#include <unistd.h>

#include <filesystem>

#include "runtime/source_poller.hpp"

namespace synchub::runtime {

namespace {

// Most records one poll pulls and publishes as one bus transaction (no setting): large enough
// that a big listing is not one transaction per page, small enough to hold in memory.
constexpr size_t kRecordsPerPoll = 5000;

}  // namespace

std::string this_worker_id(const config::Settings& hub) {
  if (hub.has("worker_id")) return hub.str("worker_id");
  char host[256] = {};
  gethostname(host, sizeof host - 1);
  std::error_code ec;
  const auto data_dir = std::filesystem::absolute(hub.str("data_dir"), ec);
  return std::string(host) + ":" + data_dir.string();
}

SourceOptions SourceOptions::from(const config::HubConfig& config, const config::StreamRef& stream) {
  SourceOptions options;
  options.connector = stream.connector;
  options.stream = stream.stream;
  options.topic = config.topic(stream);
  options.hub_name = config.hub.str("name");
  options.batch_size = kRecordsPerPoll;
  options.worker_id = this_worker_id(config.hub);
  options.lease_ttl = config.state.duration("lease_ttl");
  return options;
}

}  // namespace synchub::runtime
