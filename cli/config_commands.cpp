// validate, schema, docs, version.
#include <cstdio>
#include <filesystem>
#include <iostream>

#include "cli/commands.hpp"
#include "cli/load.hpp"
#include "config/docs.hpp"
#include "config/schema.hpp"
#include "connectors/registry.hpp"

#ifndef SYNCHUB_VERSION
#define SYNCHUB_VERSION "0.0.0"
#endif

namespace synchub::cli {

int cmd_validate(const Args& raw) {
  Args args = raw;
  auto config = load_config(args);
  if (!config) return 1;
  size_t streams = 0;
  for (const auto& c : config->connectors) streams += c.streams.size();
  std::printf("%s: OK (%zu connectors, %zu streams, %zu flows)\n", config->file.c_str(), config->connectors.size(),
              streams, config->flows.size());
  for (const auto& f : config->flows)
    std::printf("  flow %s: %s -> %s\n", f.name.c_str(), f.from.str().c_str(), f.to.str().c_str());
  return 0;
}

int cmd_schema(const Args&) {
  std::cout << config::hub_config_schema(connectors::builtin_registry().specs()).dump(2) << "\n";
  return 0;
}

int cmd_docs(const Args& raw) {
  Args args = raw;
  std::string out = "docs";
  take_option(args, "--out", "-o", out);
  if (!args.empty()) {
    std::fprintf(stderr, "synchub docs: unexpected argument '%s' (usage: synchub docs [--out DIR])\n",
                 args.front().c_str());
    return 2;
  }
  const auto files = config::reference_docs(connectors::builtin_registry().specs());
  config::write_docs(out, files);
  for (const auto& file : files) std::printf("%s\n", (std::filesystem::path(out) / file.path).string().c_str());
  for (const auto& path : config::remove_stale_docs(out, files)) std::printf("removed %s\n", path.string().c_str());
  return 0;
}

int cmd_version(const Args&) {
  std::string connectors;
  for (const auto& n : connectors::builtin_registry().registered_names())
    connectors += (connectors.empty() ? "" : ", ") + n;
  std::printf("synchub %s (connectors: %s)\n", SYNCHUB_VERSION, connectors.c_str());
  return 0;
}

}  // namespace synchub::cli
