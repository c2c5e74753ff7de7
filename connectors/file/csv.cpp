#include "connectors/file/csv.hpp"

namespace synchub::connectors::file {

std::string parse_csv_row(std::string_view row, char delimiter, std::vector<std::string>& fields) {
  fields.clear();
  std::string field;
  size_t i = 0;
  while (true) {
    field.clear();
    if (i < row.size() && row[i] == '"') {
      ++i;
      while (true) {
        if (i >= row.size()) return "unterminated quoted field " + std::to_string(fields.size() + 1);
        if (row[i] == '"') {
          if (i + 1 < row.size() && row[i + 1] == '"') {
            field += '"';
            i += 2;
            continue;
          }
          ++i;
          break;
        }
        field += row[i++];
      }
      if (i < row.size() && row[i] != delimiter)
        return "unexpected character after closing quote in field " + std::to_string(fields.size() + 1);
    } else {
      while (i < row.size() && row[i] != delimiter) {
        if (row[i] == '"') return "quote inside unquoted field " + std::to_string(fields.size() + 1);
        field += row[i++];
      }
    }
    fields.push_back(field);
    if (i >= row.size()) return {};
    ++i;  // delimiter
  }
}

void append_csv_field(std::string& out, std::string_view field, char delimiter) {
  bool quote = field.find_first_of(std::string{'"', '\n', '\r', delimiter}) != std::string_view::npos;
  if (!quote) {
    out += field;
    return;
  }
  out += '"';
  for (char c : field) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
}

}  // namespace synchub::connectors::file
