#include "mapping/expression.hpp"

#include <any>

#include "config/diagnostics.hpp"
#include "mapping/datetime.hpp"
#include "mapping/functions.hpp"
#include "mapping/record.hpp"

namespace synchub::mapping {

// ---------------------------------------------------------------- helpers

const char* kind_name(ValueKind kind) {
  switch (kind) {
    case ValueKind::Null: return "null";
    case ValueKind::Bool: return "bool";
    case ValueKind::Number: return "number";
    case ValueKind::String: return "string";
    case ValueKind::Date: return "date";
    case ValueKind::DateTime: return "datetime";
    case ValueKind::Node: return "object";
    case ValueKind::List: return "array";
    case ValueKind::Object: return "object";
  }
  return "value";
}

Value node_value(const Document& doc, uint32_t index) {
  const Node& n = doc.at(index);
  switch (n.kind) {
    case JsonKind::Null: return Value::null();
    case JsonKind::Bool: return Value::of_bool(n.boolean);
    case JsonKind::String: return Value::of_string(n.text);
    case JsonKind::Number: {
      auto d = Decimal::parse(n.text);
      if (!d) throw MappingError("number " + std::string(n.text.substr(0, 60)) + " has more than 38 digits");
      return Value::of_number(*d, n.text);
    }
    case JsonKind::Object:
    case JsonKind::Array: return Value::of_node(index);
  }
  return Value::null();
}

std::string describe(const Document& doc, const Value& v) {
  std::string out;
  switch (v.kind) {
    case ValueKind::Null: return "null";
    case ValueKind::Bool: return v.boolean ? "true" : "false";
    case ValueKind::Number: return v.text.empty() ? v.number.str() : std::string(v.text);
    case ValueKind::String: {
      append_json_string(out, v.text.size() > 60 ? v.text.substr(0, 60) : v.text);
      if (v.text.size() > 60) out.insert(out.size() - 1, "...");
      return out;
    }
    case ValueKind::Date: format_date(out, v.time, {}); return out;
    case ValueKind::DateTime: format_datetime(out, {v.time, v.offset_minutes}, {}); return out;
    case ValueKind::Node: return doc.at(v.node).kind == JsonKind::Array ? "an array" : "an object";
    case ValueKind::List: return "an array";
    case ValueKind::Object: return "an object";
  }
  return out;
}

bool truthy(const Document& doc, const Value& v, const char* what) {
  if (v.kind == ValueKind::Bool) return v.boolean;
  if (v.kind == ValueKind::Null) return false;
  throw MappingError(std::string(what) + ": expected true or false, got " + describe(doc, v));
}

std::optional<Decimal> to_decimal(const Value& v) {
  if (v.kind == ValueKind::Number) return v.number;
  if (v.kind == ValueKind::String) {
    std::string_view t = v.text;
    while (!t.empty() && t.front() == ' ') t.remove_prefix(1);
    while (!t.empty() && t.back() == ' ') t.remove_suffix(1);
    return Decimal::parse(t);
  }
  return std::nullopt;
}

std::string_view to_text(EvalContext& ctx, const Value& v) {
  std::string s;
  switch (v.kind) {
    case ValueKind::String: return v.text;
    case ValueKind::Null: return {};
    case ValueKind::Bool: return v.boolean ? "true" : "false";
    case ValueKind::Number:
      if (!v.text.empty()) return v.text;
      v.number.append_to(s);
      break;
    case ValueKind::Date: format_date(s, v.time, {}); break;
    case ValueKind::DateTime: format_datetime(s, {v.time, v.offset_minutes}, {}); break;
    default: throw MappingError("expected text, got " + describe(ctx.doc, v));
  }
  return ctx.arena.copy(s);
}

namespace {

int compare_values(const Document& doc, const Value& a, const Value& b, bool& comparable) {
  comparable = true;
  if (a.kind == ValueKind::Number && b.kind == ValueKind::Number) return a.number.compare(b.number);
  if (a.kind != b.kind) {
    comparable = false;
    return 0;
  }
  switch (a.kind) {
    case ValueKind::Null: return 0;
    case ValueKind::Bool: return static_cast<int>(a.boolean) - static_cast<int>(b.boolean);
    case ValueKind::String: return a.text.compare(b.text) < 0 ? -1 : a.text.compare(b.text) > 0;
    case ValueKind::Date:
    case ValueKind::DateTime: return a.time < b.time ? -1 : a.time > b.time;
    default: comparable = false; return 0;
  }
  (void)doc;
}

}  // namespace

bool values_equal(const Document& doc, const Value& a, const Value& b) {
  bool comparable;
  int c = compare_values(doc, a, b, comparable);
  return comparable && c == 0;
}

namespace {

// ---------------------------------------------------------------- nodes

class Literal final : public Expr {
 public:
  Literal(int column, Value v, std::string storage = {}) : Expr(column), storage_(std::move(storage)), value_(v) {
    if (value_.kind == ValueKind::String || (value_.kind == ValueKind::Number && !value_.text.empty()))
      value_.text = storage_;
  }
  Value eval(EvalContext&) const override { return value_; }
  const std::string& storage() const { return storage_; }
  bool is_string() const { return value_.kind == ValueKind::String; }

