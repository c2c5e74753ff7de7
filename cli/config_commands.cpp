// validate, schema, docs, version.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>

#include "cli/commands.hpp"
#include "cli/load.hpp"
#include "config/docs.hpp"
#include "config/schema.hpp"
#include "connectors/registry.hpp"

namespace synchub::cli {

namespace {

struct ValidateOptions {
  std::string config;
  bool no_env = false;
};

// "1 flow", "3 flows".
std::string count_of(size_t n, const char* thing) {
  return std::to_string(n) + " " + thing + (n == 1 ? "" : "s");
}

int validate(const ValidateOptions& options) {
  auto config =
      load_config(options.config, options.no_env ? config::ReferenceMode::KeepAll : config::ReferenceMode::Resolve);
  if (!config) return 1;
  size_t streams = 0;
  for (const auto& c : config->connectors) streams += c.streams.size();
  std::printf("%s: OK (%s, %s, %s)\n", config->file.c_str(), count_of(config->connectors.size(), "connector").c_str(),
              count_of(streams, "stream").c_str(), count_of(config->flows.size(), "flow").c_str());
  for (const auto& f : config->flows)
    std::printf("  flow %s: %s -> %s\n", f.name.c_str(), f.from.str().c_str(), f.to.str().c_str());
  if (!config->references.empty()) {
    // What the environment will give at run time: named, never looked up.
    std::printf("%s left as %s (--no-env; resolved and checked when run):\n",
                count_of(config->references.size(), "value").c_str(),
                config->references.size() == 1 ? "a reference" : "references");
    for (const auto& r : config->references)
      std::printf("  %s:%d:%d: %s: %s\n", r.mark.file.c_str(), r.mark.line, r.mark.column, r.path.c_str(),
                  r.unresolved.c_str());
  }
  return 0;
}

struct DocsOptions {
  std::string out = "docs";
};

int write_docs(const DocsOptions& options) {
  const auto files = config::reference_docs(connectors::builtin_registry().specs());
  config::write_docs(options.out, files);
  for (const auto& file : files) std::printf("%s\n", (std::filesystem::path(options.out) / file.path).string().c_str());
  for (const auto& path : config::remove_stale_docs(options.out, files))
    std::printf("removed %s\n", path.string().c_str());
  return 0;
}

}  // namespace

void add_validate_command(CLI::App& app, Action& action) {
  auto options = std::make_shared<ValidateOptions>();
  CLI::App* sub = app.add_subcommand("validate", "Check a config; errors as file:line:col (exit 1 when invalid)");
  sub->footer(
      "Checks the config, the mapping files its flows name and its reconciliations, and prints\n"
      "its flows. --no-env (for CI, where secrets are not set): every ${VAR} and ${file:...} is\n"
      "listed as a reference instead of being looked up (${VAR:-default} gives its default); the rest\n"
      "is checked as usual. Exit status: 0 when valid, 1 when not, 2 on misuse.");
  add_config_option(*sub, options->config, /*positional=*/true);
  sub->add_flag("--no-env", options->no_env, "Read no environment variable nor secret file: list the references");
  sub->callback([&action, options] { action = [options] { return validate(*options); }; });
}

void add_schema_command(CLI::App& app, Action& action) {
  app.add_subcommand("schema", "Print the JSON Schema of the config (for editors)")->callback([&action] {
    action = [] {
      std::cout << config::hub_config_schema(connectors::builtin_registry().specs()).dump(2) << "\n";
      return 0;
    };
  });
}

void add_docs_command(CLI::App& app, Action& action) {
  auto options = std::make_shared<DocsOptions>();
  CLI::App* sub = app.add_subcommand("docs", "Write the reference docs from the specs");
  sub->add_option("-o,--out", options->out, "Folder to write them to")->type_name("DIR")->capture_default_str();
  sub->callback([&action, options] { action = [options] { return write_docs(*options); }; });
}

void add_version_command(CLI::App& app, Action& action) {
  app.add_subcommand("version", "Print the version and the connectors built in")->callback([&action] {
    action = [] {
      std::printf("%s\n", version_text().c_str());
      return 0;
    };
  });
}

}  // namespace synchub::cli
