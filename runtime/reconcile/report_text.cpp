#include "runtime/reconcile/report_text.hpp"

#include <algorithm>
#include <ctime>

#include "mapping/decimal.hpp"

namespace synchub::reconcile {

namespace {

using Table = std::vector<std::vector<std::string>>;

bool wide(uint32_t c) {
  return (c >= 0x1100 && c <= 0x115F) || (c >= 0x2E80 && c <= 0xA4CF) || (c >= 0xAC00 && c <= 0xD7A3) ||
         (c >= 0xF900 && c <= 0xFAFF) || (c >= 0xFE30 && c <= 0xFE4F) || (c >= 0xFF00 && c <= 0xFF60) ||
         (c >= 0xFFE0 && c <= 0xFFE6) || (c >= 0x20000 && c <= 0x3FFFD);
}

std::string pad(const std::string& text, size_t width, bool right) {
  const size_t w = display_width(text);
  const std::string fill(width > w ? width - w : 0, ' ');
  return right ? fill + text : text + fill;
}

// Rows as aligned columns; columns from `numeric_from` on are right-aligned.
std::string render(const Table& table, size_t numeric_from) {
  std::vector<size_t> widths;
  for (const auto& row : table)
    for (size_t i = 0; i < row.size(); ++i) {
      if (widths.size() <= i) widths.push_back(0);
      widths[i] = std::max(widths[i], display_width(row[i]));
    }
  std::string out;
  for (size_t r = 0; r < table.size(); ++r) {
    std::string line = "  ";
    for (size_t i = 0; i < table[r].size(); ++i)
      line += (i ? "  " : "") + pad(table[r][i], widths[i], i >= numeric_from && r > 0);
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + "\n";
  }
  return out;
}

// Money as finance reads it: at least two places.
std::string amount(const std::string& text) {
  auto d = mapping::Decimal::parse(text);
  if (!d) return text;
  return (d->scale() < 2 ? d->rescale(2) : *d).str();
}

std::string difference(const std::string& source, const std::string& target) {
  auto a = mapping::Decimal::parse(source), b = mapping::Decimal::parse(target);
  if (!a || !b) return "?";
  return amount((*b - *a).normalized().str());
}

std::string date_text(int64_t ms) {
  const std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char text[40];
  std::strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S UTC", &tm);
  return text;
}

std::string value_text(const std::optional<std::string>& v) {
  return v ? *v : "(none)";
}

std::string documents_table(const Report& r) {
  Table table = {{"class", "key", "source", "target", "group", "what differs / why"}};
  for (DiffClass c : kAllClasses)
    for (const auto& d : r.documents) {
      if (d.kind != c) continue;
      std::string what;
      for (const auto& f : d.fields)
        what += (what.empty() ? "" : "; ") + f.field + ": " + value_text(f.source) + " -> " + value_text(f.target);
      if (!d.reason.empty()) what += (what.empty() ? "" : "; ") + d.reason;
      auto join = [](const std::vector<std::string>& v) {
        std::string s;
        for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
        return s.empty() ? "-" : s;
      };
      table.push_back({class_name(c), d.key, join(d.source_docs), join(d.target_docs), d.group, what});
    }
  return render(table, 99);
}

}  // namespace

size_t display_width(const std::string& text) {
  size_t width = 0;
  for (size_t i = 0; i < text.size();) {
    const auto b = static_cast<unsigned char>(text[i]);
    const size_t n = b < 0x80 ? 1 : b < 0xE0 ? 2 : b < 0xF0 ? 3 : 4;
    uint32_t c = n == 1 ? b : b & (0x7F >> n);
    for (size_t k = 1; k < n && i + k < text.size(); ++k) c = c << 6 | (static_cast<unsigned char>(text[i + k]) & 0x3F);
    width += wide(c) ? 2 : 1;
    i += n;
  }
  return width;
}

std::string report_table(const Report& r) {
  std::string out = "reconciliation " + r.name + ": " + r.source_stream + " against " + r.target_stream;
  if (!r.description.empty()) out += " (" + r.description + ")";
  out += "\n  run " + date_text(r.started_ms) + ", " + std::to_string(r.finished_ms - r.started_ms) + " ms";
  if (r.since_ms || r.until_ms)
    out += "; business time " + (r.since_ms ? date_text(*r.since_ms) : std::string("...")) + " to " +
           (r.until_ms ? date_text(*r.until_ms) : std::string("now"));
  out += "\n";
  if (!r.error.empty()) return out + "  FAILED: " + r.error + "\n";
  out += "  read " + std::to_string(r.read[0]) + " source and " + std::to_string(r.read[1]) +
         " target records; in scope " + std::to_string(r.in_scope[0]) + " and " + std::to_string(r.in_scope[1]) +
         "\n\n";
  Table groups;
  std::vector<std::string> head = r.group_by.empty() ? std::vector<std::string>{"group"} : r.group_by;
  const size_t numeric_from = head.size();
  for (const char* h : {"source", "target", "diff"}) head.push_back(std::string(h) + " count");
  for (const auto& m : r.measures)
    for (const char* h : {"source ", "target ", "diff "}) head.push_back(h + m);
  groups.push_back(head);
  for (const auto& g : r.groups) {
    std::vector<std::string> row = g.group.empty() ? std::vector<std::string>{"(all)"} : g.group;
    row.push_back(std::to_string(g.count[0]));
    row.push_back(std::to_string(g.count[1]));
    row.push_back(std::to_string(g.count[1] - g.count[0]));
    for (size_t m = 0; m < r.measures.size(); ++m) {
      row.push_back(amount(g.sums[0][m]));
      row.push_back(amount(g.sums[1][m]));
      row.push_back(difference(g.sums[0][m], g.sums[1][m]));
    }
    groups.push_back(std::move(row));
  }
  out += render(groups, numeric_from);
  out += "\n  " + summary_line(r) + "\n";
  if (!r.documents.empty()) out += "\n" + documents_table(r);
  int64_t listed = 0;
  for (const auto& [c, n] : r.counts) listed += n;
  if (listed > static_cast<int64_t>(r.documents.size()))
    out += "  ... and " + std::to_string(listed - static_cast<int64_t>(r.documents.size())) + " more (max_documents)\n";
  for (const auto& note : r.notes) out += "  note: " + note + "\n";
  out += r.agrees() ? "  the systems agree\n" : "  the systems DIFFER\n";
  return out;
}

}  // namespace synchub::reconcile
