#include "http/http_client.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <ctime>
#include <mutex>

namespace synchub::http {

namespace {

void global_init() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

size_t on_body(char* data, size_t size, size_t count, void* user) {
  static_cast<std::string*>(user)->append(data, size * count);
  return size * count;
}

size_t on_header(char* data, size_t size, size_t count, void* user) {
  auto* reply = static_cast<HttpReply*>(user);
  std::string line(data, size * count);
  if (line.rfind("HTTP/", 0) == 0) reply->headers.clear();  // a new response (after 100-continue or a redirect)
  size_t colon = line.find(':');
  if (colon != std::string::npos) {
    std::string name = line.substr(0, colon);
    std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
    std::string value = line.substr(colon + 1);
    while (!value.empty() && std::isspace(static_cast<unsigned char>(value.front()))) value.erase(0, 1);
    while (!value.empty() && std::isspace(static_cast<unsigned char>(value.back()))) value.pop_back();
    reply->headers.emplace_back(std::move(name), std::move(value));
  }
  return size * count;
}

}  // namespace

struct HttpClient::Impl {
  HttpClientOptions options;
  CURL* curl = nullptr;
};

HttpClient::HttpClient(HttpClientOptions options) : impl_(std::make_unique<Impl>()) {
  global_init();
  impl_->options = std::move(options);
  impl_->curl = curl_easy_init();
  if (!impl_->curl) throw std::runtime_error("cannot initialise libcurl");
}

HttpClient::~HttpClient() {
  curl_easy_cleanup(impl_->curl);
}

HttpReply HttpClient::send(const HttpCall& call) {
  CURL* c = impl_->curl;
  curl_easy_reset(c);  // keeps the connection cache: the next call reuses the connection
  HttpReply reply;
  curl_easy_setopt(c, CURLOPT_URL, call.url.c_str());
  curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, call.method.c_str());
  if (call.method == "HEAD") curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
  if (!call.body.empty() || call.method == "POST" || call.method == "PUT" || call.method == "PATCH") {
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, call.body.data());
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(call.body.size()));
  }
  curl_slist* headers = nullptr;
  for (const auto& [name, value] : call.headers) headers = curl_slist_append(headers, (name + ": " + value).c_str());
  headers = curl_slist_append(headers, "Expect:");  // no 100-continue round trip
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(impl_->options.connect_timeout.count()));
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(impl_->options.timeout.count()));
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, impl_->options.verify_tls ? 1L : 0L);
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, impl_->options.verify_tls ? 2L : 0L);
  if (!impl_->options.ca_file.empty()) curl_easy_setopt(c, CURLOPT_CAINFO, impl_->options.ca_file.c_str());
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_TCP_NODELAY, 1L);
  curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "");  // gzip/deflate when the server offers them
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &reply.body);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &reply);
  CURLcode rc = curl_easy_perform(c);
  curl_slist_free_all(headers);
  if (rc != CURLE_OK) {
    reply.status = 0;
    reply.transport_error = curl_easy_strerror(rc);
    reply.body.clear();
    return reply;
  }
  long status = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
  reply.status = static_cast<int>(status);
  return reply;
}

std::string HttpReply::header(const std::string& lower_name) const {
  for (const auto& [n, v] : headers)
    if (n == lower_name) return v;
  return {};
}

long retry_after_seconds(const std::string& value) {
  if (value.empty()) return -1;
  if (std::all_of(value.begin(), value.end(), [](unsigned char c) { return std::isdigit(c); })) return std::stol(value);
  time_t when = curl_getdate(value.c_str(), nullptr);
  if (when < 0) return -1;
  return std::max<long>(0, static_cast<long>(when - std::time(nullptr)));
}

bool transient_http_status(int status) {
  return status == 0 || status == 408 || status == 425 || status == 429 || status >= 500;
}

std::chrono::milliseconds asked_wait(const HttpReply& reply) {
  if (reply.status != 429 && reply.status != 503) return std::chrono::milliseconds(0);
  const long seconds = retry_after_seconds(reply.header("retry-after"));
  return std::chrono::milliseconds(seconds > 0 ? seconds * 1000 : 0);
}

}  // namespace synchub::http
