// Billing through the real binary: Stripe-compatible webhook events signed here, valid, tampered, stale, replayed
// and out of order; the entitlements they give raise the quota a map generation checks.
#include "support.hpp"

#include <thread>

using namespace tyto::test;
using namespace tyto::test::music;

namespace {

const std::string kSecret = "whsec_test_current";
const std::string kOldSecret = "whsec_test_previous";

std::int64_t now_s() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// A customer.subscription.* event for the member, as Stripe shapes it.
json subscription_event(const std::string& id, const std::string& type, std::int64_t created, const std::string& status,
                        const std::string& lookup_key, const std::string& tenant_id, const std::string& user_id) {
  return {
      {"id", id},
      {"object", "event"},
      {"type", type},
      {"created", created},
      {"livemode", false},
      {"api_version", "2024-06-20"},
      {"data",
       {{"object",
         {{"id", "sub_music_1"},
          {"object", "subscription"},
          {"customer", "cus_music_1"},
          {"status", status},
          {"cancel_at_period_end", false},
          {"current_period_start", now_s() - 86400},
          {"current_period_end", now_s() + 29 * 86400},
          {"metadata", {{"tenant_id", tenant_id}, {"user_id", user_id}}},
          {"items",
           {{"object", "list"},
            {"data", {{{"id", "si_1"}, {"price", {{"id", "price_" + lookup_key}, {"lookup_key", lookup_key}}}}}}}}}}}}};
}

ApiResponse post_event(std::uint16_t port, const std::string& body, const std::string& signature) {
  ApiResponse out;
  out.raw = request(port, "POST", "/api/v1/billing/stripe/webhook", body,
                    {{"Content-Type", "application/json"}, {"Stripe-Signature", signature}, {"Authorization", ""}});
  out.status = out.raw.status;
  if (!out.raw.body.empty()) out.body = json::parse(out.raw.body, nullptr, false);
  return out;
}

ApiResponse send(std::uint16_t port, const json& event, const std::string& secret = kSecret, std::int64_t t = now_s()) {
  const auto body = event.dump();
  return post_event(port, body, stripe_signature(body, t, secret));
}

json billing(std::uint16_t port, const Member& m) {
  auto r = api(port, "GET", "/api/v1/billing", nullptr, bearer(m.token));
  INFO(r.raw.body);
  REQUIRE(r.status == 200);
  return r.body;
}

}  // namespace