 private:
  std::string storage_;
  Value value_;
};

struct Segment {
  Segment(int kind, std::string key, uint32_t index)
      : kind(static_cast<Kind>(kind)), key(std::move(key)), index(index), signature(key_signature(this->key)) {}
  enum Kind { Key, Index, Wildcard } kind;
  std::string key;
  uint32_t index = 0;
  uint32_t signature = 0;  // key_signature(key)
};

enum class Base { This, Parent, Root, Out, Value };

Value member_of(EvalContext& ctx, const Value& v, const Segment& s) {
  if (v.kind == ValueKind::Node) {
    if (s.kind == Segment::Key) {
      uint32_t m = ctx.doc.member(v.node, s.key, s.signature);
      return m == Document::npos ? Value::null() : node_value(ctx.doc, m);
    }
    uint32_t e = ctx.doc.element(v.node, s.index);
    return e == Document::npos ? Value::null() : node_value(ctx.doc, e);
  }
  if (v.kind == ValueKind::Object && s.kind == Segment::Key) {
    for (uint32_t i = 0; i < v.size; ++i)
      if (v.members[i].name == s.key) return v.members[i].value;
    return Value::null();
  }
  if (v.kind == ValueKind::List && s.kind == Segment::Index) return s.index < v.size ? v.items[s.index] : Value::null();
  return Value::null();
}

Value navigate(EvalContext& ctx, const Value& start, const std::vector<Segment>& path, size_t from);

// `[*]`: the rest of the path applied to every element; nested wildcards flatten.
Value spread(EvalContext& ctx, const Value& v, const std::vector<Segment>& path, size_t from) {
  uint32_t n = 0;
  if (v.kind == ValueKind::Node && ctx.doc.at(v.node).kind == JsonKind::Array)
    n = ctx.doc.at(v.node).count;
  else if (v.kind == ValueKind::List)
    n = v.size;
  else
    return Value::of_list(nullptr, 0);
  bool nested = false;
  for (size_t i = from; i < path.size(); ++i) nested = nested || path[i].kind == Segment::Wildcard;
  Value* items = ctx.arena.array<Value>(n);
  uint32_t size = 0;
  uint32_t child = v.kind == ValueKind::Node ? Document::first_child(v.node) : 0;
  for (uint32_t i = 0; i < n; ++i) {
    Value element;
    if (v.kind == ValueKind::Node) {
      element = node_value(ctx.doc, child);
      child = ctx.doc.at(child).next;
    } else {
      element = v.items[i];
    }
    Value r = navigate(ctx, element, path, from);
    if (nested && r.kind == ValueKind::List) {
      // flatten: grow into a fresh arena array (rare: wildcards inside wildcards)
      Value* grown = ctx.arena.array<Value>(size + r.size + (n - i - 1));
      std::copy(items, items + size, grown);
      std::copy(r.items, r.items + r.size, grown + size);
      items = grown;
      size += r.size;
    } else {
      items[size++] = r;
    }
  }
  return Value::of_list(items, size);
}

Value navigate(EvalContext& ctx, const Value& start, const std::vector<Segment>& path, size_t from) {
  if (start.kind == ValueKind::Node) {
    // Walk the document by node index; build a Value only at the end.
    const Document& doc = ctx.doc;
    uint32_t index = start.node;
    for (size_t i = from; i < path.size(); ++i) {
      const Segment& s = path[i];
      if (s.kind == Segment::Wildcard) return spread(ctx, Value::of_node(index), path, i + 1);
      index = s.kind == Segment::Key ? doc.member(index, s.key, s.signature) : doc.element(index, s.index);
      if (index == Document::npos) return Value::null();
      JsonKind kind = doc.at(index).kind;
      if (kind != JsonKind::Object && kind != JsonKind::Array)
        return i + 1 == path.size() ? node_value(doc, index) : Value::null();
    }
    return Value::of_node(index);
  }
  Value v = start;
  for (size_t i = from; i < path.size(); ++i) {
    if (path[i].kind == Segment::Wildcard) return spread(ctx, v, path, i + 1);
    v = member_of(ctx, v, path[i]);
    if (v.is_null()) return v;
    if (v.kind == ValueKind::Node) return navigate(ctx, v, path, i + 1);
  }
  return v;
}

class PathExpr final : public Expr {
 public:
  PathExpr(int column, Base base, ExprPtr value, std::vector<Segment> segments, std::string text)
      : Expr(column), base_(base), value_(std::move(value)), segments_(std::move(segments)), text_(std::move(text)) {}

