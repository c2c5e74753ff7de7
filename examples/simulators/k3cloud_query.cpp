// K3Cloud ExecuteBillQuery: FieldKeys, a SQL-like FilterString (conditions
// joined by AND: = <> > >= < <= and IN (...)), OrderString, StartRow/Limit.
// Rows are arrays of the asked fields; one per entry line when an entry field
// is involved. Amounts and quantities are answered as decimal text, ids as
// numbers, dates as "YYYY-MM-DDTHH:MM:SS".
#include <algorithm>
#include <cctype>
#include <optional>

#include "examples/simulators/k3cloud.hpp"
#include "examples/simulators/money.hpp"

namespace synchub::simulators {

using Json = nlohmann::ordered_json;

namespace {

enum class Kind { Id, Text, Decimal, Date };

struct Field {
  const char* key;
  Kind kind;
  bool entry;  // a field of FSaleOrderEntry
};

const std::vector<Field>* fields_of(const std::string& form) {
  static const std::map<std::string, std::vector<Field>> forms = {
      {"BD_Customer",
       {{"FCUSTID", Kind::Id, false},
        {"FNumber", Kind::Text, false},
        {"FName", Kind::Text, false},
        {"FDocumentStatus", Kind::Text, false},
        {"FCreateOrgId.FNumber", Kind::Text, false},
        {"FUseOrgId.FNumber", Kind::Text, false},
        {"FModifyDate", Kind::Date, false}}},
      {"BD_MATERIAL",
       {{"FMATERIALID", Kind::Id, false},
        {"FNumber", Kind::Text, false},
        {"FName", Kind::Text, false},
        {"FSpecification", Kind::Text, false},
        {"FBaseUnitId.FNumber", Kind::Text, false},
        {"FDocumentStatus", Kind::Text, false},
        {"FCreateOrgId.FNumber", Kind::Text, false},
        {"FModifyDate", Kind::Date, false}}},
      {"SAL_SaleOrder",
       {{"FID", Kind::Id, false},
        {"FBillNo", Kind::Text, false},
        {"FDocumentStatus", Kind::Text, false},
        {"FDate", Kind::Date, false},
        {"FCustId.FNumber", Kind::Text, false},
        {"FSaleOrgId.FNumber", Kind::Text, false},
        {"FSettleCurrId.FNumber", Kind::Text, false},
        {"FNote", Kind::Text, false},
        {"FModifyDate", Kind::Date, false},
        {"FEntryID", Kind::Id, true},
        {"FMaterialId.FNumber", Kind::Text, true},
        {"FQty", Kind::Decimal, true},
        {"FTaxPrice", Kind::Decimal, true},
        {"FEntryTaxRate", Kind::Decimal, true},
        {"FAllAmount", Kind::Decimal, true},
        {"FAmount", Kind::Decimal, true},
        {"FTaxAmount", Kind::Decimal, true}}},
      {"STK_Inventory",
       {{"FID", Kind::Id, false},
        {"FMaterialId.FNumber", Kind::Text, false},
        {"FStockId.FNumber", Kind::Text, false},
        {"FBaseQty", Kind::Decimal, false},
        {"FModifyDate", Kind::Date, false}}},
      {"AR_receivable",
       {{"FID", Kind::Id, false},
        {"FBillNo", Kind::Text, false},
        {"FDate", Kind::Date, false},
        {"FORDERNUMBER", Kind::Text, false},
        {"FALLAMOUNTFOR", Kind::Decimal, false},
        {"FDocumentStatus", Kind::Text, false},
        {"FModifyDate", Kind::Date, false}}},
  };
  auto it = forms.find(form);
  return it == forms.end() ? nullptr : &it->second;
}

bool same_text(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

// Field keys are case-insensitive, as in K3Cloud.
const Field* find_field(const std::vector<Field>& fields, std::string_view name) {
  for (const Field& f : fields)
    if (same_text(f.key, name)) return &f;
  return nullptr;
}

std::string trim(std::string_view s) {
  const size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string_view::npos) return "";
  return std::string(s.substr(b, s.find_last_not_of(" \t\r\n") - b + 1));
}

struct QueryError {
  std::string message;
};

// ------------------------------------------------------------ FilterString

struct Token {
  enum Type { Word, Op, Text, Number, Open, Close, Comma, End } type;
  std::string text;
};

std::vector<Token> tokenize(std::string_view s) {
  std::vector<Token> tokens;
  const QueryError syntax{"FilterString语法错误"};
  for (size_t i = 0; i < s.size();) {
    const char c = s[i];
    if (std::isspace(static_cast<unsigned char>(c))) {
      ++i;
    } else if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
      size_t e = i;
      while (e < s.size() && (std::isalnum(static_cast<unsigned char>(s[e])) || s[e] == '_' || s[e] == '.')) ++e;
      tokens.push_back({Token::Word, std::string(s.substr(i, e - i))});
      i = e;
    } else if (std::isdigit(static_cast<unsigned char>(c)) || c == '-') {
      size_t e = i + 1;
      while (e < s.size() && (std::isdigit(static_cast<unsigned char>(s[e])) || s[e] == '.')) ++e;
      tokens.push_back({Token::Number, std::string(s.substr(i, e - i))});
      if (!compare_decimals(tokens.back().text, "0")) throw syntax;
      i = e;
    } else if (c == '\'') {
      std::string text;
      for (++i;; ++i) {
        if (i >= s.size()) throw syntax;  // unterminated
        if (s[i] == '\'' && i + 1 < s.size() && s[i + 1] == '\'') {
          text += '\'';
          ++i;
        } else if (s[i] == '\'') {
          ++i;
          break;
        } else {
          text += s[i];
        }
      }
      tokens.push_back({Token::Text, text});
    } else if (c == '(' || c == ')' || c == ',') {
      tokens.push_back({c == '(' ? Token::Open : c == ')' ? Token::Close : Token::Comma, std::string(1, c)});
      ++i;
    } else if (c == '=' || c == '<' || c == '>' || c == '!') {
      std::string op(1, c);
      if (i + 1 < s.size() && (s[i + 1] == '=' || (c == '<' && s[i + 1] == '>'))) op += s[++i];
      if (op == "!") throw syntax;
      tokens.push_back({Token::Op, op == "!=" ? "<>" : op});
      ++i;
    } else {
      throw syntax;
    }
  }
  tokens.push_back({Token::End, ""});
  return tokens;
}

struct Condition {
  const Field* field;
  std::string op;  // = <> > >= < <= IN
  std::vector<std::string> values;
};

// expr := term (AND term)* ; term := '(' expr ')' | FIELD OP value | FIELD IN '(' value (',' value)* ')'
class FilterParser {
 public:
  FilterParser(const std::vector<Field>& fields, std::string_view text) : fields_(fields), tokens_(tokenize(text)) {}

