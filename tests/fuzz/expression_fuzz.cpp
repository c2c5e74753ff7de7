// libFuzzer target: any text given to the expression compiler either compiles
// or fails with ExpressionError; compiled expressions evaluate on a record
// without crashing (record errors are MappingError).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "mapping/expression.hpp"

using namespace synchub::mapping;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Document* doc = [] {
    auto* d = new Document;
    const std::string refused = d->parse(
        R"({"a":1.5,"s":"上海 x","n":null,"b":true,"l":[1,{"x":"2"},[3]],"o":{"k":"v"},"t":"2024-03-10T02:30:00Z"})");
    if (!refused.empty()) std::abort();  // else every input would be tried on an empty record
    return d;
  }();
  static auto tables = [] {
    std::map<std::string, std::shared_ptr<Table>, std::less<>> t;
    auto table = std::make_shared<Table>();
    table->storage.push_back("A");
    table->insert("draft", Value::of_string(table->storage.back()));
    t.emplace("status", table);
    return t;
  }();
  std::string text(reinterpret_cast<const char*>(data), size);
  ExprPtr expr;
  try {
    expr = compile_expression(text, CompileEnv{&tables});
  } catch (const ExpressionError&) {
    return 0;
  }
  Arena arena;
  Scope scope{Value::of_node(0), nullptr, nullptr, 0};
  EvalContext ctx{*doc, arena, &scope, nullptr, 1710052200000000LL};
  try {
    expr->eval(ctx);
  } catch (const MappingError&) {
  }
  return 0;
}
