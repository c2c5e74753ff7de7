// libFuzzer target: the record parser takes any bytes without crashing, and it
// agrees with nlohmann/json on which texts are JSON (apart from its own
// limits: an object or array at the root, 200 levels of nesting), on texts
// without NUL bytes. Parsed trees are checked against their child index, and
// check() (no tree) against parse(): same reasons, same member found; the
// values read against nlohmann/json's.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>

#include "mapping/document.hpp"

using synchub::mapping::Document;

// The child index agrees with the tree: element(a, i) is the i-th child and
// member(o, name) finds the first child of that name.
void check_tree(const Document& doc, uint32_t index) {
  const auto& node = doc.at(index);
  if (node.kind != synchub::mapping::JsonKind::Object && node.kind != synchub::mapping::JsonKind::Array) return;
  uint32_t child = Document::first_child(index);
  for (uint32_t i = 0; i < node.count; ++i, child = doc.at(child).next) {
    if (node.kind == synchub::mapping::JsonKind::Array && doc.element(index, i) != child) std::abort();
    if (node.kind == synchub::mapping::JsonKind::Object) {
      uint32_t found = doc.member(index, doc.at(child).key());
      if (found == Document::npos || found > child || doc.at(found).key() != doc.at(child).key()) std::abort();
    }
    check_tree(doc, child);
  }
  if (child != node.next) std::abort();
}

// Strings and member names read as nlohmann/json reads them (escapes decoded,
// the rest byte for byte), numbers keep their text, nesting agrees. Objects
// with a name twice are compared by size only (nlohmann keeps one of them).
void check_values(const Document& doc, uint32_t index, const nlohmann::json& j) {
  using synchub::mapping::JsonKind;
  const auto& node = doc.at(index);
  switch (node.kind) {
    case JsonKind::Null:
      if (!j.is_null()) std::abort();
      return;
    case JsonKind::Bool:
      if (!j.is_boolean() || j.get<bool>() != node.boolean) std::abort();
      return;
    case JsonKind::Number:
      if (!j.is_number()) std::abort();
      return;
    case JsonKind::String:
      if (!j.is_string() || j.get_ref<const std::string&>() != node.text()) std::abort();
      return;
    case JsonKind::Array: {
      if (!j.is_array() || j.size() != node.count) std::abort();
      uint32_t child = Document::first_child(index);
      for (uint32_t i = 0; i < node.count; ++i, child = doc.at(child).next) check_values(doc, child, j[i]);
      return;
    }
    case JsonKind::Object: {
      if (!j.is_object() || j.size() > node.count) std::abort();
      uint32_t child = Document::first_child(index);
      for (uint32_t i = 0; i < node.count; ++i, child = doc.at(child).next) {
        auto it = j.find(std::string(doc.at(child).key()));
        if (it == j.end()) std::abort();
        if (j.size() == node.count) check_values(doc, child, *it);
      }
      return;
    }
  }
}

// nlohmann/json refuses numbers beyond double's range (1e400); JSON does not.
bool number_out_of_double_range(std::string_view text) {
  try {
    (void)nlohmann::json::parse(text);
  } catch (const nlohmann::json::out_of_range& e) {
    return e.id == 406;
  } catch (const nlohmann::json::exception&) {
  }
  return false;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Document* doc = new Document;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  // The member check() looks for: the root's first member name, when there is one ("id" else).
  static Document* names = new Document;
  std::string wanted = "id";
  if (names->parse(text).empty() && names->root().kind == synchub::mapping::JsonKind::Object && names->root().count > 0)
    wanted = std::string(names->at(Document::first_child(names->root_index())).key());
  Document::Member member;
  const std::string checked = doc->check(text, wanted, member);
  const std::string member_text(member.text);  // views buffers the parse below reuses
  const std::string error = doc->parse(text);
  if (checked != error) std::abort();
  if (error.empty()) {
    check_tree(*doc, doc->root_index());
    if (member.root != doc->root().kind) std::abort();
    const uint32_t found = doc->root().kind == synchub::mapping::JsonKind::Object && !wanted.empty()
                               ? doc->member(doc->root_index(), wanted)
                               : Document::npos;
    if (member.found != (found != Document::npos)) std::abort();
    if (member.found && (member.kind != doc->at(found).kind || member_text != doc->at(found).text())) std::abort();
  }
  // nlohmann/json reads a NUL byte as the end of its input
  if (text.find('\0') != std::string_view::npos) return 0;
  const bool json = nlohmann::json::accept(text);
  if (error.empty() && !json && !number_out_of_double_range(text)) std::abort();  // took something that is not JSON
  if (error.empty() && json) {
    try {
      check_values(*doc, doc->root_index(), nlohmann::json::parse(text));
    } catch (const nlohmann::json::out_of_range&) {  // a number beyond double's range
    }
  }
  if (!error.empty() && json && error != "expected a JSON object or array" && error != "nesting deeper than 200 levels")
    std::abort();  // refused JSON
  return 0;
}
