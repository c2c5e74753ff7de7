// synchub: integration hub between a sales system (CRM) and ERP / finance / OA.
#include <cstdio>
#include <exception>
#include <string>

#include "cli/commands.hpp"

namespace {

const char* kUsage = R"(usage: synchub <command> [options]

commands:
  run       -c FILE [--once] [--new-state]   run every flow until SIGINT/SIGTERM (--once: until drained)
  validate  -c FILE              check a config; errors as file:line:col (exit 1 when invalid)
  schema                         print the JSON Schema of the config (for editors)
  docs      [--out DIR]          write the reference docs from the specs (default: docs/)
  map       -m MAPPING [-i IN] [-o OUT]   apply a mapping file offline (dry run)
  test      [PATH...]            run the tests: of mapping files
  dlq       list|show|replay|discard ...   inspect and replay dead letters
  status    [--url URL] [--json] the flows of a running hub (exit 1 when one is failing)
  backfill  FLOW --since DATE    read the flow's source again from DATE (its flows deliver it)
  bus       reset-offsets -c FILE   forget the embedded bus's committed offsets (after its log was lost)
  reconcile -c FILE [NAME] [--since DATE] [--until DATE] [--json|--csv F|--xlsx F]
                                 compare two systems document by document (exit 1 when they differ)
  trace     -c FILE KEY [--depth N] [--json]   a document's path through the flows and what it led to
  version                        print the version
)";

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fputs(kUsage, stderr);
    return 2;
  }
  std::string command = argv[1];
  synchub::cli::Args args(argv + 2, argv + argc);
  try {
    if (command == "run") return synchub::cli::cmd_run(args);
    if (command == "validate") return synchub::cli::cmd_validate(args);
    if (command == "schema") return synchub::cli::cmd_schema(args);
    if (command == "docs") return synchub::cli::cmd_docs(args);
    if (command == "dlq") return synchub::cli::cmd_dlq(args);
    if (command == "map") return synchub::cli::cmd_map(args);
    if (command == "test") return synchub::cli::cmd_test(args);
    if (command == "status") return synchub::cli::cmd_status(args);
    if (command == "backfill") return synchub::cli::cmd_backfill(args);
    if (command == "bus") return synchub::cli::cmd_bus(args);
    if (command == "reconcile") return synchub::cli::cmd_reconcile(args);
    if (command == "trace") return synchub::cli::cmd_trace(args);
    if (command == "version" || command == "--version") return synchub::cli::cmd_version(args);
    if (command == "help" || command == "--help" || command == "-h") {
      std::fputs(kUsage, stdout);
      return 0;
    }
    std::fprintf(stderr, "synchub: unknown command '%s'\n\n%s", command.c_str(), kUsage);
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "synchub %s: %s\n", command.c_str(), e.what());
    return 1;
  }
}
