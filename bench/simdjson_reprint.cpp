// The parse-and-print ceiling of bench/mapping: each JSON line parsed by
// simdjson's DOM parser and printed back minified, nothing mapped. The mapping
// issue names this (about 150,000 orders/s where it was measured) as the
// practical ceiling, so bench/mapping runs it on the same machine beside
// `synchub map` to show how close the mapping comes.
// usage: synchub-bench-simdjson-reprint < orders.jsonl > out.jsonl
#include <simdjson.h>

#include <cstdio>
#include <iostream>
#include <string>

#include "bench/bench_cli.hpp"

int main(int argc, char** argv) {
  CLI::App app{
      "synchub-bench-simdjson-reprint: each JSON line of stdin parsed by simdjson and printed back minified on "
      "stdout, nothing mapped (the ceiling bench/mapping compares `synchub map` with). Takes no arguments.",
      "synchub-bench-simdjson-reprint"};
  if (auto exit_code = synchub::bench::parse_command_line(app, argc, argv)) return *exit_code;
  std::ios::sync_with_stdio(false);
  simdjson::dom::parser parser;
  std::string line;
  line.reserve(1 << 16);
  size_t bad = 0;
  while (std::getline(std::cin, line)) {
    if (line.empty()) continue;
    // The string's spare capacity serves as simdjson's padding when it is big
    // enough; otherwise parse() copies the line.
    simdjson::dom::element record;
    if (parser.parse(line.data(), line.size(), line.capacity() - line.size() < simdjson::SIMDJSON_PADDING)
            .get(record)) {
      ++bad;
      continue;
    }
    std::string printed = simdjson::to_string(record);
    printed += '\n';
    std::fwrite(printed.data(), 1, printed.size(), stdout);
  }
  if (bad) std::fprintf(stderr, "%zu lines were not JSON\n", bad);
  return bad ? 1 : 0;
}
