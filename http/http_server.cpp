#include "http/http_server.hpp"

#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/version.hpp>
#include <cctype>
#include <thread>

#include "config/units.hpp"

namespace synchub::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
  return true;
}

const char* reason_json(int status) {
  switch (status) {
    case 400: return R"({"error":"bad_request","message":"malformed HTTP request"})";
    case 408: return R"({"error":"timeout","message":"request not received in time"})";
    case 413: return R"({"error":"too_large","message":"request body over the size limit"})";
    default: return R"({"error":"internal","message":"internal error"})";
  }
}

// One connection: plain TCP, or TLS (handshake first) when the server has a certificate.
template <bool Tls>
class Session : public std::enable_shared_from_this<Session<Tls>> {
  using Stream = std::conditional_t<Tls, beast::ssl_stream<beast::tcp_stream>, beast::tcp_stream>;

 public:
  Session(tcp::socket socket, const HttpServerOptions& options, const HttpHandler& handler) requires(!Tls)
      : stream_(std::move(socket)), options_(options), handler_(handler) {}
  Session(tcp::socket socket, asio::ssl::context& tls, const HttpServerOptions& options,
          const HttpHandler& handler) requires Tls : stream_(std::move(socket), tls),
                                                     options_(options),
                                                     handler_(handler) {}

  void start() {
    if constexpr (Tls) {
      beast::get_lowest_layer(stream_).expires_after(options_.read_timeout);
      stream_.async_handshake(asio::ssl::stream_base::server, [self = this->shared_from_this()](beast::error_code ec) {
        if (ec) return self->close();  // not TLS, or a certificate the client refused
        self->read();
      });
    } else {
      read();
    }
  }

 private:
  void read() {
    parser_.emplace();
    parser_->body_limit(options_.max_body);
    parser_->header_limit(64 * 1024);
    beast::get_lowest_layer(stream_).expires_after(options_.read_timeout);
    http::async_read(stream_, buffer_, *parser_,
                     [self = this->shared_from_this()](beast::error_code ec, size_t) { self->on_read(ec); });
  }

  void on_read(beast::error_code ec) {
    if (ec == http::error::end_of_stream || ec == asio::error::connection_reset || ec == asio::error::eof ||
        ec == asio::ssl::error::stream_truncated)
      return close();
    if (ec == http::error::body_limit) return answer_error(413);
    if (ec == beast::error::timeout) return close();
    if (ec) return answer_error(400);
    auto& req = parser_->get();
    HttpRequest request;
    request.method = std::string(req.method_string());
    request.target = std::string(req.target());
    size_t q = request.target.find('?');
    request.path = config::path_decode(request.target.substr(0, q));
    if (q != std::string::npos) request.query = request.target.substr(q + 1);
    for (const auto& field : req)
      request.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
    request.body = std::move(req.body());
    const bool keep_alive = req.keep_alive();
    const bool head = req.method() == http::verb::head;
    HttpResponse response;
    try {
      response = handler_(request);
    } catch (const std::exception& e) {
      response = HttpResponse::json(500, R"({"error":"internal","message":"handler failed"})");
    }
    if (response.drop_connection) return close();
    write(response, keep_alive, head);
  }

  void answer_error(int status) {
    HttpResponse r = HttpResponse::json(status, reason_json(status));
    write(r, false);
  }

  // A HEAD request gets the header GET would get, Content-Length included, and no body.
  void write(const HttpResponse& response, bool keep_alive, bool head = false) {
    if (head) {
      auto res = std::make_shared<http::response<http::empty_body>>();
      set_header(*res, response, keep_alive);
      res->content_length(response.body.size());
      return send(res, keep_alive);
    }
    auto res = std::make_shared<http::response<http::string_body>>();
    set_header(*res, response, keep_alive);
    res->body() = response.body;
    res->prepare_payload();
    send(res, keep_alive);
  }

  template <class Message>
  static void set_header(Message& res, const HttpResponse& response, bool keep_alive) {
    res.version(11);
    res.result(static_cast<unsigned>(response.status));
    res.set(http::field::server, "synchub");
    if (!response.content_type.empty()) res.set(http::field::content_type, response.content_type);
    for (const auto& [name, value] : response.headers) res.insert(name, value);
    res.keep_alive(keep_alive);
  }

  template <class Message>
  void send(std::shared_ptr<Message> res, bool keep_alive) {
    beast::get_lowest_layer(stream_).expires_after(options_.read_timeout);
    http::async_write(stream_, *res, [self = this->shared_from_this(), res, keep_alive](beast::error_code ec, size_t) {
      if (ec || !keep_alive) return self->close();
      self->read();
    });
  }

