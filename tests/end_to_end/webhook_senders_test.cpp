// Webhooks from the senders people have, through the real binary: requests signed by the Standard
// Webhooks reference library (npm standardwebhooks, tests/node), and GitHub- and Stripe-style
// requests signed with python3's hmac (tests/support/sign_webhook.py): accepted when signed with
// any configured secret (key rotation), refused otherwise, published once. And the admin API's
// Bearer scheme in any case.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>

#include "http/http_client.hpp"
#include "tests/support/test_support.hpp"

namespace synchub::test {
namespace {

using http::HttpCall;
using http::HttpClient;
using http::HttpReply;

const std::string kStandardNew = "whsec_c3luY2h1YiB0ZXN0IGtleSwgdGhlIG5ldyBvbmUhISE=";
const std::string kStandardOld = "whsec_c3luY2h1YiB0ZXN0IGtleSwgdGhlIG9sZCBvbmUhISE=";

long now_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// Runs a shell command; its standard output (the test fails when it fails).
std::string output_of(const TempDir& dir, const std::string& command) {
  const std::string out = dir.str("command.out"), err = dir.str("command.err");
  const int status = std::system((command + " > " + out + " 2> " + err).c_str());
  EXPECT_EQ(status, 0) << command << "\n" << read_file(err);
  return read_file(out);
}

class SendersHub {
 public:
  SendersHub() {
    write_file(dir_.path() / "synchub.yaml", R"(hub:
  name: senders
  http: {port: 0}
  admin: {enabled: true, viewer_tokens: [view-1]}
connectors:
  hooks:
    type: webhook
    streams:
      standard: {key: id, signature: {scheme: standard-webhooks, secrets: [)" +
                                                 kStandardNew + ", " + kStandardOld + R"(]}}
      github: {key: id, signature: {scheme: github, secrets: [gh-new, gh-old]}}
      stripe: {key: id, tolerance: 60s, signature: {scheme: stripe, secrets: [whsec_st_new, whsec_st_old]}}
  out:
    type: file
    streams:
      standard: {outbox: out/standard, fsync: false}
      github: {outbox: out/github, fsync: false}
      stripe: {outbox: out/stripe, fsync: false}
flows:
  standard: {from: hooks.standard, to: out.standard}
  github: {from: hooks.github, to: out.github}
  stripe: {from: hooks.stripe, to: out.stripe}
)");
    process_ =
        std::make_unique<Process>(std::vector<std::string>{"run", "-c", dir_.str("synchub.yaml")}, dir_.str("log"));
    base_ = wait_for_hub_url(dir_.path() / "log");
  }
  ~SendersHub() { EXPECT_EQ(process_->terminate(), 0); }

  HttpReply post(const std::string& stream, const std::string& body,
                 std::vector<std::pair<std::string, std::string>> headers) {
    headers.emplace_back("Content-Type", "application/json");
    return client_.send(HttpCall{"POST", base_ + "/hooks/hooks/" + stream, std::move(headers), body});
  }
  HttpReply get(const std::string& path, const std::string& authorization) {
    return client_.send(HttpCall{"GET", base_ + path, {{"Authorization", authorization}}, ""});
  }
  // The body in a file, for the signing scripts.
  std::string body_file(const std::string& body) {
    const std::string path = dir_.str("body-" + std::to_string(++bodies_) + ".json");
    write_file(path, body);
    return path;
  }
  std::string standard_signature(const std::string& secret, const std::string& id, long at, const std::string& body) {
    return output_of(dir_, SYNCHUB_SOURCE_DIR "/tests/node/run-node-script " + node_dir() +
                               " sign-standard-webhooks.mjs " + secret + " " + id + " " + std::to_string(at) + " " +
                               body_file(body));
  }
  std::string python_signature(const std::string& scheme, const std::string& secret, const std::string& body,
                               long at = 0) {
    return output_of(dir_, "/usr/bin/python3 " SYNCHUB_SOURCE_DIR "/tests/support/sign_webhook.py " + scheme + " " +
                               secret + (scheme == "stripe" ? " " + std::to_string(at) : "") + " " + body_file(body));
  }
  // What the flow of `stream` delivered, once it delivered `expect` records (and a moment more).
  std::vector<std::string> delivered(const std::string& stream, size_t expect) {
    const fs::path outbox = dir_.path() / "out" / stream;
    auto lines = [&] { return fs::exists(outbox) ? lines_in_dir(outbox) : std::vector<std::string>{}; };
    eventually([&] { return lines().size() >= expect; }, std::chrono::seconds(15));
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    return lines();
  }

 private:
  static std::string node_dir() { return fs::path(synchub_binary()).parent_path().string() + "/node-tests"; }
  TempDir dir_;
  std::unique_ptr<Process> process_;
  std::string base_;
  HttpClient client_;
  int bodies_ = 0;
};

std::string upper(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return std::toupper(c); });
  return text;
}

TEST(WebhookSenders, StandardWebhooksSignedByTheReferenceLibrary) {
  SendersHub hub;
  const long now = now_seconds();
  const std::string first = R"([{"id":"SW-1","total":"10.50"},{"id":"SW-2","total":"3.00"}])";
  const std::string second = R"({"id":"SW-3","total":"7.25"})";
  auto signed_by = [&](const std::string& secret, const std::string& id, long at, const std::string& body) {
    return std::vector<std::pair<std::string, std::string>>{
        {"webhook-id", id},
        {"webhook-timestamp", std::to_string(at)},
        {"webhook-signature", hub.standard_signature(secret, id, at, body)}};
  };
  HttpReply ok = hub.post("standard", first, signed_by(kStandardNew, "msg_1", now, first));
  EXPECT_EQ(ok.status, 202) << ok.body;
  // Signed with the key being rotated out: still accepted.
  EXPECT_EQ(hub.post("standard", second, signed_by(kStandardOld, "msg_2", now, second)).status, 202);
  // The sender's retry of msg_1, signed anew: its webhook-id says it is stored already.
  HttpReply retry = hub.post("standard", first, signed_by(kStandardNew, "msg_1", now + 1, first));
  EXPECT_EQ(retry.status, 200) << retry.body;
  // Refused: another body under msg_1's signature, another secret, a stale time.
  auto tampered = signed_by(kStandardNew, "msg_3", now, first);
  EXPECT_EQ(hub.post("standard", R"({"id":"SW-9"})", tampered).status, 401);
  const std::string other = "whsec_" + std::string("b3RoZXIga2V5IG9mIGFub3RoZXIgc2VuZGVyISEhIQ==");
  EXPECT_EQ(hub.post("standard", R"({"id":"SW-9"})", signed_by(other, "msg_4", now, R"({"id":"SW-9"})")).status, 401);
  HttpReply stale =
      hub.post("standard", R"({"id":"SW-9"})", signed_by(kStandardNew, "msg_5", now - 3600, R"({"id":"SW-9"})"));
  EXPECT_EQ(stale.status, 401);
  EXPECT_EQ(stale.body,
            R"json({"error":"unauthorized","message":"timestamp outside the accepted window (300 s)"})json");
  const auto lines = hub.delivered("standard", 3);
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0], R"({"id":"SW-1","total":"10.50"})");
  EXPECT_EQ(lines[2], second);
}

