// The evaluator's node types (internal to mapping/): the expression compiler
// builds trees of these, each evaluating itself on a record.
#pragma once

#include <any>
#include <atomic>
#include <string>
#include <vector>

#include "mapping/expression.hpp"
#include "mapping/functions.hpp"
#include "mapping/json_writer.hpp"

namespace synchub::mapping::nodes {

class Literal final : public Expr {
 public:
  Literal(int column, Value v, std::string storage = {}) : Expr(column), storage_(std::move(storage)), value_(v) {
    if (value_.kind == ValueKind::String || (value_.kind == ValueKind::Number && !value_.text.empty()))
      value_.text = storage_;
    if (value_.kind == ValueKind::String) value_.boolean = is_plain_json_text(storage_);
  }
  Value eval(EvalContext&) const override { return value_; }
  bool eval_number(EvalContext&, Decimal& number, Value& other) const override {
    if (number_of(value_, number)) return true;
    other = value_;
    return false;
  }
  const std::string& storage() const { return storage_; }
  bool is_string() const { return value_.kind == ValueKind::String; }

 private:
  std::string storage_;
  Value value_;
};

struct Segment {
  Segment(int kind, std::string key, uint32_t index)
      : kind(static_cast<Kind>(kind)), key(std::move(key)), index(index), signature(key_signature(this->key)) {}
  Segment(const Segment& o) : kind(o.kind), key(o.key), index(o.index), signature(o.signature) {}
  enum Kind { Key, Index, Wildcard } kind;
  std::string key;
  uint32_t index = 0;
  uint32_t signature = 0;  // key_signature(key)
  // Where the member was last found: records of one source list their members
  // in the same order, so the next lookup usually hits at once. Shared by the
  // threads running the plan; a stale hint only costs the full scan.
  mutable std::atomic<uint32_t> hint{0};
};

enum class Base { This, Parent, Root, Out, Value };

// Member or element `s` of a computed object or list (not a Document node),
// or nullptr. A pointer, not a copy: values are copied once, at the end.
inline const Value* computed_member(const Value& v, const Segment& s) {
  if (v.kind == ValueKind::Object && s.kind == Segment::Key) {
    const uint32_t hint = s.hint.load(std::memory_order_relaxed);
    if (hint < v.size && same_text(v.members[hint].name, s.key)) return &v.members[hint].value;
    for (uint32_t i = 0; i < v.size; ++i)
      if (same_text(v.members[i].name, s.key)) {
        s.hint.store(i, std::memory_order_relaxed);
        return &v.members[i].value;
      }
    return nullptr;
  }
  if (v.kind == ValueKind::List && s.kind == Segment::Index) return s.index < v.size ? &v.items[s.index] : nullptr;
  return nullptr;
}

inline Value navigate(EvalContext& ctx, const Value& start, const std::vector<Segment>& path, size_t from);

// `[*]`: the rest of the path applied to every element; nested wildcards flatten.
inline Value spread(EvalContext& ctx, const Value& v, const std::vector<Segment>& path, size_t from) {
  Elements elements(ctx.doc, v);
  const uint32_t n = elements.size();
  Value* items = ctx.arena.array<Value>(n);
  if (v.kind == ValueKind::List && from + 1 == path.size() && path[from].kind == Segment::Key) {
    // one name into mapped objects (`$out.entries[*].amount`, what totals read): no walk per element
    for (uint32_t i = 0; i < n; ++i) {
      const Value& item = v.items[i];
      if (item.kind == ValueKind::Object) {
        const Value* member = computed_member(item, path[from]);
        new (&items[i]) Value(member ? *member : Value::null());
      } else {
        new (&items[i]) Value(navigate(ctx, item, path, from));
      }
    }
    return Value::of_list(items, n);
  }
  bool nested = false;
  for (size_t i = from; i < path.size(); ++i) nested = nested || path[i].kind == Segment::Wildcard;
  uint32_t size = 0;
  for (uint32_t i = 0; i < n; ++i) {
    Value r = navigate(ctx, elements.next(), path, from);
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

// The rest of a path from a computed object or list.
[[gnu::noinline]] inline Value navigate_computed(EvalContext& ctx, const Value& start, const std::vector<Segment>& path,
                                                 size_t from) {
  const Value* v = &start;
  for (size_t i = from; i < path.size(); ++i) {
    if (path[i].kind == Segment::Wildcard) return spread(ctx, *v, path, i + 1);
    v = computed_member(*v, path[i]);
    if (!v) return Value::null();
    if (v->kind == ValueKind::Node) return navigate(ctx, *v, path, i + 1);
  }
  return *v;
}

inline Value navigate(EvalContext& ctx, const Value& start, const std::vector<Segment>& path, size_t from) {
  if (start.kind != ValueKind::Node) return navigate_computed(ctx, start, path, from);
  // Walk the document by node index; build a Value only at the end.
  const Document& doc = ctx.doc;
  uint32_t index = start.node;
  for (const Segment *s = path.data() + from, *end = path.data() + path.size(); s != end; ++s) {
    if (s->kind == Segment::Wildcard)
      return spread(ctx, Value::of_node(index), path, static_cast<size_t>(s - path.data()) + 1);
    index = s->kind == Segment::Key ? doc.member(index, s->key, s->signature, s->hint) : doc.element(index, s->index);
    if (index == Document::npos) return Value::null();
    JsonKind kind = doc.at(index).kind;
    if (kind != JsonKind::Object && kind != JsonKind::Array)
      return s + 1 == end ? node_value(doc, index) : Value::null();
  }
  return Value::of_node(index);
}

class PathExpr : public Expr {
 public:
  PathExpr(int column, Base base, ExprPtr value, std::vector<Segment> segments, std::string text)
      : Expr(column), base_(base), value_(std::move(value)), segments_(std::move(segments)), text_(std::move(text)) {}

  Value eval(EvalContext& ctx) const override {
    const Scope* scope = ctx.scope;
    switch (base_) {  // the start is passed where it is: a Value copy costs more than the lookup
      case Base::This: return navigate(ctx, scope->record, segments_, 0);
      case Base::Parent: return scope->parent ? navigate(ctx, scope->parent->record, segments_, 0) : Value::null();
      case Base::Root:
        while (scope->parent) scope = scope->parent;
        return navigate(ctx, scope->record, segments_, 0);
      case Base::Out: return navigate(ctx, Value::of_object(scope->out, scope->out_size), segments_, 0);
      case Base::Value: return navigate(ctx, value_->eval(ctx), segments_, 0);
    }
    return Value::null();
  }
  std::string path_text() const override { return base_ == Base::This ? text_ : std::string(); }

 protected:
  Base base_;
  ExprPtr value_;
  std::vector<Segment> segments_;
  std::string text_;
};

// The common path, `customer.id` in the current record: a member lookup per
// name, in a function small enough to stay cheap to call.
class NamePath final : public PathExpr {
 public:
  using PathExpr::PathExpr;
  // Whether a path of these segments from `base` is one.
  static bool fits(Base base, const std::vector<Segment>& segments) {
    if (base != Base::This || segments.empty()) return false;
    for (const Segment& s : segments)
      if (s.kind != Segment::Key) return false;
    return true;
  }

  Value eval(EvalContext& ctx) const override {
    const Value& record = ctx.scope->record;
    if (record.kind != ValueKind::Node) [[unlikely]]
      return PathExpr::eval(ctx);  // an element of a computed list
    const uint32_t index = find(ctx.doc, record.node);
    return index == Document::npos ? Value::null() : node_value(ctx.doc, index);
  }
  bool eval_number(EvalContext& ctx, Decimal& number, Value& other) const override {
    const Value& record = ctx.scope->record;
    if (record.kind != ValueKind::Node) [[unlikely]]
      return PathExpr::eval_number(ctx, number, other);
    const uint32_t index = find(ctx.doc, record.node);
    if (index == Document::npos) {
      other = Value::null();
      return false;
    }
    const Node& node = ctx.doc.at(index);
    if (node.kind == JsonKind::Number && Decimal::parse_into(node.text(), number)) return true;
    other = node_value(ctx.doc, index);
    return false;
  }

 private:
  uint32_t find(const Document& doc, uint32_t index) const {
    for (const Segment& s : segments_) {
      index = doc.member(index, s.key, s.signature, s.hint);  // npos for a scalar on the way
      if (index == Document::npos) break;
    }
    return index;
  }
};

// A PathExpr, or a NamePath when the path is one.
inline ExprPtr make_path(int column, Base base, ExprPtr value, std::vector<Segment> segments, std::string text) {
  if (NamePath::fits(base, segments))
    return std::make_unique<NamePath>(column, base, std::move(value), std::move(segments), std::move(text));
  return std::make_unique<PathExpr>(column, base, std::move(value), std::move(segments), std::move(text));
}

class ListExpr final : public Expr {
 public:
  ListExpr(int column, std::vector<ExprPtr> items) : Expr(column), items_(std::move(items)) {}
  Value eval(EvalContext& ctx) const override {
    Value* out = ctx.arena.array<Value>(items_.size());
    for (size_t i = 0; i < items_.size(); ++i) new (&out[i]) Value(items_[i]->eval(ctx));
    return Value::of_list(out, static_cast<uint32_t>(items_.size()));
  }

 private:
  std::vector<ExprPtr> items_;
};

// {name: expr, ...}: an object (a K3 base-data reference `{FNumber: code}`, built by expressions).
class ObjectExpr final : public Expr {
 public:
  ObjectExpr(int column, std::vector<std::pair<std::string, ExprPtr>> members)
      : Expr(column), members_(std::move(members)) {}
  Value eval(EvalContext& ctx) const override {
    Member* out = ctx.arena.array<Member>(members_.size());
    for (size_t i = 0; i < members_.size(); ++i) {
      new (&out[i].value) Value(members_[i].second->eval(ctx));
      out[i].name = members_[i].first;
    }
    return Value::of_object(out, static_cast<uint32_t>(members_.size()));
  }

 private:
  std::vector<std::pair<std::string, ExprPtr>> members_;
};

[[gnu::noinline]] inline Decimal parse_operand(EvalContext& ctx, const Value& v, const char* op) {
  if (auto d = to_decimal(v)) return *d;
  throw MappingError(std::string("'") + op + "' expects numbers, got " + describe(ctx.doc, v));
}

inline Decimal number_operand(EvalContext& ctx, const Value& v, const char* op) {
  if (v.kind == ValueKind::Number && !v.boolean) return v.number;  // computed, or parsed already
  return parse_operand(ctx, v, op);
}

enum class Op { And, Or, Coalesce, Eq, Ne, Lt, Le, Gt, Ge, Add, Sub, Mul, Div, Mod };

inline Op op_code(const std::string& op) {
  static const std::pair<const char*, Op> kOps[] = {
      {"and", Op::And}, {"or", Op::Or}, {"??", Op::Coalesce}, {"==", Op::Eq}, {"!=", Op::Ne},
      {"<", Op::Lt},    {"<=", Op::Le}, {">", Op::Gt},        {">=", Op::Ge}, {"+", Op::Add},
      {"-", Op::Sub},   {"*", Op::Mul}, {"/", Op::Div},       {"%", Op::Mod}};
  for (const auto& [text, code] : kOps)
    if (op == text) return code;
  throw std::logic_error("unknown operator " + op);
}

// An operator with two operands.
class Operation : public Expr {
 public:
  Operation(int column, std::string op, ExprPtr a, ExprPtr b)
      : Expr(column), text_(std::move(op)), op_(op_code(text_)), a_(std::move(a)), b_(std::move(b)) {}

 protected:
  std::string text_;
  Op op_;
  ExprPtr a_, b_;
};

// and, or, ??, comparisons
class Binary final : public Operation {
 public:
  using Operation::Operation;

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
      case Op::Eq:
      case Op::Ne: {
        bool equal = values_equal(ctx.doc, a, b);
        if (!equal && number_against_text(a, b) && !(to_decimal(a) && to_decimal(b)))
          throw MappingError("cannot compare " + describe(ctx.doc, a) + " with " + describe(ctx.doc, b) +
                             ": the text is not a number");
        return Value::of_bool(op_ == Op::Eq ? equal : !equal);
      }
      case Op::Lt:
      case Op::Le:
      case Op::Gt:
      case Op::Ge: {
        if (a.is_null() || b.is_null()) return Value::null();
        bool comparable;
        int c = compare_values(ctx.doc, a, b, comparable);
        if (!comparable)
          throw MappingError("cannot compare " + describe(ctx.doc, a) + " with " + describe(ctx.doc, b) +
                             (number_against_text(a, b) ? ": the text is not a number" : ""));
        return Value::of_bool(op_ == Op::Lt ? c < 0 : op_ == Op::Le ? c <= 0 : op_ == Op::Gt ? c > 0 : c >= 0);
      }
      default: throw std::logic_error("arithmetic in Binary");
    }
  }
  bool eval_number(EvalContext& ctx, Decimal& number, Value& other) const override {
    if (op_ != Op::Coalesce) return Expr::eval_number(ctx, number, other);
    if (a_->eval_number(ctx, number, other)) return true;
    return other.is_null() ? b_->eval_number(ctx, number, other) : false;
  }
};

// + - * / % (a function of its own: the arithmetic of money amounts is the
// hot part of most mappings)
class Arithmetic final : public Operation {
 public:
  using Operation::Operation;

