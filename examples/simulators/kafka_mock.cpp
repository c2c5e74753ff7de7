// synchub-kafka-mock: librdkafka's mock Kafka cluster (rdkafka_mock.h) as a
// process of its own, so that several synchub processes, kcat and the tests
// can share it. Prints its bootstrap servers on the first line of stdout and
// serves until SIGTERM/SIGINT (also after stdin closes). Commands on stdin (one per line, each
// answered "ok" or "error: ..." on stdout):
//   topic NAME PARTITIONS REPLICATION   create a topic
//   down BROKER | up BROKER             take a broker (1..N) down or up
//   rtt BROKER MS                       add round-trip time to a broker
//   errors API_KEY ERROR COUNT          the next COUNT requests of API_KEY
//                                       (0 Produce, 1 Fetch, 8 OffsetCommit...) fail with ERROR (a code)
// usage: synchub-kafka-mock [BROKERS]   (default 3)
#include <dlfcn.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <csignal>
#include <cstdio>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

// Kafka brokers answer with Nagle off (TCP_NODELAY); the mock brokers leave it on, so a second
// response behind an unacknowledged first waits out the client's delayed ACK (40 ms), and every
// publish that waits for its delivery reports would measure that. This program's accept() (which
// the mock cluster's listener calls) turns Nagle off on each connection it accepts.
extern "C" int accept(int listener, struct sockaddr* address, socklen_t* length) {
  using Accept = int (*)(int, struct sockaddr*, socklen_t*);
  static const auto libc_accept = reinterpret_cast<Accept>(dlsym(RTLD_NEXT, "accept"));
  const int connection = libc_accept(listener, address, length);
  if (connection >= 0) {
    int on = 1;
    setsockopt(connection, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
  }
  return connection;
}

namespace {
volatile std::sig_atomic_t g_stop = 0;
extern "C" void on_signal(int) {
  g_stop = 1;
}
}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "synchub-kafka-mock: librdkafka's mock Kafka cluster as a process, for tests and trying the Kafka bus.\n"
      "Prints its bootstrap servers on the first line and serves until SIGTERM/SIGINT. Commands on stdin,\n"
      "one a line, each answered \"ok\" or \"error: ...\":\n"
      "  topic NAME PARTITIONS REPLICATION   create a topic\n"
      "  down BROKER | up BROKER             take a broker (1..N) down or up\n"
      "  rtt BROKER MS                       add round-trip time to a broker\n"
      "  errors API_KEY ERROR COUNT          the next COUNT requests of API_KEY fail with ERROR (a code)",
      "synchub-kafka-mock"};
  int brokers = 3;
  app.add_option("brokers", brokers, "How many brokers")
      ->type_name("BROKERS")
      ->capture_default_str()
      ->check(CLI::Range(1, 64));
  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {  // --help
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "synchub-kafka-mock: %s\nRun 'synchub-kafka-mock --help' for usage.\n", e.what());
    return 2;
  }
  char error[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "log_level", "3", nullptr, 0);
  rd_kafka_t* handle = rd_kafka_new(RD_KAFKA_PRODUCER, conf, error, sizeof error);  // hosts the cluster only
  if (!handle) {
    std::fprintf(stderr, "rd_kafka_new: %s\n", error);
    return 1;
  }
  rd_kafka_mock_cluster_t* cluster = rd_kafka_mock_cluster_new(handle, brokers);
  if (!cluster) {
    std::fprintf(stderr, "cannot create the mock cluster\n");
    return 1;
  }
  std::signal(SIGPIPE, SIG_IGN);
  struct sigaction action {};  // no SA_RESTART: a signal ends the blocking read of stdin
  action.sa_handler = on_signal;
  sigaction(SIGTERM, &action, nullptr);
  sigaction(SIGINT, &action, nullptr);
  std::printf("%s\n", rd_kafka_mock_cluster_bootstraps(cluster));
  std::fflush(stdout);

  for (std::string line; !g_stop && std::getline(std::cin, line);) {
    std::istringstream in(line);
    std::string command;
    in >> command;
    rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR_NO_ERROR;
    if (command == "topic") {
      std::string name;
      int partitions = 1, replication = 1;
      in >> name >> partitions >> replication;
      err = rd_kafka_mock_topic_create(cluster, name.c_str(), partitions, replication);
    } else if (command == "down" || command == "up") {
      int broker = 0;
      in >> broker;
      err = command == "down" ? rd_kafka_mock_broker_set_down(cluster, broker)
                              : rd_kafka_mock_broker_set_up(cluster, broker);
    } else if (command == "rtt") {
      int broker = 0, ms = 0;
      in >> broker >> ms;
      err = rd_kafka_mock_broker_set_rtt(cluster, broker, ms);
    } else if (command == "errors") {
      int api_key = 0, code = 0;
      size_t count = 0;
      in >> api_key >> code >> count;
      std::vector<rd_kafka_resp_err_t> errors(count, static_cast<rd_kafka_resp_err_t>(code));
      rd_kafka_mock_push_request_errors_array(cluster, static_cast<int16_t>(api_key), count, errors.data());
    } else if (!command.empty()) {
      std::printf("error: unknown command %s\n", command.c_str());
      std::fflush(stdout);
      continue;
    }
    if (err)
      std::printf("error: %s\n", rd_kafka_err2str(err));
    else
      std::printf("ok\n");
    std::fflush(stdout);
  }
  while (!g_stop) pause();  // stdin closed: serve until killed
  rd_kafka_mock_cluster_destroy(cluster);
  rd_kafka_destroy(handle);
  return 0;
}