  Value eval(EvalContext& ctx) const override {
    Value start;
    const Scope* scope = ctx.scope;
    switch (base_) {
      case Base::This: start = scope->record; break;
      case Base::Parent:
        if (!scope->parent) return Value::null();
        start = scope->parent->record;
        break;
      case Base::Root:
        while (scope->parent) scope = scope->parent;
        start = scope->record;
        break;
      case Base::Out: start = Value::of_object(scope->out, scope->out_size); break;
      case Base::Value: start = value_->eval(ctx); break;
    }
    return navigate(ctx, start, segments_, 0);
  }
  std::string path_text() const override { return base_ == Base::This ? text_ : std::string(); }

 private:
  Base base_;
  ExprPtr value_;
  std::vector<Segment> segments_;
  std::string text_;
};

class ListExpr final : public Expr {
 public:
  ListExpr(int column, std::vector<ExprPtr> items) : Expr(column), items_(std::move(items)) {}
  Value eval(EvalContext& ctx) const override {
    Value* out = ctx.arena.array<Value>(items_.size());
    for (size_t i = 0; i < items_.size(); ++i) out[i] = items_[i]->eval(ctx);
    return Value::of_list(out, static_cast<uint32_t>(items_.size()));
  }

 private:
  std::vector<ExprPtr> items_;
};

Decimal number_operand(EvalContext& ctx, const Value& v, const char* op) {
  if (auto d = to_decimal(v)) return *d;
  throw MappingError(std::string("'") + op + "' expects numbers, got " + describe(ctx.doc, v));
}

enum class Op { And, Or, Coalesce, Eq, Ne, Lt, Le, Gt, Ge, Add, Sub, Mul, Div, Mod };

Op op_code(const std::string& op) {
  static const std::pair<const char*, Op> kOps[] = {
      {"and", Op::And}, {"or", Op::Or}, {"??", Op::Coalesce}, {"==", Op::Eq}, {"!=", Op::Ne},
      {"<", Op::Lt},    {"<=", Op::Le}, {">", Op::Gt},        {">=", Op::Ge}, {"+", Op::Add},
      {"-", Op::Sub},   {"*", Op::Mul}, {"/", Op::Div},       {"%", Op::Mod}};
  for (const auto& [text, code] : kOps)
    if (op == text) return code;
  throw std::logic_error("unknown operator " + op);
}

class Binary final : public Expr {
 public:
  Binary(int column, std::string op, ExprPtr a, ExprPtr b)
      : Expr(column), text_(std::move(op)), op_(op_code(text_)), a_(std::move(a)), b_(std::move(b)) {}

