#include "connectors/rest/error_rules.hpp"

#include <algorithm>
#include <stdexcept>

#include "connectors/rest/fields.hpp"
#include "mapping/document.hpp"
#include "mapping/pattern.hpp"

namespace synchub::connectors::rest {

struct ErrorRules::Rule {
  std::string path;
  std::vector<std::string> values;         // matches one of these (text of the value)
  std::unique_ptr<mapping::Pattern> text;  // or this pattern; neither: any value there
  std::unique_ptr<mapping::Pattern> request;
  Meaning meaning = Meaning::Permanent;
  std::string message_path;
  std::string name;  // "MsgCode" for Result.ResponseStatus.MsgCode; "" for the one-code form ("error code")
};

namespace {

ErrorRules::Meaning meaning_of(const std::string& name) {
  using M = ErrorRules::Meaning;
  if (name == "ok") return M::Ok;
  if (name == "transient") return M::Transient;
  if (name == "relogin") return M::Relogin;
  if (name == "exists") return M::Exists;
  if (name == "done") return M::Done;
  return M::Permanent;
}

std::unique_ptr<mapping::Pattern> pattern(const config::Settings& s, const std::string& name) {
  const std::string text = s.str_or(name, "");
  if (text.empty()) return nullptr;
  try {
    return std::make_unique<mapping::Pattern>(text);
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(name + ": " + e.what());
  }
}

// A pattern RE2 cannot compile, said at `validate`.
[[nodiscard]] std::string pattern_problem(const std::string& text) {
  try {
    mapping::Pattern{text};
    return {};
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
}

}  // namespace

ErrorRules::ErrorRules() = default;
ErrorRules::~ErrorRules() = default;
ErrorRules::ErrorRules(ErrorRules&&) noexcept = default;
ErrorRules& ErrorRules::operator=(ErrorRules&&) noexcept = default;

ErrorRules ErrorRules::from(const config::Settings& s) {
  using field::in;
  namespace item = field::error_rule;
  ErrorRules out;
  if (const size_t n = s.count(field::errors::kSection); n > 0) {
    for (size_t i = 0; i < n; ++i) {
      const std::string at = std::string(field::errors::kSection) + "." + std::to_string(i);
      Rule rule;
      rule.path = s.str(in(at, item::kPath));
      rule.values = s.list(in(at, item::kEquals));
      rule.text = pattern(s, in(at, item::kMatches));
      rule.request = pattern(s, in(at, item::kRequest));
      rule.meaning = meaning_of(s.str(in(at, item::kMeans)));
      rule.message_path = s.str_or(in(at, item::kMessage), "");
      rule.name = rule.path.substr(rule.path.find_last_of("./") + 1);
      out.rules_.push_back(std::move(rule));
    }
    return out;
  }
  // One rule set: a code whose value says it all, in the order ok, transient,
  // relogin, exists, done; any other value is permanent.
  const std::string code = s.str_or(field::errors::kCode, "");
  if (code.empty()) return out;
  std::vector<std::string> ok = s.list(field::errors::kOk);
  if (ok.empty()) ok = {"0", "true"};
  const std::string message = s.str_or(field::errors::kMessage, "");
  auto add = [&](std::vector<std::string> values, Meaning meaning) {
    if (values.empty() && meaning != Meaning::Permanent) return;
    Rule rule;
    rule.path = code;
    rule.values = std::move(values);
    rule.meaning = meaning;
    rule.message_path = message;
    out.rules_.push_back(std::move(rule));
  };
  add(ok, Meaning::Ok);
  add(s.list(field::errors::kTransient), Meaning::Transient);
  add(s.list(field::errors::kRelogin), Meaning::Relogin);
  add(s.list(field::errors::kExists), Meaning::Exists);
  add(s.list(field::errors::kDone), Meaning::Done);
  add({}, Meaning::Permanent);
  return out;
}

std::optional<ErrorRules::Verdict> ErrorRules::judge(const std::string& request, const std::string& body) const {
  if (rules_.empty()) return std::nullopt;
  mapping::Document doc;
  if (!doc.parse(body).empty()) return std::nullopt;
  return judge(request, doc);
}

std::optional<ErrorRules::Verdict> ErrorRules::judge(const std::string& request, const mapping::Document& doc) const {
  for (const Rule& rule : rules_) {
    if (rule.request && !rule.request->found_in(request)) continue;
    const uint32_t at = doc.find(doc.root_index(), rule.path);
    if (at == mapping::Document::npos) continue;
    const std::string value = doc.scalar_text(at);
    if (!rule.values.empty() && std::find(rule.values.begin(), rule.values.end(), value) == rule.values.end()) continue;
    if (rule.text && !rule.text->found_in(value)) continue;
    Verdict verdict{rule.meaning, value, {}, rule.name};
    if (!rule.message_path.empty())
      if (uint32_t m = doc.find(doc.root_index(), rule.message_path); m != mapping::Document::npos)
        verdict.message = doc.scalar_text(m);
    return verdict;
  }
  return std::nullopt;
}

const char* meaning_name(ErrorRules::Meaning meaning) {
  switch (meaning) {
    case ErrorRules::Meaning::Ok: return "ok";
    case ErrorRules::Meaning::Transient: return "transient";
    case ErrorRules::Meaning::Relogin: return "relogin";
    case ErrorRules::Meaning::Exists: return "exists";
    case ErrorRules::Meaning::Done: return "done";
    case ErrorRules::Meaning::Permanent: return "permanent";
  }
  return "permanent";
}

std::vector<config::FieldSpec> ErrorRules::rule_fields() {
  using config::FieldType;
  return {
      {.name = field::error_rule::kPath.name(),
       .description = "Where the value is in the answer (dotted path or JSON pointer); a rule whose path is "
                      "absent does not match.",
       .required = true,
       .example = "Result.ResponseStatus.MsgCode"},
      {.name = field::error_rule::kEquals.name(),
       .type = FieldType::StringList,
       .description = "Values that match (as text: 0, true, \"20016\"); none: any value matches."},
      {.name = field::error_rule::kMatches.name(),
       .description = "A pattern (RE2) the value's text must contain.",
       .example = "已经被使用",
       .check = pattern_problem},
      {.name = field::error_rule::kRequest.name(),
       .description = "Only for calls whose \"METHOD path\" this pattern (RE2) finds: rules of one step.",
       .example = "Audit",
       .check = pattern_problem},
      {.name = field::error_rule::kMeans.name(),
       .type = FieldType::Enum,
       .description = "ok; transient (retry later); relogin (log in again, retry); exists (a create refused: the "
                      "record is there, look it up and adopt it); done (a write.then step done already); "
                      "permanent (dead letter).",
       .required = true,
       .options = {"ok", "transient", "relogin", "exists", "done", "permanent"}},
      {.name = field::error_rule::kMessage.name(),
       .description = "Where the error message is.",
       .example = "errorMessage"},
  };
}

}  // namespace synchub::connectors::rest
