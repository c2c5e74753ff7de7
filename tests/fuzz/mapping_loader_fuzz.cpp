// libFuzzer target: any mapping file either loads or is reported as
// ConfigError; loaded plans map a record (or report why not) without crashing.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <fstream>
#include <string>

#include "config/diagnostics.hpp"
#include "mapping/plan.hpp"

using namespace synchub::mapping;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::string path = "/tmp/synchub-fuzz-mapping-" + std::to_string(getpid()) + ".yaml";
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  }
  std::shared_ptr<const Plan> plan;
  try {
    plan = load_mapping(path);
  } catch (const synchub::config::ConfigError&) {
    return 0;
  } catch (const std::exception&) {  // yaml-cpp conversions of odd input
    return 0;
  }
  PlanRunner runner(plan);
  std::string out, key, error;
  // Any outcome will do (an odd plan fails most records): the target looks for crashes.
  (void)runner.run(R"({"id":"1","status":"draft","lines":[{"qty":"2.5","price":1.10}],"customer":{"id":"C1"}})", out,
                   key, error);
  for (const auto& t : plan->tests) (void)runner.run(t.input, out, key, error);
  return 0;
}
