#include "products/music/billing/billing.hpp"
#include "tyto/core/error.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <map>

namespace billing = tyto::music::billing;
using billing::SubscriptionStatus;
using nlohmann::json;
using std::chrono::hours;
using std::chrono::seconds;

namespace {

constexpr std::int64_t kDay = 86400;
constexpr std::int64_t kStart = 1'750'000'000;

billing::TimePoint at(std::int64_t s) { return billing::TimePoint(seconds(s)); }

// A subscription event as Stripe would send it, for the flow below.
json event(const std::string& id, const std::string& type, std::int64_t created, const std::string& status,
           const std::string& lookup_key, std::int64_t period_end, bool cancel_at_period_end = false) {
  return {{"id", id},
          {"object", "event"},
          {"type", type},
          {"created", created},
          {"data",
           {{"object",
             {{"id", "sub_1"},
              {"object", "subscription"},
              {"customer", "cus_1"},
              {"status", status},
              {"cancel_at_period_end", cancel_at_period_end},
              {"current_period_start", period_end - 30 * kDay},
              {"current_period_end", period_end},
              {"metadata", {{"user_id", "u1"}}},
              {"items", {{"data", {{{"price", {{"id", "price_" + lookup_key}, {"lookup_key", lookup_key}}}}}}}}}}}}};
}

// The store: per subscription id, the snapshot `newer` prefers; per event id, seen once.
billing::Entitlements replay(const std::vector<json>& events, billing::TimePoint now) {
  std::map<std::string, billing::Subscription> latest;
  for (const auto& e : events) {
    const auto parsed = billing::parse_event(e);
    if (!parsed.subscription) continue;
    const auto& sub = *parsed.subscription;
    const auto it = latest.find(sub.id);
    if (it == latest.end() || billing::newer(it->second, sub)) latest[sub.id] = sub;
  }
  std::vector<billing::Subscription> subs;
  for (const auto& [id, sub] : latest) subs.push_back(sub);
  return billing::entitlements(subs, billing::default_plans(), now);
}

}  // namespace

TEST_CASE("Entitlements are the same whatever order and however often the events arrive", "[music_billing]") {
  const std::int64_t end = kStart + 30 * kDay;
  std::vector<json> events = {
      event("evt_a", "customer.subscription.created", kStart, "incomplete", "plus_monthly", end),
      event("evt_b", "customer.subscription.updated", kStart + 5, "active", "plus_monthly", end),
      event("evt_c", "customer.subscription.updated", kStart + 9 * kDay, "active", "pro_monthly", end),
      event("evt_d", "customer.subscription.deleted", kStart + 20 * kDay, "canceled", "pro_monthly", end),
  };
  const auto now = at(kStart + 21 * kDay);
  std::sort(events.begin(), events.end(), [](const json& a, const json& b) { return a["id"] < b["id"]; });
  int orders = 0;
  do {
    const auto e = replay(events, now);
    CHECK(e.plan == "free");
    CHECK(e.subscriptions.empty());
    ++orders;
  } while (std::next_permutation(events.begin(), events.end(),
                                 [](const json& a, const json& b) { return a["id"] < b["id"]; }));
  CHECK(orders == 24);

  // Without the deletion every order ends on the upgrade, replays included.
  events.pop_back();
  std::sort(events.begin(), events.end(), [](const json& a, const json& b) { return a["id"] < b["id"]; });
  do {
    std::vector<json> doubled = events;
    doubled.push_back(events.front());
    doubled.push_back(events.back());
    const auto e = replay(doubled, at(kStart + 10 * kDay));
    CHECK(e.plan == "pro");
    CHECK(e.ai_generations_per_month == 1000);
    CHECK_FALSE(e.lookups_per_day);
    CHECK(e.bundles == std::set<std::string>{"classics", "pop", "rock"});
    CHECK(e.subscriptions == std::vector<std::string>{"sub_1"});
    CHECK(e.renews_or_ends == at(end));
  } while (std::next_permutation(events.begin(), events.end(),
                                 [](const json& a, const json& b) { return a["id"] < b["id"]; }));
}

