#include "connectors/file/encoding.hpp"

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace synchub::connectors::file {

Encoding parse_encoding(const std::string& name) {
  if (name == "utf-8-bom") return Encoding::Utf8Bom;
  if (name == "gb18030") return Encoding::Gb18030;
  return Encoding::Utf8;
}

Transcoder::Transcoder(const char* to, const char* from) : cd_(::iconv_open(to, from)) {
  if (cd_ == reinterpret_cast<iconv_t>(-1))
    throw std::runtime_error(std::string("cannot convert ") + from + " to " + to + ": " + std::strerror(errno));
}

Transcoder::~Transcoder() {
  ::iconv_close(cd_);
}

bool Transcoder::convert(std::string_view in, std::string& out) {
  ::iconv(cd_, nullptr, nullptr, nullptr, nullptr);  // initial shift state
  out.resize(in.size() * 2 + 16);                    // GB18030 takes at most 4 bytes where UTF-8 takes 2 to 4
  char* src = const_cast<char*>(in.data());          // iconv's signature; it does not write the input
  size_t src_left = in.size();
  size_t done = 0;
  while (true) {
    char* dst = out.data() + done;
    size_t dst_left = out.size() - done;
    const size_t r = ::iconv(cd_, &src, &src_left, &dst, &dst_left);
    done = out.size() - dst_left;
    if (r != static_cast<size_t>(-1)) break;
    if (errno != E2BIG) return false;  // EILSEQ: an invalid sequence; EINVAL: one cut at the end
    out.resize(out.size() * 2);
  }
  out.resize(done);
  return true;
}

bool needs_inert_prefix(std::string_view cell) {
  if (cell.empty()) return false;
  const char first = cell[0];
  if (first != '=' && first != '+' && first != '-' && first != '@' && first != '\t' && first != '\r') return false;
  // A plain number: [+-]digits[.digits]. Spreadsheets read it as the number it is.
  size_t i = (first == '+' || first == '-') ? 1 : 0;
  const size_t int_start = i;
  while (i < cell.size() && cell[i] >= '0' && cell[i] <= '9') ++i;
  if (i == int_start) return true;
  if (i < cell.size() && cell[i] == '.') {
    const size_t frac_start = ++i;
    while (i < cell.size() && cell[i] >= '0' && cell[i] <= '9') ++i;
    if (i == frac_start) return true;
  }
  return i != cell.size();
}

}  // namespace synchub::connectors::file
