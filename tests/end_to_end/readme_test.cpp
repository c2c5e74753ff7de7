// What the README shows is what the binary does: every config snippet of it, completed onto the
// quick start's config where it is a part of one (tests/support/readme_snippets.py), passes
// `synchub validate`, and its mapping example passes its own `tests:` with `synchub test`.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <sstream>

#include "tests/support/test_support.hpp"

namespace synchub::test {
namespace {

TEST(Readme, EveryConfigSnippetValidatesAndTheMappingExamplePassesItsTests) {
  TempDir dir;
  std::filesystem::create_directory_symlink(SYNCHUB_SOURCE_DIR "/examples/quickstart/mappings",
                                            dir.path() / "mappings");
  const std::string command = "/usr/bin/python3 " SYNCHUB_SOURCE_DIR
                              "/tests/support/readme_snippets.py " SYNCHUB_SOURCE_DIR "/README.md " SYNCHUB_SOURCE_DIR
                              "/examples/quickstart/synchub.yaml " +
                              dir.str() + " > " + dir.str("snippets.txt");
  ASSERT_EQ(std::system(command.c_str()), 0);
  std::istringstream lines(read_file(dir.path() / "snippets.txt"));
  int configs = 0, mappings = 0;
  for (std::string line; std::getline(lines, line);) {
    std::istringstream words(line);
    std::string kind, at, path;
    words >> kind >> at >> path;
    ASSERT_NE(kind, "unknown") << "README.md:" << at << ": a yaml block that is neither a config nor a mapping";
    for (std::string variable; words >> variable;)  // secrets and addresses the snippet refers to
      ::setenv(variable.c_str(), variable == "DEMO_DIR" ? dir.str().c_str() : "set-by-the-test", 1);
    const CommandResult result = run_synchub(kind == "config" ? std::vector<std::string>{"validate", "-c", path}
                                                              : std::vector<std::string>{"test", path});
    EXPECT_EQ(result.exit_code, 0) << "README.md:" << at << " (" << path << ")\n" << result.out << result.err;
    ++(kind == "config" ? configs : mappings);
  }
  EXPECT_GE(configs, 7) << "the README's config snippets were found";
  EXPECT_EQ(mappings, 1) << "the README's mapping example was found";
}

}  // namespace
}  // namespace synchub::test
