// Load-time checks of `$out` paths in expressions (mapping/plan.hpp).
#include <regex>

#include "mapping/plan.hpp"

namespace synchub::mapping {

// `$out.x` reads the fields mapped before this one at its level (and `$out.x[*].y` a field of
// x's elements): a name that is none of them would read null (a sum of 0.00) in every record.
std::string out_reference_error(const std::string& text, const std::vector<FieldPlan>& before) {
  static const std::regex kOut(R"(\$out\.([A-Za-z_]\w*)(\[(?:\*|\d+)\])?(?:\.([A-Za-z_]\w*))?)");
  for (std::sregex_iterator m(text.begin(), text.end(), kOut), end; m != end; ++m) {
    auto named = [&](const std::vector<FieldPlan>& fields, const std::string& name) {
      for (const auto& f : fields)
        if (f.name == name) return &f;
      return static_cast<const FieldPlan*>(nullptr);
    };
    const FieldPlan* field = named(before, (*m)[1]);
    if (!field) {
      std::string names;
      for (const auto& f : before) names += (names.empty() ? "" : ", ") + f.name;
      return "$out." + (*m)[1].str() + " is no field mapped before this one" +
             (names.empty() ? " (none is)" : " (mapped before: " + names + ")");
    }
    const bool nested = field->each ? (*m)[2].matched : field->object && !(*m)[2].matched;
    if (nested && (*m)[3].matched && !named(field->fields, (*m)[3]) && !field->fields.empty())
      return "$out." + (*m)[1].str() + (*m)[2].str() + "." + (*m)[3].str() + ": " + (*m)[3].str() + " is no field of " +
             (*m)[1].str();
  }
  return {};
}

}  // namespace synchub::mapping