  std::vector<Condition> parse() {
    std::vector<Condition> out;
    if (peek().type != Token::End) expr(out);
    if (peek().type != Token::End) throw syntax();
    return out;
  }

 private:
  static QueryError syntax() { return {"FilterString语法错误"}; }
  const Token& peek() const { return tokens_[at_]; }
  const Token& next() { return tokens_[at_ < tokens_.size() - 1 ? at_++ : at_]; }

  void expr(std::vector<Condition>& out) {
    term(out);
    while (peek().type == Token::Word && same_text(peek().text, "and")) {
      next();
      term(out);
    }
  }
  void term(std::vector<Condition>& out) {
    if (peek().type == Token::Open) {
      next();
      expr(out);
      if (next().type != Token::Close) throw syntax();
      return;
    }
    const Token& name = next();
    if (name.type != Token::Word) throw syntax();
    const Field* field = find_field(fields_, name.text);
    if (!field) throw QueryError{"字段[" + name.text + "]不存在"};
    Condition c{field, "", {}};
    if (peek().type == Token::Word && same_text(peek().text, "in")) {
      next();
      c.op = "IN";
      if (next().type != Token::Open) throw syntax();
      do c.values.push_back(value());
      while (peek().type == Token::Comma && next().type == Token::Comma);
      if (next().type != Token::Close) throw syntax();
    } else {
      const Token& op = next();
      if (op.type != Token::Op) throw syntax();
      c.op = op.text;
      c.values.push_back(value());
    }
    out.push_back(std::move(c));
  }
  std::string value() {
    const Token& v = next();
    if (v.type != Token::Text && v.type != Token::Number) throw syntax();
    return v.text;
  }

