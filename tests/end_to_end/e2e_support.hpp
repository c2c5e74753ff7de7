#pragma once

#include <map>
#include <string>

#include "examples/generator/orders.hpp"
#include "tests/support/test_support.hpp"

namespace synchub::test {

// A file-to-file hub config in `dir`: inbox/orders -> outbox/sale_orders.
inline std::string write_file_to_file_config(const TempDir& dir, const std::string& flow_extra = "",
                                             const std::string& stream_extra = "") {
  const std::string path = dir.str("synchub.yaml");
  write_file(path, R"(hub:
  name: e2e
  log_level: warn
bus:
  partitions: 2
connectors:
  crm:
    type: file
    streams:
      orders:
        key: order_id
        inbox: inbox/orders
        settle: 0s
        poll_interval: 50ms
)" + stream_extra + R"(  erp:
    type: file
    streams:
      sale_orders:
        outbox: outbox/sale_orders
flows:
  orders:
    from: crm.orders
    to: erp.sale_orders
    batch_size: 100
    retry:
      initial_backoff: 100ms
      max_backoff: 1s
)" + flow_extra);
  return path;
}

// Writes `count` generated orders as `files` inbox files, the way a careful
// writer does (temp name, then rename). Returns order_id -> line.
inline std::map<std::string, std::string> drop_orders(const TempDir& dir, int count, int files, uint64_t seed) {
  std::map<std::string, std::string> by_key;
  const int per_file = count / files;
  for (int f = 0; f < files; ++f) {
    std::string content;
    for (int i = f * per_file; i < (f + 1) * per_file; ++i) {
      std::string order = examples::make_order(static_cast<uint64_t>(i), seed);
      by_key[order.substr(13, 11)] = order;  // {"order_id":"SO-00000042"
      content += order + "\n";
    }
    char name[64];
    std::snprintf(name, sizeof name, "orders-%04d.jsonl", f);
    write_file(dir.path() / "inbox/orders" / (std::string(".") + name), content);
    fs::rename(dir.path() / "inbox/orders" / (std::string(".") + name), dir.path() / "inbox/orders" / name);
  }
  return by_key;
}

inline std::string order_id_of(const std::string& line) {
  const std::string marker = "\"order_id\":\"";
  size_t at = line.find(marker);
  if (at == std::string::npos) return {};
  size_t end = line.find('"', at + marker.size());
  return line.substr(at + marker.size(), end - at - marker.size());
}

}  // namespace synchub::test
