#include <xlsxwriter.h>

#include <cstdlib>
#include <stdexcept>

#include "mapping/decimal.hpp"
#include "runtime/reconcile/export.hpp"

namespace synchub::reconcile {

namespace {

class Sheet {
 public:
  Sheet(lxw_workbook* book, const char* name, lxw_format* money)
      : sheet_(workbook_add_worksheet(book, name)), money_(money) {}
  void text(const std::string& value) {
    worksheet_write_string(sheet_, row_, col_++, inert_cell(value).c_str(), nullptr);
  }
  void integer(int64_t value) { worksheet_write_number(sheet_, row_, col_++, static_cast<double>(value), nullptr); }
  // An exact decimal as a spreadsheet number (a double, what .xlsx keeps: exact to the cent for
  // amounts below 10^13), shown with two decimals.
  void amount(const std::optional<std::string>& value) {
    if (!value) return skip();
    char* end = nullptr;
    const double number = std::strtod(value->c_str(), &end);
    if (end && *end == '\0' && !value->empty())
      worksheet_write_number(sheet_, row_, col_++, number, money_);
    else
      text(*value);
  }
  void skip() { ++col_; }
  void next_row() {
    ++row_;
    col_ = 0;
  }
  void widths(const std::vector<double>& widths) {
    for (size_t i = 0; i < widths.size(); ++i)
      worksheet_set_column(sheet_, static_cast<lxw_col_t>(i), static_cast<lxw_col_t>(i), widths[i], nullptr);
  }
  void header(const std::vector<std::string>& names) {
    for (const auto& n : names) text(n);
    next_row();
    worksheet_freeze_panes(sheet_, 1, 0);
  }

 private:
  lxw_worksheet* sheet_;
  lxw_format* money_;
  lxw_row_t row_ = 0;
  lxw_col_t col_ = 0;
};

std::string join(const std::vector<std::string>& v, const char* separator) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : separator) + x;
  return s;
}

bool numeric_field(const Report& r, const std::string& field) {
  for (const auto& m : r.measures)
    if (m == field) return true;
  return false;
}

}  // namespace

void write_xlsx(const std::vector<Report>& reports, const std::string& path) {
  lxw_workbook* book = workbook_new(path.c_str());
  if (!book) throw std::runtime_error("cannot write " + path);
  lxw_format* money = workbook_add_format(book);
  format_set_num_format(money, "#,##0.00");
  Sheet groups(book, "Groups", money), documents(book, "Documents", money);
  groups.header({"reconciliation", "group", "source count", "target count", "difference", "measure", "source total",
                 "target total", "difference", "agrees"});
  groups.widths({22, 24, 13, 13, 11, 12, 16, 16, 14, 8});
  documents.header({"reconciliation", "class", "key", "source", "target", "group", "field", "source value",
                    "target value", "reason"});
  documents.widths({22, 12, 18, 22, 22, 22, 14, 18, 18, 60});
  for (const auto& r : reports) {
    for (const auto& g : r.groups) {
      const size_t lines = std::max<size_t>(1, r.measures.size());
      for (size_t m = 0; m < lines; ++m) {
        groups.text(r.name);
        groups.text(g.group.empty() ? "(all)" : join(g.group, " / "));
        groups.integer(g.count[0]);
        groups.integer(g.count[1]);
        groups.integer(g.count[1] - g.count[0]);
        if (m < r.measures.size()) {
          groups.text(r.measures[m]);
          groups.amount(g.sums[0][m]);
          groups.amount(g.sums[1][m]);
          auto a = mapping::Decimal::parse(g.sums[0][m]), b = mapping::Decimal::parse(g.sums[1][m]);
          groups.amount(a && b ? std::optional<std::string>((*b - *a).str()) : std::nullopt);
        } else {
          groups.skip(), groups.skip(), groups.skip(), groups.skip();
        }
        groups.text(g.agrees() ? "yes" : "no");
        groups.next_row();
      }
    }
    for (const auto& d : r.documents) {
      const size_t lines = std::max<size_t>(1, d.fields.size());
      for (size_t f = 0; f < lines; ++f) {
        documents.text(r.name);
        documents.text(class_name(d.kind));
        documents.text(d.key);
        documents.text(join(d.source_docs, " "));
        documents.text(join(d.target_docs, " "));
        documents.text(d.group);
        if (f < d.fields.size()) {
          const auto& field = d.fields[f];
          documents.text(field.field);
          if (numeric_field(r, field.field)) {
            documents.amount(field.source);
            documents.amount(field.target);
          } else {
            documents.text(field.source.value_or(""));
            documents.text(field.target.value_or(""));
          }
        } else {
          documents.skip(), documents.skip(), documents.skip();
        }
        documents.text(d.reason);
        documents.next_row();
      }
    }
  }
  if (lxw_error error = workbook_close(book); error != LXW_NO_ERROR)
    throw std::runtime_error("cannot write " + path + ": " + lxw_strerror(error));
}

}  // namespace synchub::reconcile