  Value eval(EvalContext& ctx) const override {
    Decimal number;
    Value other;
    return eval_number(ctx, number, other) ? Value::of_number(number) : other;
  }
  // Operands that are numbers stay decimals: no Value is built between the
  // operators of `quantity * unit_price * (1 - discount)`.
  bool eval_number(EvalContext& ctx, Decimal& number, Value& other) const override {
    Decimal x, y;
    Value a, b;
    const bool x_set = a_->eval_number(ctx, x, a);
    const bool y_set = b_->eval_number(ctx, y, b);
    if (!x_set || !y_set) [[unlikely]] {
      if ((!x_set && a.is_null()) || (!y_set && b.is_null())) {
        other = Value::null();  // arithmetic with null is null
        return false;
      }
      if (op_ == Op::Add && a.kind == ValueKind::String && b.kind == ValueKind::String) {
        other = concat(ctx, a, b);
        return false;
      }
      if (!x_set) x = parse_operand(ctx, a, text_.c_str());
      if (!y_set) y = parse_operand(ctx, b, text_.c_str());
    }
    try {
      switch (op_) {
        case Op::Add: number = x + y; break;
        case Op::Sub: number = x - y; break;
        case Op::Mul: number = x * y; break;
        case Op::Div: number = x / y; break;
        default: number = x % y;
      }
    } catch (const DecimalError& e) {
      fail(ctx, x_set ? a_->eval(ctx) : a, y_set ? b_->eval(ctx) : b, e);  // the operands as written
    }
    return true;
  }

