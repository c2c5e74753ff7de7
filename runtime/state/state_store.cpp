// What every state store shares: dead-letter stages and lineage kinds as they are stored and shown.
#include "runtime/state/state_store.hpp"

#include <cctype>
#include <utility>

namespace synchub::runtime {

const char* stage_name(DeadLetterStage stage) {
  switch (stage) {
    case DeadLetterStage::Source: return "source";
    case DeadLetterStage::Mapping: return "mapping";
    case DeadLetterStage::Sink: return "sink";
  }
  return "sink";
}

DeadLetterStage parse_stage(const std::string& name) {
  if (name == "source") return DeadLetterStage::Source;
  if (name == "mapping") return DeadLetterStage::Mapping;
  return DeadLetterStage::Sink;
}

namespace {

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

// A number at `text[i]` (digits, with . , : - between digits: amounts, dates, times) as #; an HTTP
// status after "HTTP " stays, it is the cause.
size_t skip_number(std::string_view text, size_t i) {
  while (i < text.size() &&
         (is_digit(text[i]) || ((text[i] == '.' || text[i] == ',' || text[i] == ':' || text[i] == '-') &&
                                i + 1 < text.size() && is_digit(text[i + 1]))))
    ++i;
  return i;
}

bool after_http(const std::string& out) {
  return out.size() >= 5 && out.compare(out.size() - 5, 5, "HTTP ") == 0;
}

}  // namespace

std::string dead_letter_reason(std::string_view error) {
  constexpr size_t kMaxReason = 160;
  std::string out;
  for (size_t i = 0; i < error.size() && out.size() < kMaxReason;) {
    const char c = error[i];
    if (c == '"' || c == '\'' || c == '`') {
      const size_t end = error.find(c, i + 1);
      if (end != std::string_view::npos) {  // quoted: a value of the record
        out += c;
        out += "\u2026";
        out += c;
        i = end + 1;
        continue;
      }
    }
    if (is_digit(c) && (out.empty() || !std::isalpha(static_cast<unsigned char>(out.back())))) {
      const size_t end = skip_number(error, i);
      out += after_http(out) ? std::string(error.substr(i, end - i)) : "#";
      i = end;
      continue;
    }
    if (std::isspace(static_cast<unsigned char>(c))) {
      if (!out.empty() && out.back() != ' ') out += ' ';
      ++i;
      continue;
    }
    out += c;
    ++i;
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

namespace {
constexpr std::pair<LineageKind, const char*> kLineageKinds[] = {
    {LineageKind::Written, "written"},
    {LineageKind::Unchanged, "unchanged"},
    {LineageKind::Skipped, "skipped"},
    {LineageKind::Failed, "failed"},
    {LineageKind::DeadLettered, "dead_lettered"},
    {LineageKind::Replayed, "replayed"},
    {LineageKind::ReplayFailed, "replay_failed"},
};
}  // namespace

const char* lineage_kind_name(LineageKind kind) {
  for (const auto& [k, name] : kLineageKinds)
    if (k == kind) return name;
  return "written";
}

LineageKind parse_lineage_kind(const std::string& name) {
  for (const auto& [k, text] : kLineageKinds)
    if (name == text) return k;
  return LineageKind::Written;
}

}  // namespace synchub::runtime
