// `synchub` sub-commands. Each returns the process exit code.
#pragma once

#include <string>
#include <vector>

namespace synchub::cli {

using Args = std::vector<std::string>;

int cmd_run(const Args& args);
int cmd_validate(const Args& args);
int cmd_schema(const Args& args);
int cmd_docs(const Args& args);
int cmd_version(const Args& args);
int cmd_dlq(const Args& args);
int cmd_map(const Args& args);
int cmd_test(const Args& args);
int cmd_status(const Args& args);
int cmd_backfill(const Args& args);
int cmd_bus(const Args& args);
int cmd_reconcile(const Args& args);
int cmd_trace(const Args& args);

// Small helpers for option parsing: "--name value" / "-n value".
bool take_flag(Args& args, const std::string& long_name, const std::string& short_name = "");
bool take_option(Args& args, const std::string& long_name, const std::string& short_name, std::string& value);

}  // namespace synchub::cli
