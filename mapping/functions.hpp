// Built-in functions of the expression language (internal to mapping/).
#pragma once

#include <any>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mapping/expression.hpp"

namespace synchub::mapping {

struct CallArgs {
  const Value* values;
  size_t size;
  const std::any& state;  // what prepare() made of literal arguments
  const Value& operator[](size_t i) const { return values[i]; }
};

// Arguments not evaluated yet, for a function's number path.
struct ExprArgs {
  const ExprPtr* exprs;
  size_t size;
  const std::any& state;
};

struct FunctionSpec {
  std::string_view name;
  int min_args;
  int max_args;  // -1: any number
  Value (*call)(EvalContext& ctx, const CallArgs& args);
  // Checks literal arguments when the mapping is loaded (regexes, patterns,
  // time zones, rounding modes) and precompiles them. literals[i] is set when
  // argument i is a string literal. Throws ExpressionError(arg index, message)
  // with the column filled by the caller.
  std::any (*prepare)(const std::vector<std::optional<std::string>>& literals) = nullptr;
  // For functions of a number that give a number (round, floor, ceil, abs):
  // `call`'s result as Expr::eval_number gives it, with the first argument
  // read by eval_number. When set, calls go through it alone.
  bool (*number)(EvalContext& ctx, const ExprArgs& args, Decimal& number, Value& other) = nullptr;
};

struct ArgumentError : std::runtime_error {
  ArgumentError(size_t index, const std::string& message) : std::runtime_error(message), index(index) {}
  size_t index;
};

const FunctionSpec* find_function(std::string_view name);
std::vector<std::string> function_names();

}  // namespace synchub::mapping