  Value eval(EvalContext& ctx) const override {
    switch (op_) {
      case Op::And:
        if (!truthy(ctx.doc, a_->eval(ctx), "'and'")) return Value::of_bool(false);
        return Value::of_bool(truthy(ctx.doc, b_->eval(ctx), "'and'"));
      case Op::Or:
        if (truthy(ctx.doc, a_->eval(ctx), "'or'")) return Value::of_bool(true);
        return Value::of_bool(truthy(ctx.doc, b_->eval(ctx), "'or'"));
      case Op::Coalesce: {
        Value a = a_->eval(ctx);
        return a.is_null() ? b_->eval(ctx) : a;
      }
      default: break;
    }
    Value a = a_->eval(ctx), b = b_->eval(ctx);
    switch (op_) {
      case Op::Eq: return Value::of_bool(values_equal(ctx.doc, a, b));
      case Op::Ne: return Value::of_bool(!values_equal(ctx.doc, a, b));
      case Op::Lt:
      case Op::Le:
      case Op::Gt:
      case Op::Ge: {
        if (a.is_null() || b.is_null()) return Value::null();
        bool comparable;
        int c = compare_values(ctx.doc, a, b, comparable);
        if (!comparable) throw MappingError("cannot compare " + describe(ctx.doc, a) + " with " + describe(ctx.doc, b));
        return Value::of_bool(op_ == Op::Lt ? c < 0 : op_ == Op::Le ? c <= 0 : op_ == Op::Gt ? c > 0 : c >= 0);
      }
      default: break;
    }
    if (a.is_null() || b.is_null()) return Value::null();  // arithmetic with null is null
    if (op_ == Op::Add && a.kind == ValueKind::String && b.kind == ValueKind::String) {
      std::string s(a.text);
      s += b.text;
      return Value::of_string(ctx.arena.copy(s));
    }
    Decimal x = number_operand(ctx, a, text_.c_str()), y = number_operand(ctx, b, text_.c_str());
    try {
      switch (op_) {
        case Op::Add: return Value::of_number(x + y);
        case Op::Sub: return Value::of_number(x - y);
        case Op::Mul: return Value::of_number(x * y);
        case Op::Div: return Value::of_number(x / y);
        default: return Value::of_number(x % y);
      }
    } catch (const DecimalError& e) {
      throw MappingError(describe(ctx.doc, a) + " " + text_ + " " + describe(ctx.doc, b) + ": " + e.what());
    }
  }

 private:
  std::string text_;
  Op op_;
  ExprPtr a_, b_;
};

class Unary final : public Expr {
 public:
  Unary(int column, char op, ExprPtr a) : Expr(column), op_(op), a_(std::move(a)) {}
  Value eval(EvalContext& ctx) const override {
    Value a = a_->eval(ctx);
    if (op_ == '!') return Value::of_bool(!truthy(ctx.doc, a, "'not'"));
    if (a.is_null()) return a;
    return Value::of_number(-number_operand(ctx, a, "-"));
  }

 private:
  char op_;
  ExprPtr a_;
};

class Conditional final : public Expr {
 public:
  Conditional(int column, ExprPtr c, ExprPtr a, ExprPtr b)
      : Expr(column), c_(std::move(c)), a_(std::move(a)), b_(std::move(b)) {}
  Value eval(EvalContext& ctx) const override {
    return truthy(ctx.doc, c_->eval(ctx), "condition") ? a_->eval(ctx) : (b_ ? b_->eval(ctx) : Value::null());
  }

 private:
  ExprPtr c_, a_, b_;
};

class Coalesce final : public Expr {
 public:
  Coalesce(int column, std::vector<ExprPtr> args) : Expr(column), args_(std::move(args)) {}
  Value eval(EvalContext& ctx) const override {
    for (const auto& a : args_) {
      Value v = a->eval(ctx);
      if (!v.is_null()) return v;
    }
    return Value::null();
  }

 private:
  std::vector<ExprPtr> args_;
};

class TableLookup final : public Expr {
 public:
  TableLookup(int column, const Table* table, ExprPtr key, ExprPtr fallback)
      : Expr(column), table_(table), key_(std::move(key)), fallback_(std::move(fallback)) {}
  Value eval(EvalContext& ctx) const override {
    Value k = key_->eval(ctx);
    if (!k.is_null()) {
      if (const Value* v = table_->find(to_text(ctx, k))) return *v;
    }
    return fallback_ ? fallback_->eval(ctx) : Value::null();
  }

 private:
  const Table* table_;
  ExprPtr key_, fallback_;
};

class XrefLookup final : public Expr {
 public:
  XrefLookup(int column, std::string entity, std::string from, std::string to, ExprPtr id)
      : Expr(column), entity_(std::move(entity)), from_(std::move(from)), to_(std::move(to)), id_(std::move(id)) {}
  Value eval(EvalContext& ctx) const override {
    Value id = id_->eval(ctx);
    if (id.is_null()) return id;
    if (!ctx.xref) throw MappingError("no cross-reference store for xref(" + entity_ + ")");
    auto found = ctx.xref->find(entity_, from_, to_, std::string(to_text(ctx, id)));
    return found ? Value::of_string(ctx.arena.copy(*found)) : Value::null();
  }

