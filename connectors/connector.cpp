// What every connector shares: outcome names and the two ways a sink result is made.
#include "connectors/connector.hpp"

#include <stdexcept>

namespace synchub::connectors {

const char* outcome_name(Outcome outcome) {
  switch (outcome) {
    case Outcome::Created: return "created";
    case Outcome::Updated: return "updated";
    case Outcome::Unchanged: return "unchanged";
    case Outcome::Failed: return "failed";
  }
  return "unknown";
}

SinkResult SinkResult::landed(Outcome outcome, std::string target_id) {
  if (outcome == Outcome::Failed) throw std::logic_error("SinkResult::landed with Outcome::Failed: use failed()");
  SinkResult r(outcome, Failure::None);
  r.target_id = std::move(target_id);
  return r;
}

SinkResult SinkResult::failed(Failure kind, std::string message, std::chrono::milliseconds retry_after) {
  if (kind == Failure::None) throw std::logic_error("SinkResult::failed without a kind of failure: " + message);
  SinkResult r(Outcome::Failed, kind);
  r.error = std::move(message);
  r.retry_after = retry_after;
  return r;
}

std::vector<SinkResult> unsent_results(size_t count) {
  return std::vector<SinkResult>(count, SinkResult::failed(Failure::Transient, "not sent"));
}

std::unique_ptr<SourceStream> Connector::open_reader(const config::StreamConfig& stream) {
  if (!stream.roles.source) return nullptr;
  auto source = open_source(stream);
  if (source && source->push()) return nullptr;
  return source;
}

}  // namespace synchub::connectors