TEST(WebhookSenders, GitHubStyleSignatures) {
  SendersHub hub;
  const std::string a = R"({"id":"GH-1","action":"opened"})";
  const std::string b = R"({"id":"GH-2","action":"closed"})";
  const std::string c = R"({"id":"GH-3","action":"edited"})";
  auto signed_by = [&](const std::string& signature, const std::string& delivery) {
    return std::vector<std::pair<std::string, std::string>>{
        {"X-Hub-Signature-256", signature}, {"X-GitHub-Event", "issues"}, {"X-GitHub-Delivery", delivery}};
  };
  EXPECT_EQ(hub.post("github", a, signed_by(hub.python_signature("github", "gh-new", a), "d-1")).status, 202);
  // Hex in capitals (senders differ), and the old secret during a rotation.
  const std::string b_signature = hub.python_signature("github", "gh-old", b);
  EXPECT_EQ(hub.post("github", b, signed_by("sha256=" + upper(b_signature.substr(7)), "d-2")).status, 202);
  // The hex without its sha256= prefix is refused, however right.
  const std::string c_signature = hub.python_signature("github", "gh-new", c);
  HttpReply bare = hub.post("github", c, signed_by(c_signature.substr(7), "d-3"));
  EXPECT_EQ(bare.status, 401);
  EXPECT_EQ(bare.body, R"({"error":"unauthorized","message":"X-Hub-Signature-256 must be sha256=<hex>"})");
  EXPECT_EQ(hub.post("github", c, signed_by(hub.python_signature("github", "gh-other", c), "d-3")).status, 401);
  // GitHub's redelivery of d-1 (the same delivery id) is not published again.
  EXPECT_EQ(hub.post("github", a, signed_by(hub.python_signature("github", "gh-new", a), "d-1")).status, 200);
  EXPECT_EQ(hub.post("github", c, signed_by(c_signature, "d-3")).status, 202);
  const auto lines = hub.delivered("github", 3);
  EXPECT_EQ(lines, (std::vector<std::string>{a, b, c}));
}

