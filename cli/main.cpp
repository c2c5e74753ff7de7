// synchub: integration hub between a sales system (CRM) and ERP / finance / OA.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include "cli/commands.hpp"
#include "config/diagnostics.hpp"

namespace {

// "synchub dlq list": the commands the command line named, as far as it was read.
std::string command_path(const CLI::App& app) {
  std::string path = app.get_name();
  for (const CLI::App* at = &app; !at->get_subcommands().empty();) {
    at = at->get_subcommands().front();
    path += " " + at->get_name();
  }
  return path;
}

// Misuse (an unknown command or option, a missing argument): what is wrong, where help is; exit 2.
int usage_error(const CLI::App& app, const CLI::ParseError& e, const std::vector<std::string>& args) {
  const std::string path = command_path(app);
  if (path == app.get_name() && !args.empty() && !args[0].starts_with("-")) {
    std::vector<std::string> commands;
    for (const CLI::App* sub : app.get_subcommands({})) commands.push_back(sub->get_name());
    std::fprintf(stderr, "synchub: unknown command '%s'; %s\nRun 'synchub --help' for the commands.\n", args[0].c_str(),
                 synchub::config::suggest(args[0], commands).c_str());
    return 2;
  }
  if (args.empty()) {
    std::fputs(app.help().c_str(), stderr);
    return 2;
  }
  std::fprintf(stderr, "%s: %s\nRun '%s --help' for its usage.\n", path.c_str(), e.what(), path.c_str());
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "synchub: an integration hub between a sales system (CRM) and ERP, finance and OA systems.\n"
      "Connectors read and write the systems, flows map records between them exactly once.",
      "synchub"};
  app.require_subcommand(1);
  app.set_version_flag("--version", synchub::cli::version_text(), "Print the version and exit");
  app.footer("Run 'synchub COMMAND --help' for a command's options; 'synchub help COMMAND' says the same.");
  synchub::cli::Action action;
  synchub::cli::add_run_command(app, action);
  synchub::cli::add_validate_command(app, action);
  synchub::cli::add_schema_command(app, action);
  synchub::cli::add_docs_command(app, action);
  synchub::cli::add_map_command(app, action);
  synchub::cli::add_test_command(app, action);
  synchub::cli::add_dlq_command(app, action);
  synchub::cli::add_status_command(app, action);
  synchub::cli::add_backfill_command(app, action);
  synchub::cli::add_bus_command(app, action);
  synchub::cli::add_reconcile_command(app, action);
  synchub::cli::add_trace_command(app, action);
  synchub::cli::add_version_command(app, action);

  std::vector<std::string> args(argv + 1, argv + argc);
  // `synchub help [COMMAND...]` is `synchub [COMMAND...] --help`, for commands that exist.
  if (!args.empty() && args[0] == "help") {
    args.erase(args.begin());
    const CLI::App* command = &app;
    for (const std::string& word : args) {
      std::vector<std::string> names;
      for (const CLI::App* sub : command->get_subcommands({})) names.push_back(sub->get_name());
      if (std::find(names.begin(), names.end(), word) == names.end()) {
        std::fprintf(stderr, "synchub help: no command '%s' there; %s\nRun 'synchub --help' for the commands.\n",
                     word.c_str(), synchub::config::suggest(word, names).c_str());
        return 2;
      }
      command = command->get_subcommand(word);
    }
    args.push_back("--help");
  }
  try {
    std::vector<std::string> reversed(args.rbegin(), args.rend());  // CLI11 takes them last first
    app.parse(reversed);
  } catch (const CLI::Success& e) {  // --help, --version
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    return usage_error(app, e, args);
  }
  try {
    return action();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: %s\n", command_path(app).c_str(), e.what());
    return 1;
  }
}
