#include "runtime/reconcile/comparer.hpp"

#include <algorithm>

#include "mapping/decimal.hpp"
#include "runtime/reconcile/row_maker.hpp"

namespace synchub::reconcile {

namespace {

mapping::Decimal decimal(const std::optional<std::string>& text) {
  return text ? mapping::Decimal::parse(*text).value_or(mapping::Decimal{}) : mapping::Decimal{};
}

std::vector<std::string> docs(const std::vector<Row>& rows) {
  std::vector<std::string> out;
  for (const auto& r : rows) out.push_back(r.doc);
  return out;
}

}  // namespace

Comparer::Comparer(const ReconcilePlan& plan, const PendingIndex& pending, Window window, Report& report)
    : plan_(plan), pending_(pending), window_(window), report_(report) {}

void Comparer::group_values(const Row& row, std::vector<std::string>& values) const {
  values.resize(plan_.group_fields.size());
  for (size_t i = 0; i < values.size(); ++i) {
    const int g = plan_.group_fields[i];
    if (g == kGroupDay || g == kGroupMonth)
      values[i] = row.time_us ? calendar_group(*row.time_us, plan_.zone, g == kGroupMonth) : "(no time)";
    else
      values[i] = row.values.at(static_cast<size_t>(g)).value_or("(none)");
  }
}

// The key a document is listed by: the key both sides share; when the source's was translated
// (`match` by xref or ledger), the source's own, which is what people look for.
std::string Comparer::shown_key(const Row& row) const {
  if (row.side == Side::Source && (plan_.match != MatchBy::Key || row.key.starts_with('\x01'))) return row.doc;
  return row.key;
}

std::string Comparer::group_of(const Row& row) const {
  std::vector<std::string> values;
  group_values(row, values);
  std::string shown;
  for (const auto& v : values) shown += (shown.empty() ? "" : " / ") + v;
  return shown;
}

void Comparer::count(const Row& row) {
  // Looked up with one vector kept for it: no allocation per row but for a new group.
  group_values(row, group_);
  auto it = groups_.find(group_);
  if (it == groups_.end()) {
    it = groups_.try_emplace(group_).first;
    for (auto& sums : it->second.sums) sums.assign(plan_.measures, mapping::Decimal{});
  }
  Totals& g = it->second;
  const auto side = static_cast<size_t>(row.side);
  ++g.count[side];
  for (size_t m = 0; m < plan_.measures; ++m) g.sums[side][m] = g.sums[side][m] + decimal(row.values[m]);
}

std::string Comparer::on_its_way(const Row* source, const Row* target) const {
  if (source) {
    if (const std::string* why = pending_.reason(source->doc)) return *why;
    if (!source->waiting.empty()) return source->waiting;
  }
  if (target && !target->waiting.empty()) return target->waiting;
  return {};
}

void Comparer::report(DocumentDifference difference) {
  ++report_.counts[difference.kind];
  if (report_.documents.size() < plan_.max_documents) report_.documents.push_back(std::move(difference));
}

void Comparer::add_key(std::vector<Row>& rows) {
  source_.clear(), target_.clear(), source_out_.clear(), target_out_.clear();
  for (auto& r : rows) {
    auto& into = r.side == Side::Source ? (r.in_scope ? source_ : source_out_) : (r.in_scope ? target_ : target_out_);
    into.push_back(std::move(r));
  }
  for (const auto* side : {&source_, &target_, &source_out_, &target_out_})
    for (const auto& r : *side)
      if (!r.error.empty()) return unreadable_pair(r);
  // The pair is compared when either side's business time is in the window.
  bool in_window = source_.empty() && target_.empty();
  for (const auto* side : {&source_, &target_})
    for (const auto& r : *side) in_window = in_window || window_.contains(r.time_us);
  if (!in_window || (source_.empty() && target_.empty())) return;
  report_.in_scope[0] += static_cast<int64_t>(source_.size());
  report_.in_scope[1] += static_cast<int64_t>(target_.size());
  for (const auto* side : {&source_, &target_})
    for (const auto& r : *side) count(r);

  if (source_.size() == 1 && target_.size() == 1) return compare_pair(source_[0], target_[0]);
  DocumentDifference d;
  d.key = shown_key(source_.empty() ? target_[0] : source_[0]);
  d.source_docs = docs(source_);
  d.target_docs = docs(target_);
  d.group = group_of(source_.empty() ? target_[0] : source_[0]);
  if (source_.size() > 1 || target_.size() > 1) {
    d.kind = DiffClass::Duplicated;
    d.reason = source_.size() > 1 ? std::to_string(source_.size()) + " source documents share this key"
                                  : std::to_string(target_.size()) + " target documents for one source document";
    return report(std::move(d));
  }
  if (target_.empty()) {
    const Row* held = target_out_.empty() ? nullptr : &target_out_[0];
    std::string why = on_its_way(&source_[0], held);
    if (!why.empty()) {
      d.kind = DiffClass::InFlight;
      d.reason = std::move(why);
      d.target_docs = docs(target_out_);
    } else {
      d.kind = DiffClass::Missing;
      d.reason = !source_[0].unpaired.empty() ? source_[0].unpaired
                 : held                       ? "the target has it (" + held->doc + ") but out of its scope"
                                              : "";
    }
    return report(std::move(d));
  }
  if (source_.empty()) {
    d.kind = DiffClass::Extra;
    if (!source_out_.empty()) d.reason = "the source has it (" + source_out_[0].doc + ") but out of its scope";
    return report(std::move(d));
  }
}

// A record of the pair could not be read (a key, but no amount): the pair is one unreadable
// document, not also a missing or extra one; it is in no group's totals (its amount is unknown).
void Comparer::unreadable_pair(const Row& broken) {
  DocumentDifference d;
  d.kind = DiffClass::Unreadable;
  d.key = shown_key(broken);
  for (const auto* side : {&source_, &source_out_})
    for (const auto& r : *side) d.source_docs.push_back(r.doc);
  for (const auto* side : {&target_, &target_out_})
    for (const auto& r : *side) d.target_docs.push_back(r.doc);
  d.reason = std::string(side_name(broken.side)) + " " + broken.doc + ": " + broken.error;
  report(std::move(d));
}

void Comparer::unreadable(Side side, const std::string& doc, const std::string& reason) {
  listed(DiffClass::Unreadable, side, doc, reason);
}

void Comparer::in_flight(Side side, const std::string& doc, const std::string& reason) {
  listed(DiffClass::InFlight, side, doc, reason);
}

void Comparer::listed(DiffClass kind, Side side, const std::string& doc, const std::string& reason) {
  DocumentDifference d;
  d.kind = kind;
  d.key = doc;
  (side == Side::Source ? d.source_docs : d.target_docs).push_back(doc);
  d.reason = reason;
  report(std::move(d));
}

void Comparer::compare_pair(const Row& source, const Row& target) {
  DocumentDifference d;
  for (size_t i = 0; i < plan_.measures + plan_.compared; ++i) {
    const auto &a = source.values[i], &b = target.values[i];
    const bool same = i < plan_.measures ? decimal(a) == decimal(b) : a == b;
    if (!same) d.fields.push_back({plan_.fields[i], a, b});
  }
  if (d.fields.empty()) {
    ++report_.matched;
    return;
  }
  d.key = shown_key(source);
  d.source_docs = {source.doc};
  d.target_docs = {target.doc};
  d.group = group_of(source);
  d.reason = on_its_way(&source, &target);
  d.kind = d.reason.empty() ? DiffClass::Different : DiffClass::InFlight;
  report(std::move(d));
}

void Comparer::finish() {
  report_.groups.clear();
  for (auto& [values, totals] : groups_) {
    GroupTotals g;
    g.group = values;
    g.count = totals.count;
    for (size_t side = 0; side < 2; ++side)
      for (const auto& sum : totals.sums[side]) g.sums[side].push_back(sum.normalized().str());
    report_.groups.push_back(std::move(g));
  }
  groups_.clear();
}

}  // namespace synchub::reconcile
