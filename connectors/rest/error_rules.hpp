// What an API's answer means when the HTTP status says "200" but the body
// says otherwise: `errors:` in a rest connector. Either one rule set
// (`{code, ok, transient, relogin, exists, done, message}`) or an ordered
// list of rules, each matching a value in the answer against values or a
// pattern (optionally only for some calls) and naming what it means; the
// first rule that matches decides, none matching means success.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config/spec.hpp"

namespace synchub::mapping {
class Document;
class Pattern;
}  // namespace synchub::mapping

namespace synchub::connectors::rest {

class ErrorRules {
 public:
  enum class Meaning { Ok, Transient, Relogin, Exists, Done, Permanent };
  struct Verdict {
    Meaning meaning = Meaning::Ok;
    std::string value;    // the value the rule matched ("20016", "false")
    std::string message;  // from the rule's message path, when it has one
    std::string name;     // what the value is, for messages: the last name of a rule's path ("MsgCode")
  };

  // From a connector's settings (`errors` in either form); throws
  // std::invalid_argument naming the rule when a pattern does not compile.
  static ErrorRules from(const config::Settings& settings);
  ErrorRules();
  ~ErrorRules();
  ErrorRules(ErrorRules&&) noexcept;
  ErrorRules& operator=(ErrorRules&&) noexcept;

  bool empty() const { return rules_.empty(); }
  // The meaning of an answer `body` to the call "METHOD path"; nullopt when no
  // rule matches (or the body is no JSON): the status code alone decides.
  std::optional<Verdict> judge(const std::string& request, const std::string& body) const;
  // The same for an answer already parsed.
  std::optional<Verdict> judge(const std::string& request, const mapping::Document& doc) const;

  // The rule form's field specs, for the connector spec.
  static std::vector<config::FieldSpec> rule_fields();

 private:
  struct Rule;
  std::vector<Rule> rules_;
};

const char* meaning_name(ErrorRules::Meaning meaning);

}  // namespace synchub::connectors::rest