 private:
  std::string entity_, from_, to_;
  ExprPtr id_;
};

class Call final : public Expr {
 public:
  Call(int column, const FunctionSpec* fn, std::vector<ExprPtr> args, std::any state)
      : Expr(column), fn_(fn), args_(std::move(args)), state_(std::move(state)) {}
  Value eval(EvalContext& ctx) const override {
    Value* values = ctx.arena.array<Value>(args_.size());
    for (size_t i = 0; i < args_.size(); ++i) values[i] = args_[i]->eval(ctx);
    try {
      return fn_->call(ctx, CallArgs{values, args_.size(), state_});
    } catch (const DecimalError& e) {
      throw MappingError(std::string(fn_->name) + ": " + e.what());
    }
  }

 private:
  const FunctionSpec* fn_;
  std::vector<ExprPtr> args_;
  std::any state_;
};

// ---------------------------------------------------------------- lexer

enum class Tok { End, Number, String, Ident, Variable, Op };

struct Token {
  Tok kind = Tok::End;
  std::string text;
  int column = 1;
};

bool ident_start(unsigned char c) {
  return std::isalpha(c) || c == '_' || c >= 0x80;
}
bool ident_char(unsigned char c) {
  return std::isalnum(c) || c == '_' || c >= 0x80;
}

std::vector<Token> lex(std::string_view s) {
  std::vector<Token> out;
  size_t i = 0;
  while (true) {
    while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
    Token t;
    t.column = static_cast<int>(i) + 1;
    if (i >= s.size()) {
      out.push_back(t);
      return out;
    }
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (std::isdigit(c)) {
      size_t start = i;
      while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i;
      if (i + 1 < s.size() && s[i] == '.' && std::isdigit(static_cast<unsigned char>(s[i + 1]))) {
        ++i;
        while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i;
      }
      t.kind = Tok::Number;
      t.text = std::string(s.substr(start, i - start));
    } else if (c == '"' || c == '\'') {
      char quote = static_cast<char>(c);
      ++i;
      while (true) {
        if (i >= s.size()) throw ExpressionError(t.column, "unterminated string");
        char ch = s[i++];
        if (ch == quote) break;
        if (ch == '\\') {
          if (i >= s.size()) throw ExpressionError(t.column, "unterminated string");
          char e = s[i++];
          switch (e) {
            case 'n': t.text += '\n'; break;
            case 't': t.text += '\t'; break;
            case 'r': t.text += '\r'; break;
            case '\\':
            case '"':
            case '\'': t.text += e; break;
            default: throw ExpressionError(static_cast<int>(i) - 1, std::string("unknown escape '\\") + e + "'");
          }
        } else {
          t.text += ch;
        }
      }
      t.kind = Tok::String;
    } else if (ident_start(c) || c == '$') {
      size_t start = i++;
      while (i < s.size() && ident_char(static_cast<unsigned char>(s[i]))) ++i;
      t.kind = c == '$' ? Tok::Variable : Tok::Ident;
      t.text = std::string(s.substr(start, i - start));
    } else {
      static const char* kOps[] = {"??", "==", "!=", "<=", ">=", "&&", "||", "+", "-", "*", "/", "%",
                                   "<",  ">",  "?",  ":",  "(",  ")",  "[",  "]", ",", ".", "!"};
      bool matched = false;
      for (const char* op : kOps) {
        std::string_view o(op);
        if (s.substr(i, o.size()) == o) {
          t.kind = Tok::Op;
          t.text = std::string(o);
          i += o.size();
          matched = true;
          break;
        }
      }
      if (!matched) throw ExpressionError(t.column, std::string("unexpected character '") + s[i] + "'");
      if (t.text == "&&") t.text = "and";
      if (t.text == "||") t.text = "or";
      if (t.text == "!") t.text = "not";
    }
    out.push_back(std::move(t));
  }
}

// ---------------------------------------------------------------- parser

class Parser {
 public:
  Parser(std::string_view text, const CompileEnv& env) : text_(text), tokens_(lex(text)), env_(env) {}

  ExprPtr parse_all() {
    ExprPtr e = expression();
    if (peek().kind != Tok::End) fail(peek(), "unexpected '" + peek().text + "' after the expression");
    return e;
  }

  ExprPtr parse_path_only() {
    const Token& t = peek();
    ExprPtr e = primary();
    e = postfix(std::move(e), t.column);
    if (peek().kind != Tok::End) fail(peek(), "a path expected here (use expr: for expressions)");
    return e;
  }

