// Load-time checks of `$out` paths in expressions (mapping/plan.hpp).
#include <cctype>

#include "mapping/plan.hpp"

namespace synchub::mapping {

namespace {

const FieldPlan* named(const std::vector<FieldPlan>& fields, const std::string& name) {
  for (const auto& f : fields)
    if (f.name == name) return &f;
  return nullptr;
}

bool name_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
}

// The problem with the `$out` path starting at `at` (just after "$out."), "" when none is known;
// `end` is set past what was read. The path is walked through objects (`fields:`) and mapped
// lists (`each:`, after an index) as deep as it goes; past a value of another kind (an
// expression's own object) nothing is known.
[[nodiscard]] std::string check_path(const std::string& text, size_t at, const std::vector<FieldPlan>& before,
                                     size_t& end) {
  const std::vector<FieldPlan>* level = &before;
  std::string shown = "$out", parent;
  size_t i = at;
  for (;;) {
    size_t j = i;
    while (j < text.size() && name_char(text[j])) ++j;
    end = j;
    if (j == i) return {};
    const std::string name = text.substr(i, j - i);
    const FieldPlan* field = named(*level, name);
    if (!field) {
      if (!parent.empty()) return shown + "." + name + ": " + name + " is no field of " + parent;
      std::string names;
      for (const auto& f : before) names += (names.empty() ? "" : ", ") + f.name;
      return "$out." + name + " is no field mapped before this one" +
             (names.empty() ? " (none is)" : " (mapped before: " + names + ")");
    }
    shown += "." + name;
    i = j;
    bool indexed = false;
    if (i < text.size() && text[i] == '[') {
      const size_t close = text.find(']', i);
      if (close == std::string::npos) return {};
      shown += text.substr(i, close - i + 1);
      i = close + 1;
      indexed = true;
    }
    end = i;
    if (i >= text.size() || text[i] != '.') return {};
    const bool structure = field->each ? indexed : field->object && !indexed;
    if (!structure || field->fields.empty()) return {};
    level = &field->fields;
    parent = name;
    ++i;
  }
}

}  // namespace

// `$out.x` reads the fields mapped before this one at its level, `$out.x[*].y` a field of x's
// elements, `$out.data.Model.FBillNo` a field of nested objects: a name that is none of them
// would read null (a sum of 0.00) in every record.
std::string out_reference_error(const std::string& text, const std::vector<FieldPlan>& before) {
  for (size_t at = text.find("$out."); at != std::string::npos; at = text.find("$out.", at)) {
    size_t end = at + 5;
    if (std::string why = check_path(text, at + 5, before, end); !why.empty()) return why;
    at = std::max(end, at + 5);
  }
  return {};
}

}  // namespace synchub::mapping
