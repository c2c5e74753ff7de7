// Character encodings of the files finance opens (UTF-8, UTF-8 with a BOM for Excel, GB18030)
// and the rule that keeps spreadsheet cells from being read as formulas.
#pragma once

#include <iconv.h>

#include <string>
#include <string_view>

namespace synchub::connectors::file {

enum class Encoding { Utf8, Utf8Bom, Gb18030 };

// "utf-8" | "utf-8-bom" | "gb18030" (the spec checks the value).
Encoding parse_encoding(const std::string& name);

inline constexpr std::string_view kUtf8Bom = "\xEF\xBB\xBF";

// One direction of a conversion by glibc's iconv. Not thread-safe: one per stream.
class Transcoder {
 public:
  Transcoder(const char* to, const char* from);
  ~Transcoder();
  Transcoder(const Transcoder&) = delete;
  Transcoder& operator=(const Transcoder&) = delete;
  // Replaces `out` with `in` converted; false when `in` is not valid in the source encoding
  // (or cannot be held by the target one), with `out` unspecified.
  [[nodiscard]] bool convert(std::string_view in, std::string& out);

 private:
  iconv_t cd_;
};

// Whether a spreadsheet would read the cell as a formula (it starts with = + - @, a tab or a
// carriage return) and it is not a plain number: "-12.50" stays a number, "=HYPERLINK(...)",
// "-1+2" and "@SUM(A1)" are made inert with a leading apostrophe.
bool needs_inert_prefix(std::string_view cell);

}  // namespace synchub::connectors::file