 private:
  const Token& peek(size_t ahead = 0) const { return tokens_[std::min(pos_ + ahead, tokens_.size() - 1)]; }
  const Token& take() { return tokens_[std::min(pos_++, tokens_.size() - 1)]; }
  bool is_op(const char* op, size_t ahead = 0) const {
    const Token& t = peek(ahead);
    return t.kind == Tok::Op && t.text == op;
  }
  bool is_word(const char* w) const { return peek().kind == Tok::Ident && peek().text == w; }
  [[noreturn]] void fail(const Token& t, const std::string& message) const {
    throw ExpressionError(
        t.column, t.kind == Tok::End && message.rfind("unexpected", 0) == 0 ? "unexpected end of expression" : message);
  }
  void expect(const char* op) {
    if (!is_op(op)) fail(peek(), std::string("expected '") + op + "'" + found());
    take();
  }
  std::string found() const {
    return peek().kind == Tok::End ? " at the end of the expression" : ", found '" + peek().text + "'";
  }

  // Bounds the recursion: expressions come from files, and a deep one must
  // be an error, not a stack overflow.
  struct Nesting {
    Nesting(Parser& p, const Token& at) : p(p) {
      if (++p.depth_ > 100) p.fail(at, "expression nested too deeply");
    }
    ~Nesting() { --p.depth_; }
    Parser& p;
  };

  ExprPtr expression() {
    Nesting guard(*this, peek());
    ExprPtr c = coalesce();
    if (is_op("?")) {
      int column = take().column;
      ExprPtr a = expression();
      expect(":");
      ExprPtr b = expression();
      return std::make_unique<Conditional>(column, std::move(c), std::move(a), std::move(b));
    }
    return c;
  }
  ExprPtr coalesce() {
    ExprPtr a = logical_or();
    while (is_op("??")) {
      int column = take().column;
      a = std::make_unique<Binary>(column, "??", std::move(a), logical_or());
    }
    return a;
  }
  ExprPtr logical_or() {
    ExprPtr a = logical_and();
    while (is_word("or") || is_op("or")) {
      int column = take().column;
      a = std::make_unique<Binary>(column, "or", std::move(a), logical_and());
    }
    return a;
  }
  ExprPtr logical_and() {
    ExprPtr a = logical_not();
    while (is_word("and") || is_op("and")) {
      int column = take().column;
      a = std::make_unique<Binary>(column, "and", std::move(a), logical_not());
    }
    return a;
  }
  ExprPtr logical_not() {
    if (is_word("not") || is_op("not")) {
      Nesting guard(*this, peek());
      int column = take().column;
      return std::make_unique<Unary>(column, '!', logical_not());
    }
    return comparison();
  }
  ExprPtr comparison() {
    ExprPtr a = additive();
    for (const char* op : {"==", "!=", "<=", ">=", "<", ">"}) {
      if (is_op(op)) {
        int column = take().column;
        return std::make_unique<Binary>(column, op, std::move(a), additive());
      }
    }
    return a;
  }
  ExprPtr additive() {
    ExprPtr a = multiplicative();
    while (is_op("+") || is_op("-")) {
      const Token& t = take();
      a = std::make_unique<Binary>(t.column, t.text, std::move(a), multiplicative());
    }
    return a;
  }
  ExprPtr multiplicative() {
    ExprPtr a = unary();
    while (is_op("*") || is_op("/") || is_op("%")) {
      const Token& t = take();
      a = std::make_unique<Binary>(t.column, t.text, std::move(a), unary());
    }
    return a;
  }
  ExprPtr unary() {
    if (is_op("-")) {
      int column = take().column;
      if (peek().kind == Tok::Number) {  // negative literal
        const Token& t = take();
        auto d = Decimal::parse(t.text);
        if (!d) fail(t, "number " + t.text + " has more than 38 digits");
        return postfix(std::make_unique<Literal>(column, Value::of_number(-*d)), column);
      }
      Nesting guard(*this, peek());
      return std::make_unique<Unary>(column, '-', unary());
    }
    const Token& start = peek();
    return postfix(primary(), start.column);
  }

  std::vector<ExprPtr> call_args() {
    std::vector<ExprPtr> args;
    expect("(");
    if (!is_op(")")) {
      while (true) {
        args.push_back(expression());
        if (is_op(",")) {
          take();
          continue;
        }
        break;
      }
    }
    expect(")");
    return args;
  }