TEST(WebhookSenders, StripeStyleSignaturesWithinTheirTolerance) {
  SendersHub hub;
  const long now = now_seconds();
  const std::string a = R"({"id":"evt_1","type":"invoice.paid","amount":"1999.00"})";
  const std::string b = R"({"id":"evt_2","type":"invoice.paid","amount":"0.01"})";
  auto signed_by = [](const std::string& value) {
    return std::vector<std::pair<std::string, std::string>>{{"Stripe-Signature", value}};
  };
  EXPECT_EQ(hub.post("stripe", a, signed_by(hub.python_signature("stripe", "whsec_st_new", a, now))).status, 202);
  EXPECT_EQ(hub.post("stripe", b, signed_by(hub.python_signature("stripe", "whsec_st_old", b, now))).status, 202);
  const std::string late = hub.python_signature("stripe", "whsec_st_new", b, now - 120);  // tolerance: 60s
  HttpReply refused = hub.post("stripe", b, signed_by(late));
  EXPECT_EQ(refused.status, 401);
  EXPECT_EQ(refused.body,
            R"json({"error":"unauthorized","message":"timestamp outside the accepted window (60 s)"})json");
  EXPECT_EQ(hub.post("stripe", b, signed_by(hub.python_signature("stripe", "whsec_other", b, now))).status, 401);
  // The same signed request again (a replay) publishes nothing.
  EXPECT_EQ(hub.post("stripe", a, signed_by(hub.python_signature("stripe", "whsec_st_new", a, now))).status, 200);
  EXPECT_EQ(hub.delivered("stripe", 2), (std::vector<std::string>{a, b}));
}

// RFC 9110: the authentication scheme's name is case-insensitive.
TEST(WebhookSenders, TheAdminApiTakesTheBearerSchemeInAnyCase) {
  SendersHub hub;
  EXPECT_EQ(hub.get("/api/v1/flows", "Bearer view-1").status, 200);
  EXPECT_EQ(hub.get("/api/v1/flows", "bearer view-1").status, 200);
  EXPECT_EQ(hub.get("/api/v1/flows", "BEARER view-1").status, 200);
  EXPECT_EQ(hub.get("/api/v1/flows", "bearer view-2").status, 401);
  EXPECT_EQ(hub.get("/api/v1/flows", "Basic view-1").status, 401);
  EXPECT_EQ(hub.get("/api/v1/flows", "Bearerview-1").status, 401);
}

// `validate` names what is wrong in a signature section, at its place in the file.
TEST(WebhookSenders, ValidateRefusesUnknownSchemesAndSecretsThatCannotSign) {
  TempDir dir;
  write_file(dir.path() / "synchub.yaml", R"(connectors:
  hooks:
    type: webhook
    streams:
      a: {signature: {scheme: svix, secrets: [k]}}
      b: {secret: k, signature: {scheme: github, secrets: [k]}}
      c: {signature: {scheme: standard-webhooks, secrets: [whsec_not-base64!]}}
      d: {signature: {scheme: github}}
  out: {type: file, streams: {a: {outbox: out}}}
flows:
  a: {from: hooks.a, to: out.a}
)");
  CommandResult r = run_synchub({"validate", "-c", dir.str("synchub.yaml")});
  EXPECT_NE(r.exit_code, 0);
  const std::string said = r.out + r.err;
  EXPECT_NE(said.find("synchub.yaml:5:31"), std::string::npos) << said;
  EXPECT_NE(said.find("unknown value \"svix\""), std::string::npos) << said;
  EXPECT_NE(said.find("set either secret or signature.secrets, not both"), std::string::npos) << said;
  EXPECT_NE(said.find("secret 1: a standard-webhooks secret is whsec_ followed by the base64 of the key"),
            std::string::npos)
      << said;
  EXPECT_NE(said.find("signature needs secrets"), std::string::npos) << said;
  EXPECT_EQ(said.find("not-base64"), std::string::npos) << "a secret is never printed: " << said;
}

}  // namespace
}  // namespace synchub::test
