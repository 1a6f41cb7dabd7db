// Karma and its ledger, notifications, and billing.
#include "routes.hpp"
#include "tyto/auth/identity.hpp"
#include "tyto/core/error.hpp"
#include "tyto/core/ids.hpp"
#include "tyto/core/time.hpp"
#include "tyto/http/page.hpp"

namespace tyto::products::music {

using nlohmann::json;

http::Response Routes::karma(http::Request& req) {
  const auto& who = req.who();
  const std::string user_id(req.param("id") == "me" ? std::string_view(who.owner_id()) : req.param("id"));
  check_id(user_id, "user");
  // Members of the tenant only: karma is the community's, but nobody learns of users outside it.
  if (!s_.identity || !s_.identity->membership(user_id, who.tenant_id)) {
    throw Error(ErrorCode::kNotFound, "no such user", {{"id", user_id}});
  }
  const auto q = http::page_query(req, 50, 200, [](std::string_view c) { return is_uuid(c); });
  const auto m = store_.member(s_.db, who.tenant_id, user_id);
  const auto rows = store_.karma_entries(s_.db, who.tenant_id, user_id, q.cursor.value_or("~"), q.fetch());
  json out = http::page_body(q, rows, karma_json, [](const KarmaEntry& k) { return k.id; });
  out["user_id"] = user_id;
  out["karma"] = store_.karma_sum(s_.db, who.tenant_id, user_id);
  json roles = json::array();
  for (const auto role : s_.identity->grants(who.tenant_id, user_id)) roles.push_back(auth::role_name(role));
  out["roles"] = roles;
  out["earned_roles"] = m.earned_roles;
  out["thresholds"] = {{"fixer", community_.rules().fixer_karma}, {"verifier", community_.rules().verifier_karma}};
  return http::Response::json(out);
}

http::Response Routes::notifications(http::Request& req) {
  const auto& who = req.who();
  const auto q = http::page_query(req, 50, 200, [](std::string_view c) { return is_uuid(c); });
  const bool unread_only = req.query("unread").value_or("") == "true" || req.query("unread").value_or("") == "1";
  const auto rows = store_.notifications(who.tenant_id, who.owner_id(), unread_only, q.cursor.value_or("~"), q.fetch());
  json out = http::page_body(q, rows, notification_json, [](const Notification& n) { return n.id; });
  out["unread"] = store_.unread(who.tenant_id, who.owner_id());
  out["email"] = store_.member(s_.db, who.tenant_id, who.owner_id()).email_notifications;
  return http::Response::json(out);
}

http::Response Routes::mark_read(http::Request& req) {
  const auto& who = req.who();
  const json body = req.json();
  std::vector<std::string> ids;
  for (const auto& id : body.value("ids", json::array())) {
    if (!id.is_string() || !is_uuid(id.get<std::string>())) {
      throw Error(ErrorCode::kValidationFailed, "ids are notification ids", {{"fields", {{"ids", "UUIDs"}}}});
    }
    ids.push_back(id.get<std::string>());
  }
  const auto marked = store_.mark_read(who.tenant_id, who.owner_id(), ids);
  return http::Response::json({{"marked", marked}, {"unread", store_.unread(who.tenant_id, who.owner_id())}});
}

http::Response Routes::notification_settings(http::Request& req) {
  const auto& who = req.who();
  const json body = req.json();
  auto tx = s_.db.begin(storage::TxMode::kWrite);
  auto m = store_.member(*tx, who.tenant_id, who.owner_id());
  m.email_notifications = body.at("email").get<bool>();
  store_.put_member(*tx, m);
  tx->commit();
  return http::Response::json({{"email", m.email_notifications}});
}

http::Response Routes::billing_status(http::Request& req) {
  const auto& who = req.who();
  const auto quota = billing_.quota_of(who.tenant_id, who.owner_id());
  const auto now = now_micros();
  json subs = json::array();
  for (const auto& r : store_.subscriptions_of(s_.db, who.tenant_id, who.owner_id()))
    subs.push_back(subscription_json(r));
  json orders = json::array();
  for (const auto& o : store_.orders_of(who.tenant_id, who.owner_id())) orders.push_back(order_json(o));
  constexpr std::int64_t kDay = 86'400'000'000;
  const auto ymd = std::chrono::year_month_day{std::chrono::floor<std::chrono::days>(
      std::chrono::sys_time<std::chrono::microseconds>(std::chrono::microseconds(now)))};
  const auto month = std::chrono::duration_cast<std::chrono::microseconds>(
                         std::chrono::sys_days{ymd.year() / ymd.month() / std::chrono::day{1}}.time_since_epoch())
                         .count();
  return http::Response::json(
      {{"plan", quota.plan},
       {"entitlements",
        {{"generations_per_month", quota.generations_per_month},
         {"lookups_per_day", quota.lookups_per_day},
         {"bundles", quota.bundles}}},
       {"usage",
        {{"generations_this_month", store_.generations_since(who.tenant_id, who.owner_id(), month)},
         {"lookups_today", store_.lookups_since(who.tenant_id, who.owner_id(), now - now % kDay)}}},
       {"subscriptions", subs},
       {"orders", orders}});
}

http::Response Routes::stripe_webhook(http::Request& req) { return billing_.receive(req); }

}  // namespace tyto::products::music