  void close() {
    beast::error_code ignored;
    auto& tcp_stream = beast::get_lowest_layer(stream_);
    tcp_stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
    tcp_stream.close();
  }

  Stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  const HttpServerOptions& options_;
  const HttpHandler& handler_;
};

}  // namespace

struct HttpServer::Impl {
  HttpServerOptions options;
  HttpHandler handler;
  std::unique_ptr<asio::io_context> io = std::make_unique<asio::io_context>();
  std::optional<tcp::acceptor> acceptor{std::in_place, *io};
  std::optional<asio::ssl::context> tls;  // set when the server has a certificate
  std::vector<std::thread> threads;
  std::atomic<bool> stopped{false};
  uint16_t port = 0;

  void accept() {
    acceptor->async_accept(asio::make_strand(*io), [this](beast::error_code ec, tcp::socket socket) {
      if (ec) {
        if (!stopped) accept();
        return;
      }
      beast::error_code ignored;
      socket.set_option(tcp::no_delay(true), ignored);
      if (tls)
        std::make_shared<Session<true>>(std::move(socket), *tls, options, handler)->start();
      else
        std::make_shared<Session<false>>(std::move(socket), options, handler)->start();
      accept();
    });
  }
};

HttpServer::HttpServer(const HttpServerOptions& options, HttpHandler handler) : impl_(std::make_unique<Impl>()) {
  impl_->options = options;
  impl_->handler = std::move(handler);
  if (!options.tls_cert_file.empty() || !options.tls_key_file.empty()) {
    if (options.tls_cert_file.empty() || options.tls_key_file.empty())
      throw std::runtime_error("TLS needs both a certificate file and a key file");
    impl_->tls.emplace(asio::ssl::context::tls_server);
    impl_->tls->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                            asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                            asio::ssl::context::no_tlsv1_1);
    beast::error_code ec;
    impl_->tls->use_certificate_chain_file(options.tls_cert_file, ec);
    if (ec) throw std::runtime_error("cannot use certificate " + options.tls_cert_file + ": " + ec.message());
    impl_->tls->use_private_key_file(options.tls_key_file, asio::ssl::context::pem, ec);
    if (ec) throw std::runtime_error("cannot use key " + options.tls_key_file + ": " + ec.message());
  }
  tcp::endpoint endpoint(asio::ip::make_address(options.address), options.port);
  impl_->acceptor->open(endpoint.protocol());
  impl_->acceptor->set_option(asio::socket_base::reuse_address(true));
  impl_->acceptor->bind(endpoint);
  impl_->acceptor->listen(asio::socket_base::max_listen_connections);
  impl_->port = impl_->acceptor->local_endpoint().port();
  impl_->accept();
  for (int i = 0; i < std::max(1, options.threads); ++i) impl_->threads.emplace_back([this] { impl_->io->run(); });
}

HttpServer::~HttpServer() {
  stop();
}

void HttpServer::stop() {
  if (impl_->stopped.exchange(true)) return;
  impl_->io->stop();
  for (auto& t : impl_->threads)
    if (t.joinable()) t.join();
  // Destroying the pending handlers releases the sessions: their sockets
  // close, so clients see the server gone instead of a silent connection.
  impl_->acceptor.reset();
  impl_->io.reset();
}

uint16_t HttpServer::port() const {
  return impl_->port;
}

std::string HttpServer::base_url() const {
  return (impl_->tls ? "https://" : "http://") + impl_->options.address + ":" + std::to_string(port());
}

std::string HttpRequest::header(std::string_view name) const {
  for (const auto& [n, v] : headers)
    if (iequals(n, name)) return v;
  return {};
}

namespace {
bool find_param(std::string_view query, std::string_view name, std::string* value) {
  size_t pos = 0;
  while (pos <= query.size()) {
    size_t amp = query.find('&', pos);
    std::string_view pair = query.substr(pos, amp == std::string_view::npos ? std::string_view::npos : amp - pos);
    size_t eq = pair.find('=');
    if (config::url_decode(pair.substr(0, eq)) == name) {
      if (value) *value = eq == std::string_view::npos ? "" : config::url_decode(pair.substr(eq + 1));
      return true;
    }
    if (amp == std::string_view::npos) break;
    pos = amp + 1;
  }
  return false;
}
}  // namespace

std::string HttpRequest::param(std::string_view name) const {
  std::string value;
  find_param(query, name, &value);
  return value;
}

bool HttpRequest::has_param(std::string_view name) const {
  return find_param(query, name, nullptr);
}

}  // namespace synchub::http