  const std::vector<Field>& fields_;
  std::vector<Token> tokens_;
  size_t at_ = 0;
};

// ------------------------------------------------------------ rows

struct Row {
  const Json* head;
  const Json* entry;  // null: a bill without lines asked for
  const Json& get(const Field& f) const {
    static const Json null;
    const Json* source = f.entry ? entry : head;
    if (!source) return null;
    auto it = source->find(f.key);
    return it == source->end() ? null : *it;
  }
};

std::optional<std::string> text_of(const Json& v, Kind kind) {
  if (v.is_null()) return std::nullopt;
  std::string text = v.is_string() ? v.get<std::string>() : v.dump();
  if (kind == Kind::Date && text.size() > 10 && text[10] == 'T') text[10] = ' ';
  return text;
}

// Two values of a field: numbers (ids, amounts) by value, the rest as text; nullopt if not comparable.
std::optional<int> compare(Kind kind, const std::optional<std::string>& a, const std::optional<std::string>& b) {
  if (!a || !b) return std::nullopt;
  if (kind == Kind::Id || kind == Kind::Decimal) return compare_decimals(*a, *b);
  const int c = a->compare(*b);
  return (c > 0) - (c < 0);
}

bool matches(const Row& row, const Condition& c) {
  const auto value = text_of(row.get(*c.field), c.field->kind);
  auto against = [&](const std::string& v) {
    std::string text = v;
    if (c.field->kind == Kind::Date && text.size() > 10 && text[10] == 'T') text[10] = ' ';
    return compare(c.field->kind, value, text);
  };
  if (c.op == "IN")
    return std::any_of(c.values.begin(), c.values.end(), [&](const std::string& v) { return against(v) == 0; });
  const auto r = against(c.values.front());
  if (!r) return false;
  if (c.op == "=") return *r == 0;
  if (c.op == "<>") return *r != 0;
  if (c.op == ">") return *r > 0;
  if (c.op == ">=") return *r >= 0;
  if (c.op == "<") return *r < 0;
  return *r <= 0;
}

Json output(const Json& v, Kind kind) {
  if (v.is_null() || kind == Kind::Id) return v;
  std::string text = v.is_string() ? v.get<std::string>() : v.dump();
  if (kind == Kind::Date && text.size() > 10 && text[10] == ' ') text[10] = 'T';
  return text;
}

int64_t whole(const Json& data, const char* key) {
  if (!data.contains(key)) return 0;
  const Json& v = data[key];
  auto n = v.is_number_integer() ? std::optional<int64_t>(v.get<int64_t>())
           : v.is_string()       ? scaled(v.get<std::string>(), 0)
                                 : std::nullopt;
  if (!n || *n < 0) throw QueryError{std::string("参数[") + key + "]不是有效的非负整数"};
  return *n;
}

std::vector<std::pair<const Field*, bool>> parse_order(const std::vector<Field>& fields, const std::string& text) {
  std::vector<std::pair<const Field*, bool>> order;  // field, ascending
  size_t start = 0;
  while (start <= text.size() && !trim(text).empty()) {
    const size_t comma = std::min(text.find(',', start), text.size());
    const std::string part = trim(std::string_view(text).substr(start, comma - start));
    const size_t space = part.find(' ');
    const std::string name = part.substr(0, space);
    const std::string dir = space == std::string::npos ? "" : trim(part.substr(space));
    if (name.empty() || (!dir.empty() && !same_text(dir, "asc") && !same_text(dir, "desc")))
      throw QueryError{"OrderString语法错误"};
    const Field* f = find_field(fields, name);
    if (!f) throw QueryError{"字段[" + name + "]不存在"};
    order.emplace_back(f, !same_text(dir, "desc"));
    start = comma + 1;
  }
  return order;
}

}  // namespace

