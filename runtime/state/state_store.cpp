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

// Where the quote opened at `text[open]` closes (a \" inside "..." does not close it), or npos.
size_t closing_quote(std::string_view text, size_t open) {
  for (size_t i = open + 1; i < text.size(); ++i) {
    if (text[i] == '\\' && text[open] == '"')
      ++i;
    else if (text[i] == text[open])
      return i;
  }
  return std::string_view::npos;
}

// A JSON member's name: "name" after { or , and before :.
bool member_name(std::string_view text, size_t open, size_t close) {
  const size_t before = open == 0 ? std::string_view::npos : text.find_last_not_of(' ', open - 1);
  const size_t after = text.find_first_not_of(' ', close + 1);
  return before != std::string_view::npos && (text[before] == '{' || text[before] == ',') &&
         after != std::string_view::npos && text[after] == ':';
}

std::string unescaped(std::string_view quoted) {
  std::string out;
  for (size_t i = 0; i < quoted.size(); ++i)
    out += quoted[i] == '\\' && i + 1 < quoted.size() ? quoted[++i] : quoted[i];
  return out;
}

std::string reason_of(std::string_view error, int depth);

// Quoted text is a value of the record ("C9" -> "…"), unless it is a JSON member's name or, in a
// target's JSON error body, a message (it holds a space: {"error":"unknown customer C9"}), whose
// values are taken out in turn.
std::string quoted_reason(std::string_view error, size_t open, size_t close, int depth) {
  const std::string_view inner = error.substr(open + 1, close - open - 1);
  std::string out(1, error[open]);
  if (member_name(error, open, close))
    out += inner;
  else if (depth == 0 && error[open] == '"' && inner.find(' ') != std::string_view::npos)
    out += reason_of(unescaped(inner), depth + 1);
  else
    out += "\u2026";
  return out + error[open];
}

std::string reason_of(std::string_view error, int depth) {
  constexpr size_t kMaxReason = 160;
  std::string out;
  for (size_t i = 0; i < error.size() && out.size() < kMaxReason;) {
    const char c = error[i];
    if (c == '"' || c == '\'' || c == '`') {
      const size_t end = closing_quote(error, i);
      if (end != std::string_view::npos) {
        out += quoted_reason(error, i, end, depth);
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

}  // namespace

std::string dead_letter_reason(std::string_view error) {
  return reason_of(error, 0);
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
