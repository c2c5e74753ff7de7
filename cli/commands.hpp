// `synchub` sub-commands, declared to CLI11 (options, help, usage). Each add_* adds its command
// to `app`; a command line that names it sets `action` to what runs it (returns the exit code).
#pragma once

#include <functional>
#include <string>

namespace CLI {
class App;
}

namespace synchub::cli {

using Action = std::function<int()>;

void add_run_command(CLI::App& app, Action& action);
void add_validate_command(CLI::App& app, Action& action);
void add_schema_command(CLI::App& app, Action& action);
void add_docs_command(CLI::App& app, Action& action);
void add_version_command(CLI::App& app, Action& action);
void add_map_command(CLI::App& app, Action& action);
void add_test_command(CLI::App& app, Action& action);
void add_dlq_command(CLI::App& app, Action& action);
void add_status_command(CLI::App& app, Action& action);
void add_backfill_command(CLI::App& app, Action& action);
void add_bus_command(CLI::App& app, Action& action);
void add_reconcile_command(CLI::App& app, Action& action);
void add_trace_command(CLI::App& app, Action& action);

// "synchub 0.1.0 (connectors: file, rest, ...)"
std::string version_text();

// -c/--config FILE (default synchub.yaml). `positional`: the file may be given as the command's
// argument instead (`synchub validate synchub.yaml`).
void add_config_option(CLI::App& command, std::string& file, bool positional = false);

}  // namespace synchub::cli