TEST_CASE("Snapshots of one second are ordered by status, then period end, then event id", "[music_billing]") {
  billing::Subscription active{
      .id = "sub_1", .status = SubscriptionStatus::kActive, .event_id = "evt_1", .event_created = 100};
  active.current_period_end = at(1000);
  billing::Subscription canceled = active;
  canceled.status = SubscriptionStatus::kCanceled;
  canceled.event_id = "evt_0";
  CHECK(billing::newer(active, canceled));
  CHECK_FALSE(billing::newer(canceled, active));
  billing::Subscription renewed = active;
  renewed.current_period_end = at(2000);
  CHECK(billing::newer(active, renewed));
  CHECK_FALSE(billing::newer(renewed, active));
  billing::Subscription later = active;
  later.event_created = 101;
  later.status = SubscriptionStatus::kActive;
  CHECK(billing::newer(canceled, later));       // a later event wins whatever its status (a reactivation)
  CHECK_FALSE(billing::newer(active, active));  // a replay
}

TEST_CASE("Upgrades, downgrades and cancellation at period end change the plan when they should", "[music_billing]") {
  const std::int64_t end = kStart + 30 * kDay;
  const auto pro = event("evt_1", "customer.subscription.created", kStart, "active", "pro_monthly", end);
  const auto down = event("evt_2", "customer.subscription.updated", kStart + kDay, "active", "plus_monthly", end);
  CHECK(replay({pro, down}, at(kStart + 2 * kDay)).plan == "plus");
  CHECK(replay({pro, down}, at(kStart + 2 * kDay)).lookups_per_day == 2000);
  CHECK(replay({pro, down}, at(kStart + 2 * kDay)).bundles == std::set<std::string>{"pop"});
  // Cancelled at period end: the plan holds until then, and is free after.
  const auto leaving =
      event("evt_3", "customer.subscription.updated", kStart + 3 * kDay, "active", "pro_monthly", end, true);
  CHECK(replay({pro, leaving}, at(end - 1)).plan == "pro");
  CHECK(replay({pro, leaving}, at(end)).plan == "free");
  CHECK(replay({pro, leaving}, at(end)).ai_generations_per_month == 5);
  // Trialing grants; incomplete and unpaid do not.
  CHECK(
      replay({event("e", "customer.subscription.created", kStart, "trialing", "plus_yearly", end)}, at(kStart)).plan ==
      "plus");
  CHECK(replay({event("e", "customer.subscription.created", kStart, "incomplete", "pro_monthly", end)}, at(kStart))
            .plan == "free");
  CHECK(replay({event("e", "customer.subscription.updated", kStart, "unpaid", "pro_monthly", end)}, at(kStart)).plan ==
        "free");
  // A price no plan knows grants nothing.
  CHECK(replay({event("e", "customer.subscription.created", kStart, "active", "mystery", end)}, at(kStart)).plan ==
        "free");
}

TEST_CASE("A past-due subscription keeps its plan through the grace period", "[music_billing]") {
  const std::int64_t end = kStart + 30 * kDay;
  const auto past_due = event("evt_9", "customer.subscription.updated", end + 60, "past_due", "pro_monthly", end);
  CHECK(replay({past_due}, at(end + 71 * 3600)).plan == "pro");
  CHECK(replay({past_due}, at(end + 72 * 3600)).plan == "free");
  auto plans = billing::default_plans();
  plans.grace_period = hours(0);
  const auto sub = *billing::parse_event(past_due).subscription;
  CHECK(billing::entitlements({sub}, plans, at(end)).plan == "free");
  CHECK(billing::entitlements({sub}, plans, at(end - 1)).plan == "pro");
}

