#include "mapping/expression.hpp"

#include <set>

#include "config/diagnostics.hpp"
#include "mapping/expression_nodes.hpp"

namespace synchub::mapping {

namespace {

using namespace nodes;

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
      static const char* kOps[] = {"??", "==", "!=", "<=", ">=", "&&", "||", "+", "-", "*", "/", "%", "<",
                                   ">",  "?",  ":",  "(",  ")",  "[",  "]",  ",", ".", "!", "{", "}"};
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
      a = std::make_unique<Arithmetic>(t.column, t.text, std::move(a), multiplicative());
    }
    return a;
  }
  ExprPtr multiplicative() {
    ExprPtr a = unary();
    while (is_op("*") || is_op("/") || is_op("%")) {
      const Token& t = take();
      a = std::make_unique<Arithmetic>(t.column, t.text, std::move(a), unary());
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
        return make_path(t.column, base, nullptr, std::vector<Segment>{}, t.text);
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
        return make_path(t.column, Base::This, nullptr, std::move(segments), t.text);
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
        if (t.text == "{") return object_literal();
        fail(t, "unexpected '" + t.text + "'");
      case Tok::End: fail(t, "unexpected end of expression");
    }
    fail(t, "unexpected token");
  }

  // {FNumber: $out.customer, "odd key": 1}
  ExprPtr object_literal() {
    const Token& open = take();
    std::vector<std::pair<std::string, ExprPtr>> members;
    std::set<std::string> names;
    while (!is_op("}")) {
      const Token& name = take();
      if (name.kind != Tok::Ident && name.kind != Tok::String) fail(name, "expected a member name");
      if (!names.insert(name.text).second) fail(name, "member '" + name.text + "' given twice");
      expect(":");
      members.emplace_back(name.text, expression());
      if (!is_op(",")) break;
      take();
    }
    expect("}");
    return std::make_unique<ObjectExpr>(open.column, std::move(members));
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
    return make_path(column, Base::Value, std::move(base), std::move(segments), std::string());
  }

  ExprPtr extend(ExprPtr base, std::vector<Segment> more, const std::string& text, int column) {
    // The base is a one-segment path relative to the current record, or a variable.
    std::string base_text = base->path_text();
    if (base_text.rfind('$', 0) == 0) {
      Base b = base_text == "$this"     ? Base::This
               : base_text == "$parent" ? Base::Parent
               : base_text == "$root"   ? Base::Root
                                        : Base::Out;
      return make_path(column, b, nullptr, std::move(more), text);
    }
    std::vector<Segment> all{{Segment::Key, base_text, 0}};
    for (auto& s : more) all.push_back(std::move(s));
    return make_path(column, Base::This, nullptr, std::move(all), text);
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

bool Expr::eval_number(EvalContext& ctx, Decimal& number, Value& other) const {
  other = eval(ctx);
  return number_of(other, number);
}

ExprPtr make_constant(const Value& v, std::string storage) {
  return std::make_unique<Literal>(1, v, std::move(storage));
}

ExprPtr make_list(std::vector<ExprPtr> items) {
  return std::make_unique<ListExpr>(1, std::move(items));
}

ExprPtr make_object(std::vector<std::pair<std::string, ExprPtr>> members) {
  return std::make_unique<ObjectExpr>(1, std::move(members));
}

ExprPtr compile_path(std::string_view text, const CompileEnv& env) {
  Parser p(text, env);
  return p.parse_path_only();
}

}  // namespace synchub::mapping
