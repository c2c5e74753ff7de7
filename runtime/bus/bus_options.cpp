// The bus options from the validated `bus` section: every default is the spec's
// (config/hub_config.cpp, bus_fields), filled in by the loader.
#include "config/spec.hpp"
#include "runtime/bus/embedded_bus.hpp"
#include "runtime/bus/kafka_bus.hpp"

namespace synchub::runtime {

KafkaBusOptions KafkaBusOptions::from(const config::Settings& bus, const config::Settings& hub) {
  KafkaBusOptions kafka;
  kafka.bootstrap_servers = bus.str("kafka.bootstrap_servers");
  kafka.group_prefix = "synchub." + hub.str("name") + ".";
  kafka.create_topics = bus.boolean("kafka.create_topics");
  kafka.partitions = static_cast<int>(bus.integer("kafka.partitions"));
  kafka.replication_factor = static_cast<int>(bus.integer("kafka.replication_factor"));
  kafka.delivery_timeout = bus.duration("kafka.delivery_timeout");
  for (const auto& [name, value] : bus.map("kafka.properties")) kafka.properties[name] = value;
  return kafka;
}

EmbeddedBusOptions EmbeddedBusOptions::from(const config::Settings& bus) {
  EmbeddedBusOptions embedded;
  embedded.path = bus.str("path");
  embedded.partitions = static_cast<int>(bus.integer("partitions"));
  embedded.fsync = bus.boolean("fsync");
  embedded.compression = bus.str("compression") == "none" ? Compression::None : Compression::Lz4;
  embedded.retention_age = bus.duration("retention.max_age");
  embedded.retention_bytes = bus.size("retention.max_bytes");
  return embedded;
}

}  // namespace synchub::runtime