TEMPLATE_TEST_CASE("Signed billing events raise a member's quota, whatever order or how often they arrive",
                   "[integration][music]", SqliteBackend, PostgresBackend) {
  TestType backend;
  auto server = TytoProcess::serve(backend.args(), {{"TYTO_PRODUCTS_MUSIC_WEBHOOK_SECRETS", kSecret + "," + kOldSecret},
                                                    {"TYTO_PRODUCTS_MUSIC_GENERATIONS_PER_MINUTE", "100"}});
  const auto port = server->port();
  const auto player = member(port, "player@example.com", "user");
  auto me = api(port, "GET", "/api/v1/auth/me", nullptr, bearer(player.token));
  REQUIRE(me.status == 200);
  const std::string tenant = me.body["tenant"]["id"];

  // The free plan: five generations a month. The sixth is refused with a stable code.
  const auto loop = drum_loop(120, 8);
  const auto song = add_song(port, "Short", wav(loop.samples, loop.rate));
  const auto start = billing(port, player);
  CHECK(start["plan"] == "free");
  CHECK(start["entitlements"]["generations_per_month"] == 5);
  for (int i = 0; i < 5; ++i) {
    CHECK(api(port, "POST", "/api/v1/songs/" + song + "/maps/generate", json::object(), bearer(player.token)).status ==
          202);
  }
  auto refused = api(port, "POST", "/api/v1/songs/" + song + "/maps/generate", json::object(), bearer(player.token));
  INFO(refused.raw.body);
  CHECK(refused.status == 429);
  CHECK(refused.body["error"]["code"] == "quota_exceeded");
  CHECK(refused.body["error"]["details"]["quota"] == "generations_per_month");

  const auto created = subscription_event("evt_1", "customer.subscription.created", now_s() - 30, "active",
                                          "pro_monthly", tenant, player.user_id);
  // Refused: no signature, a tampered body, a signature by another secret, a stale or future timestamp.
  CHECK(post_event(port, created.dump(), "").body["error"]["details"]["reason"] == "malformed_header");
  auto tampered = created;
  tampered["data"]["object"]["items"]["data"][0]["price"]["lookup_key"] = "pro_yearly";
  CHECK(post_event(port, tampered.dump(), stripe_signature(created.dump(), now_s(), kSecret))
            .body["error"]["details"]["reason"] == "bad_signature");
  CHECK(send(port, created, "whsec_someone_else").status == 400);
  CHECK(send(port, created, kSecret, now_s() - 301).body["error"]["details"]["reason"] == "timestamp_too_old");
  CHECK(send(port, created, kSecret, now_s() + 301).body["error"]["details"]["reason"] == "timestamp_in_future");
  CHECK(billing(port, player)["plan"] == "free");

  // Accepted, also under the previous secret during a rotation; processed by a job.
  auto ok = send(port, created, kOldSecret);
  INFO(ok.raw.body);
  REQUIRE(ok.status == 200);
  CHECK(ok.body["duplicate"] == false);
  REQUIRE(eventually([&] { return billing(port, player)["plan"] == "pro"; }));
  const auto pro = billing(port, player);
  CHECK(pro["entitlements"]["generations_per_month"] == 1000);
  CHECK(pro["subscriptions"].size() == 1);
  CHECK(api(port, "POST", "/api/v1/songs/" + song + "/maps/generate", json::object(), bearer(player.token)).status ==
        202);

  // A replay is acknowledged and changes nothing.
  auto replay = send(port, created);
  CHECK(replay.status == 200);
  CHECK(replay.body["duplicate"] == true);

  // Out of order: the cancellation (newer) arrives before an update (older). The older one never overwrites it.
  const auto deleted = subscription_event("evt_3", "customer.subscription.deleted", now_s() - 10, "canceled",
                                          "pro_monthly", tenant, player.user_id);
  const auto updated = subscription_event("evt_2", "customer.subscription.updated", now_s() - 20, "active",
                                          "plus_monthly", tenant, player.user_id);
  REQUIRE(send(port, deleted).status == 200);
  REQUIRE(eventually([&] { return billing(port, player)["plan"] == "free"; }));
  REQUIRE(send(port, updated).status == 200);
  // The update's job ran (its event is processed) and the member is still on the free plan.
  std::this_thread::sleep_for(std::chrono::seconds(2));
  const auto final_state = billing(port, player);
  CHECK(final_state["plan"] == "free");
  CHECK(final_state["subscriptions"][0]["status"] == "canceled");
  auto refused_again =
      api(port, "POST", "/api/v1/songs/" + song + "/maps/generate", json::object(), bearer(player.token));
  CHECK(refused_again.status == 429);

  // The member heard of both changes.
  auto notes = api(port, "GET", "/api/v1/notifications", nullptr, bearer(player.token));
  int changes = 0;
  for (const auto& n : notes.body["items"]) changes += n["kind"] == "subscription.changed";
  CHECK(changes == 2);

  // Unknown event types are acknowledged and ignored; a body that is not JSON (but signed) is refused.
  auto other = send(port, {{"id", "evt_9"},
                           {"object", "event"},
                           {"type", "customer.created"},
                           {"created", now_s()},
                           {"data", {{"object", {{"id", "cus_1"}}}}}});
  CHECK(other.status == 200);
  CHECK(other.body["status"] == "ignored");
  CHECK(post_event(port, "not json", stripe_signature("not json", now_s(), kSecret)).status == 400);
}