  ExprPtr primary() {
    const Token& t = peek();
    switch (t.kind) {
      case Tok::Number: {
        take();
        auto d = Decimal::parse(t.text);
        if (!d) fail(t, "number " + t.text + " has more than 38 digits");
        return std::make_unique<Literal>(t.column, Value::of_number(*d));
      }
      case Tok::String: take(); return std::make_unique<Literal>(t.column, Value::of_string({}), t.text);
      case Tok::Variable: {
        take();
        Base base;
        if (t.text == "$this")
          base = Base::This;
        else if (t.text == "$parent")
          base = Base::Parent;
        else if (t.text == "$root")
          base = Base::Root;
        else if (t.text == "$out")
          base = Base::Out;
        else
          fail(t, "unknown variable '" + t.text + "' (expected $this, $parent, $root or $out)");
        return std::make_unique<PathExpr>(t.column, base, nullptr, std::vector<Segment>{}, t.text);
      }
      case Tok::Ident: {
        if (t.text == "true" || t.text == "false") {
          take();
          return std::make_unique<Literal>(t.column, Value::of_bool(t.text == "true"));
        }
        if (t.text == "null") {
          take();
          return std::make_unique<Literal>(t.column, Value::null());
        }
        if (is_op("(", 1)) return call();
        take();
        std::vector<Segment> segments{{Segment::Key, t.text, 0}};
        return std::make_unique<PathExpr>(t.column, Base::This, nullptr, std::move(segments), t.text);
      }
      case Tok::Op:
        if (t.text == "(") {
          take();
          ExprPtr e = expression();
          expect(")");
          return e;
        }
        if (t.text == "[") {
          take();
          std::vector<ExprPtr> items;
          if (!is_op("]")) {
            while (true) {
              items.push_back(expression());
              if (!is_op(",")) break;
              take();
            }
          }
          expect("]");
          return std::make_unique<ListExpr>(t.column, std::move(items));
        }
        fail(t, "unexpected '" + t.text + "'");
      case Tok::End: fail(t, "unexpected end of expression");
    }
    fail(t, "unexpected token");
  }

  // Path segments after a primary: .name  [0]  [*]  ["key"]
  ExprPtr postfix(ExprPtr base, int column) {
    std::vector<Segment> segments;
    std::string text = base->path_text();
    while (is_op(".") || is_op("[")) {
      if (take().text == ".") {
        const Token& name = take();
        if (name.kind != Tok::Ident) fail(name, "expected a field name after '.'");
        segments.push_back({Segment::Key, name.text, 0});
        text += "." + name.text;
        continue;
      }
      const Token& inside = take();
      if (inside.kind == Tok::Op && inside.text == "*") {
        segments.push_back({Segment::Wildcard, {}, 0});
        text += "[*]";
      } else if (inside.kind == Tok::Number && inside.text.find('.') == std::string::npos) {
        if (inside.text.size() > 9) fail(inside, "index " + inside.text + " is too large");
        segments.push_back({Segment::Index, {}, static_cast<uint32_t>(std::stoul(inside.text))});
        text += "[" + inside.text + "]";
      } else if (inside.kind == Tok::String) {
        segments.push_back({Segment::Key, inside.text, 0});
        text += "[\"" + inside.text + "\"]";
      } else {
        fail(inside, "expected an index, * or a quoted key inside [ ]");
      }
      expect("]");
    }
    if (segments.empty()) return base;
    auto* path = dynamic_cast<PathExpr*>(base.get());
    if (path && !base->path_text().empty()) {
      // extend a plain path: customer.id
      return extend(std::move(base), std::move(segments), text, column);
    }
    return std::make_unique<PathExpr>(column, Base::Value, std::move(base), std::move(segments), std::string());
  }

  ExprPtr extend(ExprPtr base, std::vector<Segment> more, const std::string& text, int column) {
    // The base is a one-segment path relative to the current record, or a variable.
    std::string base_text = base->path_text();
    if (base_text.rfind('$', 0) == 0) {
      Base b = base_text == "$this"     ? Base::This
               : base_text == "$parent" ? Base::Parent
               : base_text == "$root"   ? Base::Root
                                        : Base::Out;
      return std::make_unique<PathExpr>(column, b, nullptr, std::move(more), text);
    }
    std::vector<Segment> all{{Segment::Key, base_text, 0}};
    for (auto& s : more) all.push_back(std::move(s));
    return std::make_unique<PathExpr>(column, Base::This, nullptr, std::move(all), text);
  }

