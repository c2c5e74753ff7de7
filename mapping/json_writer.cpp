#include "mapping/json_writer.hpp"

#include "mapping/datetime.hpp"
#include "mapping/record.hpp"

namespace synchub::mapping {

namespace {

// `plain`: read from the input without escapes, so there is nothing to escape.
void append_string(std::string& out, std::string_view text, bool plain) {
  if (!plain) return append_json_string(out, text);
  out += '"';
  out += text;
  out += '"';
}

}  // namespace

void write_node(std::string& out, const Document& doc, uint32_t index) {
  const Node& n = doc.at(index);
  switch (n.kind) {
    case JsonKind::Null: out += "null"; return;
    case JsonKind::Bool: out += n.boolean ? "true" : "false"; return;
    case JsonKind::Number: out += n.text; return;
    case JsonKind::String: append_string(out, n.text, n.boolean); return;
    case JsonKind::Object:
    case JsonKind::Array: {
      const bool object = n.kind == JsonKind::Object;
      out += object ? '{' : '[';
      uint32_t child = index + 1;
      for (uint32_t i = 0; i < n.count; ++i) {
        if (i) out += ',';
        if (object) {
          append_json_string(out, doc.at(child).key);
          out += ':';
        }
        write_node(out, doc, child);
        child = doc.at(child).next;
      }
      out += object ? '}' : ']';
    }
  }
}

void write_json(std::string& out, const Document& doc, const Value& v) {
  switch (v.kind) {
    case ValueKind::Null: out += "null"; return;
    case ValueKind::Bool: out += v.boolean ? "true" : "false"; return;
    case ValueKind::Number:
      if (!v.text.empty())
        out += v.text;
      else
        v.number.append_to(out);
      return;
    case ValueKind::String: append_string(out, v.text, v.boolean); return;
    case ValueKind::Date: {
      std::string s;
      format_date(s, v.time, {});
      append_json_string(out, s);
      return;
    }
    case ValueKind::DateTime: {
      std::string s;
      format_datetime(s, {v.time, v.offset_minutes}, {});
      append_json_string(out, s);
      return;
    }
    case ValueKind::Node: write_node(out, doc, v.node); return;
    case ValueKind::List:
      out += '[';
      for (uint32_t i = 0; i < v.size; ++i) {
        if (i) out += ',';
        write_json(out, doc, v.items[i]);
      }
      out += ']';
      return;
    case ValueKind::Object:
      out += '{';
      for (uint32_t i = 0; i < v.size; ++i) {
        if (i) out += ',';
        if (!v.members[i].json_name.empty()) {
          out += v.members[i].json_name;
        } else {
          append_json_string(out, v.members[i].name);
          out += ':';
        }
        write_json(out, doc, v.members[i].value);
      }
      out += '}';
      return;
  }
}

}  // namespace synchub::mapping
