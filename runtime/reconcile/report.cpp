#include "runtime/reconcile/report.hpp"

#include <nlohmann/json.hpp>

namespace synchub::reconcile {

using Json = nlohmann::ordered_json;

const char* class_name(DiffClass c) {
  switch (c) {
    case DiffClass::Missing: return "missing";
    case DiffClass::Extra: return "extra";
    case DiffClass::Different: return "different";
    case DiffClass::Duplicated: return "duplicated";
    case DiffClass::InFlight: return "in_flight";
    case DiffClass::Unreadable: return "unreadable";
  }
  return "unknown";
}

std::optional<DiffClass> parse_class(const std::string& name) {
  for (DiffClass c : kAllClasses)
    if (name == class_name(c)) return c;
  return std::nullopt;
}

int64_t Report::differences() const {
  int64_t n = 0;
  for (const auto& [c, count] : counts)
    if (c != DiffClass::InFlight) n += count;
  return n;
}

namespace {

Json optional_text(const std::optional<std::string>& v) {
  return v ? Json(*v) : Json(nullptr);
}

std::optional<std::string> text_or_null(const Json& j) {
  return j.is_null() ? std::nullopt : std::optional<std::string>(j.get<std::string>());
}

Json document_json(const DocumentDifference& d) {
  Json fields = Json::array();
  for (const auto& f : d.fields)
    fields.push_back({{"field", f.field}, {"source", optional_text(f.source)}, {"target", optional_text(f.target)}});
  return {{"class", class_name(d.kind)}, {"key", d.key},     {"source", d.source_docs},
          {"target", d.target_docs},     {"group", d.group}, {"fields", fields},
          {"reason", d.reason}};
}

Json group_json(const GroupTotals& g, const std::vector<std::string>& measures) {
  Json source = {{"count", g.count[0]}}, target = {{"count", g.count[1]}};
  for (size_t m = 0; m < measures.size(); ++m) {
    source[measures[m]] = g.sums[0].at(m);
    target[measures[m]] = g.sums[1].at(m);
  }
  return {{"group", g.group}, {"source", source}, {"target", target}, {"agrees", g.agrees()}};
}

}  // namespace

std::string report_json(const Report& r, bool pretty) {
  Json counts = Json::object();
  for (DiffClass c : kAllClasses) counts[class_name(c)] = r.count(c);
  Json groups = Json::array(), documents = Json::array();
  for (const auto& g : r.groups) groups.push_back(group_json(g, r.measures));
  for (const auto& d : r.documents) documents.push_back(document_json(d));
  Json j = {{"id", r.id},
            {"name", r.name},
            {"description", r.description},
            {"source", r.source_stream},
            {"target", r.target_stream},
            {"flow", r.flow},
            {"started_ms", r.started_ms},
            {"finished_ms", r.finished_ms},
            {"since_ms", r.since_ms ? Json(*r.since_ms) : Json(nullptr)},
            {"until_ms", r.until_ms ? Json(*r.until_ms) : Json(nullptr)},
            {"agrees", r.agrees()},
            {"differences", r.differences()},
            {"error", r.error},
            {"read", {{"source", r.read[0]}, {"target", r.read[1]}}},
            {"in_scope", {{"source", r.in_scope[0]}, {"target", r.in_scope[1]}}},
            {"matched", r.matched},
            {"counts", counts},
            {"group_by", r.group_by},
            {"measures", r.measures},
            {"groups", groups},
            {"documents", documents},
            {"documents_left_out", static_cast<int64_t>(0)},
            {"notes", r.notes}};
  int64_t listed = 0;
  for (const auto& [c, n] : r.counts) listed += n;
  j["documents_left_out"] = listed - static_cast<int64_t>(r.documents.size());
  return pretty ? j.dump(2) : j.dump();
}

Report parse_report_json(const std::string& text) {
  try {
    const Json j = Json::parse(text);
    Report r;
    r.id = j.at("id").get<int64_t>();
    r.name = j.at("name").get<std::string>();
    r.description = j.at("description").get<std::string>();
    r.source_stream = j.at("source").get<std::string>();
    r.target_stream = j.at("target").get<std::string>();
    r.flow = j.at("flow").get<std::string>();
    r.started_ms = j.at("started_ms").get<int64_t>();
    r.finished_ms = j.at("finished_ms").get<int64_t>();
    if (!j.at("since_ms").is_null()) r.since_ms = j["since_ms"].get<int64_t>();
    if (!j.at("until_ms").is_null()) r.until_ms = j["until_ms"].get<int64_t>();
    r.error = j.at("error").get<std::string>();
    r.read = {j.at("read").at("source").get<int64_t>(), j["read"].at("target").get<int64_t>()};
    r.in_scope = {j.at("in_scope").at("source").get<int64_t>(), j["in_scope"].at("target").get<int64_t>()};
    r.matched = j.at("matched").get<int64_t>();
    for (const auto& [name, n] : j.at("counts").items())
      if (auto c = parse_class(name); c && n.get<int64_t>() > 0) r.counts[*c] = n.get<int64_t>();
    r.group_by = j.at("group_by").get<std::vector<std::string>>();
    r.measures = j.at("measures").get<std::vector<std::string>>();
    for (const auto& g : j.at("groups")) {
      GroupTotals t;
      t.group = g.at("group").get<std::vector<std::string>>();
      int side = 0;
      for (const char* name : {"source", "target"}) {
        t.count[side] = g.at(name).at("count").get<int64_t>();
        for (const auto& m : r.measures) t.sums[side].push_back(g[name].at(m).get<std::string>());
        ++side;
      }
      r.groups.push_back(std::move(t));
    }
    for (const auto& d : j.at("documents")) {
      DocumentDifference doc;
      doc.kind = parse_class(d.at("class").get<std::string>()).value_or(DiffClass::Different);
      doc.key = d.at("key").get<std::string>();
      doc.source_docs = d.at("source").get<std::vector<std::string>>();
      doc.target_docs = d.at("target").get<std::vector<std::string>>();
      doc.group = d.at("group").get<std::string>();
      doc.reason = d.at("reason").get<std::string>();
      for (const auto& f : d.at("fields"))
        doc.fields.push_back(
            {f.at("field").get<std::string>(), text_or_null(f.at("source")), text_or_null(f.at("target"))});
      r.documents.push_back(std::move(doc));
    }
    r.notes = j.at("notes").get<std::vector<std::string>>();
    return r;
  } catch (const nlohmann::json::exception& e) {
    throw std::runtime_error(std::string("not a reconciliation report: ") + e.what());
  }
}

std::string summary_line(const Report& r) {
  if (!r.error.empty()) return r.name + ": failed: " + r.error;
  std::string line = r.name + ": " + std::to_string(r.matched) + " matched";
  for (DiffClass c : kAllClasses)
    if (r.count(c)) line += ", " + std::to_string(r.count(c)) + " " + class_name(c);
  return line;
}

}  // namespace synchub::reconcile
