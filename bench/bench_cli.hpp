// What the benchmark programs share on their command lines: CLI11, as synchub and its tools use
// it (--help prints usage and exits 0; an unknown option or a bad value is a usage error, exit 2,
// with a pointer to --help), numbers read strictly, and the scratch folder a run works in.
#pragma once

#include <stdlib.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <system_error>

namespace synchub::bench {

// Parses the command line into `app`'s options. Returns the code to exit with when the program is
// to end here (0 after --help, 2 after a usage error, said on stderr), nothing when it is to run.
inline std::optional<int> parse_command_line(CLI::App& app, int argc, char** argv) {
  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {  // --help
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    const std::string name = app.get_name();
    std::fprintf(stderr, "%s: %s\nRun '%s --help' for usage.\n", name.c_str(), e.what(), name.c_str());
    return 2;
  }
  return std::nullopt;
}

// A whole number from `min` up to what T holds, written in decimal digits. CLI11 2.1 itself would
// read "-5" into an unsigned as 18446744073709551611, "0x10" as 16 and a number too big for T as
// T's maximum.
template <typename T>
CLI::Validator whole_number(T min) {
  return CLI::Validator(
      [min](std::string& text) -> std::string {
        T value{};
        const char* end = text.data() + text.size();
        const auto [stop, error] = std::from_chars(text.data(), end, value);
        const bool digits = !text.empty() && text.find_first_not_of("0123456789") == std::string::npos;
        if (!digits || stop != end) return "'" + text + "' is not a whole number";
        if (error == std::errc::result_out_of_range) return "'" + text + "' is too big";
        if (value < min) return "'" + text + "' is less than " + std::to_string(min);
        return "";
      },
      "");  // the help text says the bounds
}

// A finite number above zero (a rate), in decimal notation: not "nan", "inf" nor "0".
inline CLI::Validator positive_number() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        double value = 0;
        const char* end = text.data() + text.size();
        const auto [stop, error] = std::from_chars(text.data(), end, value, std::chars_format::fixed);
        if (text.empty() || error != std::errc() || stop != end || !std::isfinite(value))
          return "'" + text + "' is not a number";
        if (value <= 0) return "'" + text + "' is not above 0";
        return "";
      },
      "");
}

// A switch: "on" or "off" (not the dozen spellings CLI11 reads into a bool).
inline CLI::Validator on_or_off() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        return text == "on" || text == "off" ? "" : "'" + text + "' is neither on nor off";
      },
      "");
}

// A folder this process may make folders in (a ScratchDir's parent).
inline CLI::Validator writable_directory() {
  return CLI::Validator(
      [](std::string& path) -> std::string {
        std::error_code error;
        if (!std::filesystem::is_directory(path, error)) return "no folder '" + path + "'";
        if (::access(path.c_str(), W_OK | X_OK) != 0) return "cannot write in '" + path + "'";
        return "";
      },
      "");
}

// A new folder under `parent` (mkdtemp), removed with what is in it when this goes: a run never
// clears a folder it did not make.
class ScratchDir {
 public:
  ScratchDir(const std::filesystem::path& parent, const std::string& prefix) {
    std::string pattern = (parent / (prefix + ".XXXXXX")).string();
    if (!::mkdtemp(pattern.data()))
      throw std::runtime_error("cannot make a folder under " + parent.string() + ": " +
                               std::generic_category().message(errno));
    path_ = pattern;
  }
  ~ScratchDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace synchub::bench
