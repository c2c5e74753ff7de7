#include <fstream>
#include <stdexcept>

#include "runtime/reconcile/export.hpp"

namespace synchub::reconcile {

namespace {

std::string csv_cell(const std::string& text) {
  const std::string safe = inert_cell(text);
  if (safe.find_first_of(",\"\r\n") == std::string::npos) return safe;
  std::string out = "\"";
  for (char c : safe) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

void row(std::ofstream& out, const std::vector<std::string>& cells) {
  for (size_t i = 0; i < cells.size(); ++i) out << (i ? "," : "") << csv_cell(cells[i]);
  out << "\r\n";
}

std::string join(const std::vector<std::string>& v, const char* separator) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : separator) + x;
  return s;
}

}  // namespace

std::string inert_cell(const std::string& text) {
  if (!text.empty() && (text[0] == '=' || text[0] == '+' || text[0] == '-' || text[0] == '@')) {
    // A negative amount stays a number.
    if (text[0] == '-' && text.size() > 1 && text.find_first_not_of("0123456789.", 1) == std::string::npos) return text;
    return "'" + text;
  }
  return text;
}

void write_csv(const std::vector<Report>& reports, const std::string& path) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) throw std::runtime_error("cannot write " + path);
  out << "\xEF\xBB\xBF";
  row(out, {"reconciliation", "section", "class", "key", "group", "source", "target", "field", "source value",
            "target value", "reason"});
  for (const auto& r : reports) {
    for (const auto& g : r.groups) {
      row(out, {r.name, "group", g.agrees() ? "agrees" : "differs", "", join(g.group, " / "),
                std::to_string(g.count[0]), std::to_string(g.count[1]), "count", "", "", ""});
      for (size_t m = 0; m < r.measures.size(); ++m)
        row(out, {r.name, "group", g.agrees() ? "agrees" : "differs", "", join(g.group, " / "), "", "", r.measures[m],
                  g.sums[0][m], g.sums[1][m], ""});
    }
    for (const auto& d : r.documents) {
      const std::vector<std::string> head = {
          r.name, "document", class_name(d.kind), d.key, d.group, join(d.source_docs, " "), join(d.target_docs, " ")};
      if (d.fields.empty()) {
        auto cells = head;
        cells.insert(cells.end(), {"", "", "", d.reason});
        row(out, cells);
      }
      for (const auto& f : d.fields) {
        auto cells = head;
        cells.insert(cells.end(), {f.field, f.source.value_or(""), f.target.value_or(""), d.reason});
        row(out, cells);
      }
    }
  }
  if (!out.flush()) throw std::runtime_error("cannot write " + path);
}

}  // namespace synchub::reconcile