Json K3CloudSimulator::execute_query(const Json& raw) const {
  auto fail = [](const std::string& message) { return Json::array({Json::array({refusal(11, message)})}); };
  const Json data = raw.is_string() ? Json::parse(quote_decimals(raw.get<std::string>()), nullptr, false) : raw;
  if (!data.is_object()) return fail("参数data不是JSON对象");
  const std::string form = data.value("FormId", "");
  const std::vector<Field>* fields = fields_of(form);
  if (!fields) return fail("业务对象[" + form + "]不存在");
  try {
    std::vector<const Field*> keys;
    const std::string key_text = data.value("FieldKeys", "");
    for (size_t start = 0; start <= key_text.size();) {
      const size_t comma = std::min(key_text.find(',', start), key_text.size());
      const std::string name = trim(std::string_view(key_text).substr(start, comma - start));
      const Field* f = find_field(*fields, name);
      if (!f) throw QueryError{"字段[" + name + "]不存在"};
      keys.push_back(f);
      start = comma + 1;
    }
    const std::vector<Condition> conditions = FilterParser(*fields, data.value("FilterString", "")).parse();
    const auto order = parse_order(*fields, data.value("OrderString", ""));
    // Entry fields anywhere: one row per entry line.
    bool per_entry = std::any_of(keys.begin(), keys.end(), [](const Field* f) { return f->entry; });
    for (const auto& c : conditions) per_entry = per_entry || c.field->entry;
    for (const auto& o : order) per_entry = per_entry || o.first->entry;

    std::vector<Row> rows;
    for (const auto& [id, record] : forms_.at(form).records) {
      auto entries = record.find("FSaleOrderEntry");
      if (per_entry && entries != record.end() && !entries->empty()) {
        for (const auto& entry : *entries) rows.push_back({&record, &entry});
      } else {
        rows.push_back({&record, nullptr});
      }
    }
    std::erase_if(rows, [&](const Row& r) {
      return !std::all_of(conditions.begin(), conditions.end(), [&](const Condition& c) { return matches(r, c); });
    });
    std::stable_sort(rows.begin(), rows.end(), [&](const Row& a, const Row& b) {
      for (const auto& [f, asc] : order) {
        const auto x = text_of(a.get(*f), f->kind), y = text_of(b.get(*f), f->kind);
        const int c = !x || !y ? (!y ? 0 : -1) + (!x ? 0 : 1) : compare(f->kind, x, y).value_or(0);
        if (c != 0) return asc ? c < 0 : c > 0;
      }
      return false;
    });
    const int64_t top = whole(data, "TopRowCount");
    if (top > 0 && static_cast<size_t>(top) < rows.size()) rows.resize(static_cast<size_t>(top));
    const int64_t start = whole(data, "StartRow");
    int64_t limit = whole(data, "Limit");
    if (limit == 0 || limit > options_.max_rows) limit = options_.max_rows;  // silently
    Json out = Json::array();
    for (int64_t i = start; i < static_cast<int64_t>(rows.size()) && i < start + limit; ++i) {
      Json row = Json::array();
      for (const Field* f : keys) row.push_back(output(rows[static_cast<size_t>(i)].get(*f), f->kind));
      out.push_back(std::move(row));
    }
    return out;
  } catch (const QueryError& e) {
    return fail(e.message);
  }
}

}  // namespace synchub::simulators
