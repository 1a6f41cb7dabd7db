#include "products/music/billing/billing.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

namespace billing = tyto::music::billing;
using billing::SignatureStatus;
using std::chrono::seconds;

namespace {

const billing::TimePoint kSigned{seconds(1700000000)};
const std::string kBody = R"({"id":"evt_1","object":"event"})";
const std::vector<std::string> kSecret = {"whsec_test_secret"};

SignatureStatus check(const std::string& header, const std::string& body = kBody,
                      const std::vector<std::string>& secrets = kSecret, billing::TimePoint now = kSigned) {
  return billing::verify_signature(header, body, secrets, now).status;
}

}  // namespace

TEST_CASE("A Stripe signature is HMAC-SHA256 of the timestamp, a dot and the raw body", "[music_billing]") {
  // The digest as `openssl dgst -sha256 -hmac whsec_test_secret` gives it for "1700000000.<body>".
  const std::string expected = "t=1700000000,v1=0c8670ed117751cc551a20e35839447075c42800ea3cf3e8a2fbda99cd1e6edd";
  CHECK(billing::sign(kBody, kSecret[0], kSigned) == expected);
  const auto result = billing::verify_signature(expected, kBody, kSecret, kSigned);
  CHECK(result.ok());
  CHECK(result.timestamp == 1700000000);
  CHECK(billing::status_name(result.status) == "ok");
  // Upper-case hex, spaces around items and a v0 beside are accepted as Stripe's libraries do.
  CHECK(check(" t=1700000000 , v0=abc, v1=0C8670ED117751CC551A20E35839447075C42800EA3CF3E8A2FBDA99CD1E6EDD") ==
        SignatureStatus::kOk);
}

TEST_CASE("A tampered body or signature is refused", "[music_billing]") {
  const std::string header = billing::sign(kBody, kSecret[0], kSigned);
  CHECK(check(header, R"({"id":"evt_1","object":"event" })") == SignatureStatus::kBadSignature);
  CHECK(check(header, R"({"id":"evt_2","object":"event"})") == SignatureStatus::kBadSignature);
  CHECK(check(header, "") == SignatureStatus::kBadSignature);
  std::string flipped = header;
  flipped.back() = flipped.back() == '0' ? '1' : '0';
  CHECK(check(flipped) == SignatureStatus::kBadSignature);
  CHECK(check(header.substr(0, header.size() - 2)) == SignatureStatus::kBadSignature);  // too short
  CHECK(check(header + "00") == SignatureStatus::kBadSignature);                        // too long
  // Signed with another secret, or a different timestamp than the one signed.
  CHECK(check(billing::sign(kBody, "whsec_other", kSigned)) == SignatureStatus::kBadSignature);
  std::string moved = header;
  moved.replace(2, 10, "1700000001");
  CHECK(check(moved, kBody, kSecret, kSigned + seconds(1)) == SignatureStatus::kBadSignature);
  CHECK(check(header, kBody, {}) == SignatureStatus::kBadSignature);
}

TEST_CASE("A signature outside the tolerance is refused in both directions", "[music_billing]") {
  const std::string header = billing::sign(kBody, kSecret[0], kSigned);
  CHECK(check(header, kBody, kSecret, kSigned + seconds(300)) == SignatureStatus::kOk);
  CHECK(check(header, kBody, kSecret, kSigned + seconds(301)) == SignatureStatus::kTimestampTooOld);
  CHECK(check(header, kBody, kSecret, kSigned - seconds(300)) == SignatureStatus::kOk);
  CHECK(check(header, kBody, kSecret, kSigned - seconds(301)) == SignatureStatus::kTimestampInFuture);
  CHECK(billing::verify_signature(header, kBody, kSecret, kSigned + seconds(40), seconds(30)).status ==
        SignatureStatus::kTimestampTooOld);
  // The clock is only judged once a signature matched.
  CHECK(check(billing::sign("other", kSecret[0], kSigned), kBody, kSecret, kSigned + seconds(9999)) ==
        SignatureStatus::kBadSignature);
}

TEST_CASE("Any v1 under any secret is accepted while a secret rotates", "[music_billing]") {
  const std::vector<std::string> both = {"whsec_new", "whsec_old"};
  // Stripe signs with every active secret during a rotation: one v1 each.
  const std::string header = billing::sign(kBody, both, kSigned);
  CHECK(header.find(",v1=") != header.rfind(",v1="));
  CHECK(check(header, kBody, {"whsec_old"}) == SignatureStatus::kOk);
  CHECK(check(header, kBody, {"whsec_new"}) == SignatureStatus::kOk);
  // The receiver knows both secrets while the sender signs with one.
  const auto old_only = billing::verify_signature(billing::sign(kBody, "whsec_old", kSigned), kBody, both, kSigned);
  CHECK(old_only.ok());
  CHECK(old_only.secret_index == 1);
  CHECK(check(billing::sign(kBody, "whsec_new", kSigned), kBody, both) == SignatureStatus::kOk);
  CHECK(check(billing::sign(kBody, "whsec_gone", kSigned), kBody, both) == SignatureStatus::kBadSignature);
  // A bad v1 before a good one does not hide it.
  const std::string good = billing::sign(kBody, "whsec_old", kSigned);
  CHECK(check("t=1700000000,v1=" + std::string(64, 'a') + "," + good.substr(13), kBody, both) == SignatureStatus::kOk);
}

TEST_CASE("A malformed Stripe-Signature header is told apart from a bad signature", "[music_billing]") {
  const std::string v1 = billing::sign(kBody, kSecret[0], kSigned).substr(12);  // ",v1=…"
  for (const std::string& header : {std::string(""), std::string("garbage"), "v1" + v1.substr(3), v1.substr(1),
                                    "t=" + v1, "t=abc" + v1, "t=-5" + v1, "t=17000000000000000000000" + v1,
                                    "t=1700000000,t=1700000000" + v1, "t=1700000000,=x" + v1, "t=1700000000,,x" + v1}) {
    INFO(header);
    CHECK(check(header) == SignatureStatus::kMalformedHeader);
  }
  CHECK(check("t=1700000000") == SignatureStatus::kNoV1);
  CHECK(check("t=1700000000,v0=" + std::string(64, 'a')) == SignatureStatus::kNoV1);
  CHECK(check("t=1700000000,v1=zz") == SignatureStatus::kBadSignature);
}
