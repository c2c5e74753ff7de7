// The webhook signature schemes against signatures made by others: the vector of GitHub's
// documentation, the one of the Standard Webhooks reference libraries' tests, and Stripe-style
// signatures computed with python3's hmac (the one-liners are beside them). What is refused:
// a wrong secret, a stale timestamp, GitHub's hex without its sha256= prefix.
#include "connectors/webhook/signature_schemes.hpp"

#include <gtest/gtest.h>

#include <map>

namespace synchub::connectors::webhook {
namespace {

// A request's headers; names are case-insensitive like HTTP's (the server lower-cases them).
HeaderLookup headers(std::map<std::string, std::string> values) {
  std::map<std::string, std::string> lower;
  auto down = [](std::string s) {
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
  };
  for (auto& [k, v] : values) lower[down(k)] = v;
  return [lower, down](std::string_view name) {
    auto found = lower.find(down(std::string(name)));
    return found == lower.end() ? std::string() : found->second;
  };
}

SignatureRules rules(Scheme scheme, std::vector<std::string> secrets) {
  SignatureRules r;
  r.scheme = scheme;
  r.secrets = std::move(secrets);
  return r;
}

// docs.github.com "Validating webhook deliveries": secret "It's a Secret to Everybody", payload "Hello, World!".
const std::string kGitHubSecret = "It's a Secret to Everybody";
const std::string kGitHubBody = "Hello, World!";
const std::string kGitHubHex = "757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";

TEST(SignatureSchemes, GitHubAcceptsItsDocumentedSignatureInEitherCase) {
  const auto github = rules(Scheme::GitHub, {kGitHubSecret});
  auto ok = check_signature(github, headers({{"X-Hub-Signature-256", "sha256=" + kGitHubHex}}), kGitHubBody, 0);
  EXPECT_EQ(ok.error, "");
  EXPECT_EQ(ok.signature, "sha256=" + kGitHubHex);
  EXPECT_FALSE(ok.signed_at);
  std::string upper = kGitHubHex;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  EXPECT_EQ(check_signature(github, headers({{"X-Hub-Signature-256", "sha256=" + upper}}), kGitHubBody, 0).error, "");
  EXPECT_EQ(
      check_signature(github, headers({{"X-Hub-Signature-256", "sha256=" + kGitHubHex}}), "Hello, World?", 0).error,
      "bad signature");
  EXPECT_EQ(check_signature(rules(Scheme::GitHub, {"another secret"}),
                            headers({{"X-Hub-Signature-256", "sha256=" + kGitHubHex}}), kGitHubBody, 0)
                .error,
            "bad signature");
}

TEST(SignatureSchemes, GitHubRefusesHexWithoutItsPrefix) {
  const auto github = rules(Scheme::GitHub, {kGitHubSecret});
  EXPECT_EQ(check_signature(github, headers({{"X-Hub-Signature-256", kGitHubHex}}), kGitHubBody, 0).error,
            "X-Hub-Signature-256 must be sha256=<hex>");
  EXPECT_EQ(check_signature(github, headers({}), kGitHubBody, 0).error, "missing X-Hub-Signature-256 header");
}

// From the test suites of the Standard Webhooks reference libraries (standard-webhooks/standard-webhooks).
const std::string kStandardSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const std::string kStandardId = "msg_p5jXN8AQM9LWM0D4loKWxJek";
const int64_t kStandardTime = 1614265330;
const std::string kStandardBody = R"({"test": 2432232314})";
const std::string kStandardSignature = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

HeaderLookup standard_headers(const std::string& signature, int64_t time = kStandardTime) {
  return headers(
      {{"webhook-id", kStandardId}, {"webhook-timestamp", std::to_string(time)}, {"webhook-signature", signature}});
}

TEST(SignatureSchemes, StandardWebhooksAcceptsTheReferenceSignatureAndNamesTheDelivery) {
  const auto standard = rules(Scheme::StandardWebhooks, {kStandardSecret});
  auto ok = check_signature(standard, standard_headers(kStandardSignature), kStandardBody, kStandardTime + 10);
  EXPECT_EQ(ok.error, "");
  EXPECT_EQ(ok.delivery, kStandardId);
  EXPECT_EQ(ok.signed_at, kStandardTime);
  // Several signatures (the sender rotating its key; other versions): one valid v1 is enough.
  EXPECT_EQ(
      check_signature(standard, standard_headers("v1a,abc v1,AAAA " + kStandardSignature), kStandardBody, kStandardTime)
          .error,
      "");
  // The secret without its whsec_ prefix is the same key.
  EXPECT_EQ(check_signature(rules(Scheme::StandardWebhooks, {kStandardSecret.substr(6)}),
                            standard_headers(kStandardSignature), kStandardBody, kStandardTime)
                .error,
            "");
}

TEST(SignatureSchemes, StandardWebhooksRefusesWhatItMust) {
  const auto standard = rules(Scheme::StandardWebhooks, {kStandardSecret});
  EXPECT_EQ(
      check_signature(standard, standard_headers(kStandardSignature), R"({"test": 2432232315})", kStandardTime).error,
      "bad signature");
  EXPECT_EQ(check_signature(standard, standard_headers(kStandardSignature), kStandardBody, kStandardTime + 301).error,
            "timestamp outside the accepted window (300 s)");
  EXPECT_EQ(check_signature(standard, standard_headers(kStandardSignature), kStandardBody, kStandardTime - 301).error,
            "timestamp outside the accepted window (300 s)");
  EXPECT_EQ(check_signature(standard, standard_headers("v2,xyz"), kStandardBody, kStandardTime).error,
            "no v1 signature in webhook-signature");
  EXPECT_EQ(
      check_signature(standard, headers({{"webhook-signature", kStandardSignature}}), kStandardBody, kStandardTime)
          .error,
      "missing webhook-id header");
  // The signature of another message id does not pass for this one.
  EXPECT_EQ(check_signature(standard,
                            headers({{"webhook-id", "msg_other"},
                                     {"webhook-timestamp", std::to_string(kStandardTime)},
                                     {"webhook-signature", kStandardSignature}}),
                            kStandardBody, kStandardTime)
                .error,
            "bad signature");
}

TEST(SignatureSchemes, KeyRotationAcceptsAnyConfiguredSecret) {
  const auto rotating =
      rules(Scheme::StandardWebhooks, {"whsec_bmV3IGtleSBvZiAzMiBieXRlcyBmb3IgdGVzdHM=", kStandardSecret});
  EXPECT_EQ(check_signature(rotating, standard_headers(kStandardSignature), kStandardBody, kStandardTime).error, "");
  const auto github = rules(Scheme::GitHub, {"new secret", kGitHubSecret});
  EXPECT_EQ(check_signature(github, headers({{"X-Hub-Signature-256", "sha256=" + kGitHubHex}}), kGitHubBody, 0).error,
            "");
}

// python3 -c 'import hmac,hashlib; print(hmac.new(b"whsec_test_stripe",
//   b"1700000000.{\"id\":\"evt_1\"}", hashlib.sha256).hexdigest())'   (and b"whsec_old_stripe")
const std::string kStripeBody = R"({"id":"evt_1"})";
const std::string kStripeHex = "cf6ab59db2a13f14509ca6aa99ba5ef44464e3a9324845094c4c6205f0c1773e";
const std::string kStripeOldHex = "ee41f27c1f3a1841845af100b23d5ae7258c80952aba20afffb8cbda49e6c726";

TEST(SignatureSchemes, StripeChecksTheSignedTimeAndEveryV1) {
  const auto stripe = rules(Scheme::Stripe, {"whsec_test_stripe"});
  auto signed_by = [](const std::string& value) { return headers({{"Stripe-Signature", value}}); };
  auto ok = check_signature(stripe, signed_by("t=1700000000,v1=" + kStripeHex + ",v0=00"), kStripeBody, 1700000100);
  EXPECT_EQ(ok.error, "");
  EXPECT_EQ(ok.signed_at, 1700000000);
  std::string upper = kStripeHex;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  EXPECT_EQ(check_signature(stripe, signed_by("t=1700000000,v1=" + upper), kStripeBody, 1700000000).error, "");
  // Stripe sends one v1 per active secret while a secret is rolled.
  EXPECT_EQ(check_signature(stripe, signed_by("t=1700000000,v1=" + kStripeOldHex + ",v1=" + kStripeHex), kStripeBody,
                            1700000000)
                .error,
            "");
  EXPECT_EQ(check_signature(stripe, signed_by("t=1700000000,v1=" + kStripeOldHex), kStripeBody, 1700000000).error,
            "bad signature");
  EXPECT_EQ(check_signature(rules(Scheme::Stripe, {"whsec_test_stripe", "whsec_old_stripe"}),
                            signed_by("t=1700000000,v1=" + kStripeOldHex), kStripeBody, 1700000000)
                .error,
            "");
  EXPECT_EQ(check_signature(stripe, signed_by("t=1700000000,v1=" + kStripeHex), kStripeBody, 1700000301).error,
            "timestamp outside the accepted window (300 s)");
  EXPECT_EQ(check_signature(stripe, signed_by("t=1700000001,v1=" + kStripeHex), kStripeBody, 1700000000).error,
            "bad signature");  // the time is signed too
  EXPECT_EQ(check_signature(stripe, signed_by("v1=" + kStripeHex), kStripeBody, 1700000000).error,
            "no t=<timestamp> in Stripe-Signature");
}

// python3 -c 'import hmac,hashlib; print(hmac.new(b"k", b"1700000000.{\"id\":1}", hashlib.sha256).hexdigest())'
const std::string kSynchubHex = "ad3973bf508a71757425fe6ed75d7e49f7d39052835acbd6cf430414a1a9814e";

TEST(SignatureSchemes, SynchubNeedsItsPrefixAndReadsHexInEitherCase) {
  auto synchub = rules(Scheme::Synchub, {"old", "k"});
  synchub.signature_header = "X-Synchub-Signature";
  auto sign = [&](const std::string& signature) {
    return headers({{"X-Synchub-Timestamp", "1700000000"}, {"X-Synchub-Signature", signature}});
  };
  const std::string body = R"({"id":1})";
  EXPECT_EQ(check_signature(synchub, sign("sha256=" + kSynchubHex), body, 1700000000).error, "");
  EXPECT_EQ(check_signature(synchub, sign(kSynchubHex), body, 1700000000).error,
            "X-Synchub-Signature must be sha256=<hex>");
  std::string upper = kSynchubHex;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  EXPECT_EQ(check_signature(synchub, sign("sha256=" + upper), body, 1700000000).error, "");
  EXPECT_EQ(check_signature(rules(Scheme::Synchub, {"old"}), sign("sha256=" + kSynchubHex), body, 1700000000).error,
            "bad signature");
}

TEST(SignatureSchemes, SecretsThatCannotSignAreNamed) {
  EXPECT_EQ(secret_problem(Scheme::StandardWebhooks, kStandardSecret), "");
  EXPECT_EQ(secret_problem(Scheme::StandardWebhooks, "whsec_not base64!"),
            "a standard-webhooks secret is whsec_ followed by the base64 of the key");
  EXPECT_EQ(secret_problem(Scheme::GitHub, ""), "a secret must not be empty");
  EXPECT_EQ(secret_problem(Scheme::GitHub, "anything"), "");
  EXPECT_EQ(scheme_named("stripe"), Scheme::Stripe);
  EXPECT_FALSE(scheme_named("svix"));
}

}  // namespace
}  // namespace synchub::connectors::webhook