TEST_CASE("Several subscriptions combine to the largest quotas and all bundles", "[music_billing]") {
  auto plans = billing::plans_from_json(json::parse(R"({
    "free": {"ai_generations_per_month": 1, "lookups_per_day": 10},
    "plans": [
      {"name": "lookups", "prices": ["price_l"], "ai_generations_per_month": 0, "lookups_per_day": 50000},
      {"name": "gen", "lookup_keys": ["gen_m"], "ai_generations_per_month": 300, "lookups_per_day": 20,
       "bundles": ["jazz"]}
    ]})"));
  billing::Subscription a{.id = "sub_a", .status = SubscriptionStatus::kActive, .prices = {"price_l"}};
  a.current_period_end = at(kStart + kDay);
  billing::Subscription b{.id = "sub_b", .status = SubscriptionStatus::kActive, .lookup_keys = {"gen_m"}};
  b.current_period_end = at(kStart + 2 * kDay);
  const auto e = billing::entitlements({b, a}, plans, at(kStart));
  CHECK(e.plan == "gen");
  CHECK(e.ai_generations_per_month == 300);
  CHECK(e.lookups_per_day == 50000);
  CHECK(e.bundles == std::set<std::string>{"jazz"});
  CHECK(e.subscriptions == std::vector<std::string>{"sub_a", "sub_b"});
  CHECK(e.renews_or_ends == at(kStart + kDay));
  const auto none = billing::entitlements({}, plans, at(kStart));
  CHECK(none.plan == "free");
  CHECK(none.ai_generations_per_month == 1);
  CHECK(none.lookups_per_day == 10);
}

TEST_CASE("Plans configuration is validated field by field", "[music_billing]") {
  const auto fields_of = [](const char* text) {
    try {
      (void)billing::plans_from_json(json::parse(text));
    } catch (const tyto::Error& e) {
      CHECK(e.code() == tyto::ErrorCode::kValidationFailed);
      return e.details().at("fields");
    }
    FAIL("accepted " << text);
    return json();
  };
  CHECK(fields_of(R"({"plans": [{"name": "a", "ai_generations_per_month": 1}]})").contains("plans[0].prices"));
  CHECK(fields_of(R"({"plans": [{"prices": ["p"]}]})").contains("plans[0].name"));
  CHECK(fields_of(R"({"plans": [{"name": "a", "prices": ["p"]}, {"name": "a", "prices": ["q"]}]})")
            .contains("plans[1].name"));
  CHECK(fields_of(R"({"plans": [{"name": "a", "prices": ["p"]}, {"name": "b", "lookup_keys": ["p"]}]})")
            .contains("plans[1].lookup_keys"));
  CHECK(fields_of(R"({"plans": [{"name": "a", "prices": ["p"], "ai_generations_per_month": -1}]})")
            .contains("plans[0].ai_generations_per_month"));
  CHECK(fields_of(R"({"plans": [{"name": "a", "prices": ["p"], "lookups_per_day": 1.5}]})")
            .contains("plans[0].lookups_per_day"));
  CHECK(fields_of(R"({"plans": [{"name": "a", "prices": ["p"], "bundles": [""]}]})").contains("plans[0].bundles"));
  CHECK(fields_of(R"({"plans": [{"name": "a", "prices": ["p"], "price": 3}]})").contains("plans[0].price"));
  CHECK(fields_of(R"({"grace_period_hours": "3d"})").contains("grace_period_hours"));
  CHECK(fields_of(R"({"tiers": []})").contains("tiers"));
  CHECK(fields_of(R"({"plans": [{"name": "free", "prices": ["p"]}]})").contains("plans[0].name"));
  // Defaults fill what the configuration leaves out.
  const auto plans = billing::plans_from_json(json::parse(R"({"grace_period_hours": 24})"));
  CHECK(plans.grace_period == hours(24));
  CHECK(plans.by_price.at("pro_yearly").name == "pro");
  CHECK(plans.free.lookups_per_day == 100);
}