  ExprPtr call() {
    const Token name = take();
    if (name.text == "if") {
      int column = peek().column;
      auto args = call_args();
      if (args.size() != 3)
        fail(name, "if() takes 3 arguments (condition, then, else), got " + std::to_string(args.size()));
      (void)column;
      return std::make_unique<Conditional>(name.column, std::move(args[0]), std::move(args[1]), std::move(args[2]));
    }
    if (name.text == "coalesce") {
      auto args = call_args();
      if (args.empty()) fail(name, "coalesce() needs at least 1 argument");
      return std::make_unique<Coalesce>(name.column, std::move(args));
    }
    if (name.text == "lookup") return lookup(name);
    if (name.text == "xref") return xref(name);
    const FunctionSpec* fn = find_function(name.text);
    if (!fn) {
      auto names = function_names();
      for (const char* special : {"if", "coalesce", "lookup", "xref"}) names.emplace_back(special);
      fail(name, "unknown function '" + name.text + "'; " + config::suggest(name.text, names));
    }
    std::vector<int> columns;
    size_t first_token = pos_ + 1;
    auto args = call_args();
    int n = static_cast<int>(args.size());
    if (n < fn->min_args || (fn->max_args >= 0 && n > fn->max_args)) {
      std::string expected = fn->min_args == fn->max_args ? std::to_string(fn->min_args)
                             : fn->max_args < 0           ? "at least " + std::to_string(fn->min_args)
                                                : std::to_string(fn->min_args) + " to " + std::to_string(fn->max_args);
      fail(name, name.text + "() takes " + expected + " argument" + (expected == "1" ? "" : "s") + ", got " +
                     std::to_string(n));
    }
    std::any state;
    if (fn->prepare) {
      std::vector<std::optional<std::string>> literals;
      for (auto& a : args) {
        auto* lit = dynamic_cast<Literal*>(a.get());
        literals.push_back(lit && lit->is_string() ? std::optional<std::string>(lit->storage()) : std::nullopt);
      }
      try {
        state = fn->prepare(literals);
      } catch (const ArgumentError& e) {
        int column = e.index < args.size() ? args[e.index]->column() : name.column;
        throw ExpressionError(column, name.text + "(): " + e.what());
      }
    }
    (void)first_token;
    return std::make_unique<Call>(name.column, fn, std::move(args), std::move(state));
  }

  // lookup(table, value[, default]): the table is named, not evaluated.
  ExprPtr lookup(const Token& name) {
    expect("(");
    const Token& table = take();
    if (table.kind != Tok::Ident) fail(table, "lookup() expects a table name first");
    const Table* found = nullptr;
    std::vector<std::string> names;
    if (env_.tables) {
      auto it = env_.tables->find(table.text);
      if (it != env_.tables->end()) found = it->second.get();
      for (const auto& [n, t] : *env_.tables) names.push_back(n);
    }
    if (!found) fail(table, "unknown table '" + table.text + "'; " + config::suggest(table.text, names));
    expect(",");
    ExprPtr key = expression();
    ExprPtr fallback;
    if (is_op(",")) {
      take();
      fallback = expression();
    }
    expect(")");
    return std::make_unique<TableLookup>(name.column, found, std::move(key), std::move(fallback));
  }

  // xref("customer", "crm", "erp", value)
  ExprPtr xref(const Token& name) {
    auto args = call_args();
    if (args.size() != 4) fail(name, "xref() takes 4 arguments (entity, from system, to system, id)");
    std::string fixed[3];
    for (int i = 0; i < 3; ++i) {
      auto* lit = dynamic_cast<Literal*>(args[static_cast<size_t>(i)].get());
      if (!lit || !lit->is_string())
        throw ExpressionError(args[static_cast<size_t>(i)]->column(), "xref(): expected a quoted name");
      fixed[i] = lit->storage();
    }
    return std::make_unique<XrefLookup>(name.column, fixed[0], fixed[1], fixed[2], std::move(args[3]));
  }

  std::string_view text_;
  std::vector<Token> tokens_;
  size_t pos_ = 0;
  int depth_ = 0;
  const CompileEnv& env_;
};

}  // namespace

ExprPtr compile_expression(std::string_view text, const CompileEnv& env) {
  Parser p(text, env);
  return p.parse_all();
}

ExprPtr make_constant(const Value& v, std::string storage) {
  return std::make_unique<Literal>(1, v, std::move(storage));
}

ExprPtr compile_path(std::string_view text, const CompileEnv& env) {
  Parser p(text, env);
  return p.parse_path_only();
}

}  // namespace synchub::mapping