 private:
  [[noreturn, gnu::noinline]] void fail(EvalContext& ctx, const Value& a, const Value& b, const DecimalError& e) const {
    throw MappingError(describe(ctx.doc, a) + " " + text_ + " " + describe(ctx.doc, b) + ": " + e.what());
  }

  [[gnu::noinline]] static Value concat(EvalContext& ctx, const Value& a, const Value& b) {
    std::string s(a.text);
    s += b.text;
    return Value::of_string(ctx.arena.copy(s));
  }
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
  bool eval_number(EvalContext& ctx, Decimal& number, Value& other) const override {
    if (truthy(ctx.doc, c_->eval(ctx), "condition")) return a_->eval_number(ctx, number, other);
    if (b_) return b_->eval_number(ctx, number, other);
    other = Value::null();
    return false;
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
    if (fn_->number) {
      Decimal number;
      Value other;
      return eval_number(ctx, number, other) ? Value::of_number(number) : other;
    }
    Value* values = ctx.arena.array<Value>(args_.size());
    for (size_t i = 0; i < args_.size(); ++i) new (&values[i]) Value(args_[i]->eval(ctx));
    try {
      return fn_->call(ctx, CallArgs{values, args_.size(), state_});
    } catch (const DecimalError& e) {
      throw MappingError(std::string(fn_->name) + ": " + e.what());
    }
  }
  bool eval_number(EvalContext& ctx, Decimal& number, Value& other) const override {
    if (!fn_->number) return Expr::eval_number(ctx, number, other);
    try {
      return fn_->number(ctx, ExprArgs{args_.data(), args_.size(), state_}, number, other);
    } catch (const DecimalError& e) {
      throw MappingError(std::string(fn_->name) + ": " + e.what());
    }
  }

 private:
  const FunctionSpec* fn_;
  std::vector<ExprPtr> args_;
  std::any state_;
};

}  // namespace synchub::mapping::nodes
