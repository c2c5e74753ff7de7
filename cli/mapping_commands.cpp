// synchub map / synchub test: run mapping files offline.
#include <yaml-cpp/yaml.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "config/diagnostics.hpp"
#include "mapping/json_writer.hpp"
#include "mapping/plan.hpp"
#include "mapping/record.hpp"
#include "runtime/state/state_xref.hpp"

namespace synchub::cli {
namespace {

class FixtureXref final : public mapping::XrefResolver {
 public:
  explicit FixtureXref(const std::string& file) {
    YAML::Node rows = YAML::LoadFile(file);
    if (!rows.IsSequence()) throw std::runtime_error(file + ": expected a list of {entity, from, id, to, target}");
    for (const auto& r : rows) {
      for (const char* k : {"entity", "from", "id", "to", "target"})
        if (!r[k]) throw std::runtime_error(file + ":" + std::to_string(r.Mark().line + 1) + ": missing '" + k + "'");
      map_[r["entity"].as<std::string>() + '\n' + r["from"].as<std::string>() + '\n' + r["to"].as<std::string>() +
           '\n' + r["id"].as<std::string>()] = r["target"].as<std::string>();
    }
  }
  std::optional<std::string> find(const std::string& entity, const std::string& from, const std::string& to,
                                  const std::string& id) override {
    auto it = map_.find(entity + '\n' + from + '\n' + to + '\n' + id);
    if (it == map_.end()) return std::nullopt;
    return it->second;
  }

 private:
  std::map<std::string, std::string> map_;
};

// The cross-references a mapping test case lists (either direction).
class CaseXref final : public mapping::XrefResolver {
 public:
  explicit CaseXref(const std::vector<mapping::XrefFixture>& rows) : rows_(rows) {}
  std::optional<std::string> find(const std::string& entity, const std::string& from, const std::string& to,
                                  const std::string& id) override {
    for (const auto& r : rows_) {
      if (r.entity != entity) continue;
      if (r.from == from && r.to == to && r.id == id) return r.target;
      if (r.from == to && r.to == from && r.target == id) return r.id;
    }
    return std::nullopt;
  }

 private:
  const std::vector<mapping::XrefFixture>& rows_;
};

// Cross references from a synchub state database.
class StateFileXref final : public mapping::XrefResolver {
 public:
  explicit StateFileXref(const std::string& file) : state_(runtime::open_sqlite_state(file, false)), xref_(*state_) {}
  std::optional<std::string> find(const std::string& entity, const std::string& from, const std::string& to,
                                  const std::string& id) override {
    return xref_.find(entity, from, to, id);
  }

 private:
  std::unique_ptr<runtime::StateStore> state_;
  runtime::StateXref xref_;
};

bool print_config_error(const config::ConfigError& e) {
  for (const auto& d : e.diagnostics()) std::fprintf(stderr, "%s\n", d.str().c_str());
  return false;
}

// Input is read and output written in pieces this size: small enough that the
// records being mapped stay in the CPU's cache (1 MiB pieces mapped 10-15% slower).
constexpr size_t kBufferBytes = 64 * 1024;

struct MapCounts {
  int64_t mapped = 0, skipped = 0, failed = 0;
};

class MapSession {
 public:
  MapSession(mapping::PlanRunner& runner, std::FILE* out) : runner_(runner), out_(out) {}

  // `readable_after`: bytes of the caller's buffer after `text` (see Document::parse)
  void record(std::string_view text, int64_t line, size_t readable_after = 0) {
    size_t before = buffer_.size();
    key_.clear();
    error_.clear();
    switch (runner_.run(text, buffer_, key_, error_, readable_after)) {
      case mapping::MapStatus::Mapped:
        buffer_ += '\n';
        ++counts.mapped;
        break;
      case mapping::MapStatus::Skipped:
        buffer_.resize(before);
        ++counts.skipped;
        break;
      case mapping::MapStatus::Failed:
      case mapping::MapStatus::MissingReference: {
        buffer_.resize(before);
        ++counts.failed;
        std::string report = "{\"line\":" + std::to_string(line);
        if (!key_.empty()) {
          report += ",\"key\":";
          mapping::append_json_string(report, key_);
        }
        report += ",\"error\":";
        mapping::append_json_string(report, mapping::is_valid_utf8(error_) ? error_ : "record is not valid UTF-8");
        report += "}\n";
        std::fputs(report.c_str(), stderr);
      }
    }
    if (buffer_.size() > kBufferBytes) flush();
  }
  void flush() {
    if (!buffer_.empty() && std::fwrite(buffer_.data(), 1, buffer_.size(), out_) != buffer_.size())
      throw std::runtime_error("cannot write the output: " + std::string(std::strerror(errno)));
    buffer_.clear();
  }
  MapCounts counts;

