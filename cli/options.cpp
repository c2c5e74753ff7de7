#include <algorithm>

#include "cli/commands.hpp"

namespace synchub::cli {

bool take_flag(Args& args, const std::string& long_name, const std::string& short_name) {
  auto it = std::find_if(args.begin(), args.end(), [&](const std::string& a) {
    return a == long_name || (!short_name.empty() && a == short_name);
  });
  if (it == args.end()) return false;
  args.erase(it);
  return true;
}

bool take_option(Args& args, const std::string& long_name, const std::string& short_name, std::string& value) {
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a.rfind(long_name + "=", 0) == 0) {
      value = a.substr(long_name.size() + 1);
      args.erase(args.begin() + static_cast<long>(i));
      return true;
    }
    if ((a == long_name || (!short_name.empty() && a == short_name)) && i + 1 < args.size()) {
      value = args[i + 1];
      args.erase(args.begin() + static_cast<long>(i), args.begin() + static_cast<long>(i) + 2);
      return true;
    }
  }
  return false;
}

}  // namespace synchub::cli