 private:
  mapping::PlanRunner& runner_;
  std::FILE* out_;
  std::string buffer_, key_, error_;
};

std::string trim(std::string_view s) {
  while (!s.empty() && (s.back() == '\r' || s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  return std::string(s);
}

// A JSON array or one object, read whole: each element is one record.
void map_document(MapSession& session, const std::string& all) {
  mapping::Document doc;
  std::string reason = doc.parse(all);
  if (!reason.empty()) throw std::runtime_error("input is neither JSON lines nor one JSON value: " + reason);
  if (doc.root().kind == mapping::JsonKind::Object) {
    session.record(all, 1);
    return;
  }
  std::vector<std::string> elements;
  uint32_t child = mapping::Document::first_child(doc.root_index());
  for (uint32_t i = 0; i < doc.root().count; ++i) {
    std::string text;
    mapping::write_node(text, doc, child);
    elements.push_back(std::move(text));
    child = doc.at(child).next;
  }
  for (size_t i = 0; i < elements.size(); ++i) session.record(elements[i], static_cast<int64_t>(i + 1));
}

// The input not yet mapped. Grown without zero-filling: std::string::resize
// would clear every megabyte before fread overwrites it.
class InputBuffer {
 public:
  // Appends up to `n` bytes read from `in`; false at the end of the input.
  bool read(std::FILE* in, size_t n) {
    if (size_ + n > capacity_) {
      capacity_ = std::max(capacity_ * 2, size_ + n);
      auto grown = std::make_unique_for_overwrite<char[]>(capacity_);
      if (size_) std::memcpy(grown.get(), data_.get(), size_);
      data_ = std::move(grown);
    }
    const size_t got = std::fread(data_.get() + size_, 1, n, in);
    size_ += got;
    return got > 0;
  }
  void drop_front(size_t n) {
    std::memmove(data_.get(), data_.get() + n, size_ - n);
    size_ -= n;
  }
  std::string_view view() const { return {data_.get(), size_}; }

 private:
  std::unique_ptr<char[]> data_;
  size_t size_ = 0, capacity_ = 0;
};

void map_stream(MapSession& session, std::FILE* in) {
  constexpr size_t kChunk = kBufferBytes;
  InputBuffer pending;
  int64_t line = 0;
  bool first = true;
  while (pending.read(in, kChunk)) {
    std::string_view all = pending.view();
    if (first) {
      // JSON lines unless the input starts like a multi-line document.
      size_t start = all.find_first_not_of(" \t\r\n");
      if (start == std::string::npos) continue;
      first = false;
      size_t eol = all.find('\n', start);
      bool whole = all[start] == '[';
      if (!whole && all[start] == '{' && eol != std::string::npos) {
        std::string head = trim(all.substr(start, eol - start));
        whole = head.empty() || head.back() != '}';
      }
      if (whole) {
        while (pending.read(in, kChunk)) {
        }
        map_document(session, std::string(pending.view()));
        return;
      }
    }
    size_t pos = 0, eol;
    while ((eol = all.find('\n', pos)) != std::string::npos) {
      ++line;
      std::string_view text(all.data() + pos, eol - pos);
      if (!text.empty() && text.back() == '\r') text.remove_suffix(1);
      if (text.find_first_not_of(" \t") != std::string_view::npos) session.record(text, line, all.size() - eol);
      pos = eol + 1;
    }
    pending.drop_front(pos);
  }
  std::string_view rest = pending.view();
  if (first && rest.find_first_not_of(" \t\r\n") != std::string::npos) {
    map_document(session, std::string(rest));
    return;
  }
  if (rest.find_first_not_of(" \t\r\n") != std::string::npos) session.record(trim(rest), line + 1);
}

struct MapOptions {
  std::string mapping_file, input = "-", output = "-", xref_file, state_file;
};

int map_records(const MapOptions& options) {
  const std::string &mapping_file = options.mapping_file, &input = options.input, &output = options.output;
  const std::string &xref_file = options.xref_file, &state_file = options.state_file;
  std::shared_ptr<const mapping::Plan> plan;
  try {
    plan = mapping::load_mapping(mapping_file);
  } catch (const config::ConfigError& e) {
    print_config_error(e);
    return 1;
  }
  std::unique_ptr<mapping::XrefResolver> xref;
  if (!xref_file.empty()) xref = std::make_unique<FixtureXref>(xref_file);
  if (!state_file.empty()) xref = std::make_unique<StateFileXref>(state_file);
  mapping::PlanRunner runner(plan, xref.get());

  std::FILE* in = input == "-" ? stdin : std::fopen(input.c_str(), "rb");
  if (!in) throw std::runtime_error("cannot read " + input + ": " + std::strerror(errno));
  std::FILE* out = output == "-" ? stdout : std::fopen(output.c_str(), "wb");
  if (!out) throw std::runtime_error("cannot write " + output + ": " + std::strerror(errno));
  MapSession session(runner, out);
  map_stream(session, in);
  session.flush();
  if (in != stdin) std::fclose(in);
  if (out != stdout && std::fclose(out) != 0) throw std::runtime_error("cannot write " + output);
  std::fflush(stdout);
  std::fprintf(stderr, "synchub map: %lld mapped, %lld filtered out, %lld failed\n",
               static_cast<long long>(session.counts.mapped), static_cast<long long>(session.counts.skipped),
               static_cast<long long>(session.counts.failed));
  return session.counts.failed > 0 ? 1 : 0;
}

// Differences between expected and actual JSON, one line per path.
void diff(const nlohmann::ordered_json& want, const nlohmann::ordered_json& got, const std::string& path,
          std::vector<std::string>& out) {
  auto at = [&](const std::string& p) { return p.empty() ? std::string("(record)") : p; };
  if (want.is_object() && got.is_object()) {
    for (auto it = want.begin(); it != want.end(); ++it) {
      std::string p = path.empty() ? it.key() : path + "." + it.key();
      if (!got.contains(it.key()))
        out.push_back(at(p) + ": missing (expected " + it.value().dump() + ")");
      else
        diff(it.value(), got[it.key()], p, out);
    }
    for (auto it = got.begin(); it != got.end(); ++it)
      if (!want.contains(it.key()))
        out.push_back(at(path.empty() ? it.key() : path + "." + it.key()) + ": unexpected " + it.value().dump());
    return;
  }
  if (want.is_array() && got.is_array()) {
    for (size_t i = 0; i < std::max(want.size(), got.size()); ++i) {
      std::string p = path + "[" + std::to_string(i) + "]";
      if (i >= got.size())
        out.push_back(p + ": missing (expected " + want[i].dump() + ")");
      else if (i >= want.size())
        out.push_back(p + ": unexpected " + got[i].dump());
      else
        diff(want[i], got[i], p, out);
    }
    return;
  }
  if (want != got || want.type() != got.type())
    out.push_back(at(path) + ": expected " + want.dump() + ", got " + got.dump());
}

// Numbers are compared as written (100.10 is not 100.1): parse them as text.
nlohmann::ordered_json parse_exact(const std::string& text) {
  std::string marked;
  mapping::Document doc;
  if (!doc.parse(text).empty()) return nlohmann::ordered_json::parse(text);
  std::function<nlohmann::ordered_json(uint32_t)> build = [&](uint32_t i) -> nlohmann::ordered_json {
    const auto& n = doc.at(i);
    switch (n.kind) {
      case mapping::JsonKind::Null: return nullptr;
      case mapping::JsonKind::Bool: return n.boolean;
      case mapping::JsonKind::Number: {  // compared as written: carried as marked text
        std::string marked(1, '\x01');
        marked.append(n.text());
        return marked;
      }
      case mapping::JsonKind::String: return std::string(n.text());
      case mapping::JsonKind::Object: {
        nlohmann::ordered_json o = nlohmann::ordered_json::object();
        uint32_t c = i + 1;
        for (uint32_t k = 0; k < n.count; ++k) {
          o[std::string(doc.at(c).key())] = build(c);
          c = doc.at(c).next;
        }
        return o;
      }
      case mapping::JsonKind::Array: {
        nlohmann::ordered_json a = nlohmann::ordered_json::array();
        uint32_t c = i + 1;
        for (uint32_t k = 0; k < n.count; ++k) {
          a.push_back(build(c));
          c = doc.at(c).next;
        }
        return a;
      }
    }
    return nullptr;
  };
  return build(0);
}

std::string readable(std::string s) {
  // decimal numbers were carried as "\u0001<digits>" strings: show them as numbers again
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s.compare(i, 7, "\"\\u0001") == 0) {
      size_t end = s.find('"', i + 7);
      out += s.substr(i + 7, end - i - 7);
      i = end;
    } else {
      out += s[i];
    }
  }
  return out;
}

void collect(const std::filesystem::path& p, std::vector<std::string>& files) {
  if (std::filesystem::is_directory(p)) {
    std::vector<std::string> found;
    for (const auto& e : std::filesystem::recursive_directory_iterator(p)) {
      auto ext = e.path().extension();
      if (!e.is_regular_file() || (ext != ".yaml" && ext != ".yml")) continue;
      try {
        YAML::Node n = YAML::LoadFile(e.path().string());
        if (n.IsMap() && n["tests"] && n["fields"]) found.push_back(e.path().string());
      } catch (const std::exception&) {
        found.push_back(e.path().string());  // let the loader report it
      }
    }
    std::sort(found.begin(), found.end());
    files.insert(files.end(), found.begin(), found.end());
  } else {
    files.push_back(p.string());
  }
}

int test_mappings(const std::vector<std::string>& paths) {
  std::vector<std::string> files;
  for (const auto& a : paths) collect(a, files);
  int passed = 0, failed = 0;
  for (const auto& file : files) {
    std::shared_ptr<const mapping::Plan> plan;
    try {
      plan = mapping::load_mapping(file);
    } catch (const config::ConfigError& e) {
      print_config_error(e);
      ++failed;
      continue;
    }
    for (const auto& t : plan->tests) {
      CaseXref xref(t.xref);
      mapping::PlanRunner runner(plan, &xref);
      std::string out, key, error;
      mapping::MapStatus status = runner.run(t.input, out, key, error);
      if (status == mapping::MapStatus::MissingReference) status = mapping::MapStatus::Failed;
      std::vector<std::string> problems;
      if (t.expect_skip) {
        if (status != mapping::MapStatus::Skipped)
          problems.push_back(status == mapping::MapStatus::Failed
                                 ? "expected the filter to skip it, got error: " + error
                                 : "expected the filter to skip it, got " + out);
      } else if (t.expect_error) {
        if (status != mapping::MapStatus::Failed)
          problems.push_back("expected error containing \"" + *t.expect_error + "\", got " +
                             (status == mapping::MapStatus::Skipped ? "filtered out" : out));
        else if (error.find(*t.expect_error) == std::string::npos)
          problems.push_back("expected error containing \"" + *t.expect_error + "\", got \"" + error + "\"");
      } else if (status == mapping::MapStatus::Failed) {
        problems.push_back("mapping failed: " + error);
      } else if (status == mapping::MapStatus::Skipped) {
        problems.push_back("the filter skipped the record");
      } else {
        std::vector<std::string> lines;
        diff(parse_exact(*t.expect), parse_exact(out), "", lines);
        for (auto& l : lines) problems.push_back(readable(l));
      }
      if (problems.empty()) {
        ++passed;
        std::printf("PASS %s:%d %s\n", file.c_str(), t.line, t.name.c_str());
      } else {
        ++failed;
        std::printf("FAIL %s:%d %s\n", file.c_str(), t.line, t.name.c_str());
        for (const auto& p : problems) std::printf("    %s\n", p.c_str());
      }
    }
  }
  std::printf("%d passed, %d failed\n", passed, failed);
  return failed > 0 || passed == 0 ? 1 : 0;
}

}  // namespace

void add_map_command(CLI::App& app, Action& action) {
  auto options = std::make_shared<MapOptions>();
  CLI::App* sub = app.add_subcommand("map", "Apply a mapping file to records offline (a dry run)");
  sub->footer(
      "Reads JSON lines (one record per line), a JSON array or one JSON object. Mapped records go to\n"
      "the output as JSON lines; records that cannot be mapped are reported on stderr as JSON\n"
      "({\"line\", \"key\", \"error\"}). Exit status: 0 when every record mapped (or was filtered out),\n"
      "1 otherwise, 2 on misuse.");
  sub->add_option("-m,--mapping", options->mapping_file, "The mapping file")->type_name("MAPPING")->required();
  sub->add_option("-i,--input", options->input, "Records to map (-: standard input)")
      ->type_name("FILE")
      ->capture_default_str();
  sub->add_option("-o,--output", options->output, "Where the mapped records go (-: standard output)")
      ->type_name("FILE")
      ->capture_default_str();
  CLI::Option* xref =
      sub->add_option("--xref", options->xref_file,
                      "Cross references for lookups: a YAML/JSON list of {entity, from, id, to, target}")
          ->type_name("FILE");
  sub->add_option("--state", options->state_file, "Read cross references from a synchub state database")
      ->type_name("FILE")
      ->excludes(xref);
  sub->callback([&action, options] { action = [options] { return map_records(*options); }; });
}

void add_test_command(CLI::App& app, Action& action) {
  auto paths = std::make_shared<std::vector<std::string>>();
  CLI::App* sub = app.add_subcommand("test", "Run the tests: of mapping files");
  sub->footer(
      "Runs the tests: section of each mapping file (folders are searched for *.yaml / *.yml files\n"
      "that have one). Prints one line per case; exit 1 if any fail.");
  sub->add_option("path", *paths, "Mapping files and folders (default: .)")->type_name("PATH");
  sub->callback([&action, paths] {
    if (paths->empty()) paths->push_back(".");
    action = [paths] { return test_mappings(*paths); };
  });
}

}  // namespace synchub::cli
