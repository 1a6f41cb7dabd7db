#include "billing_glue.hpp"

#include "billing/billing.hpp"
#include "tyto/auth/audit.hpp"
#include "tyto/core/error.hpp"
#include "tyto/core/logging.hpp"
#include "tyto/core/time.hpp"
#include "tyto/jobs/submitter.hpp"

#include <limits>

namespace tyto::products::music {

using nlohmann::json;
namespace bill = tyto::music::billing;

struct Billing::Impl {
  Impl(Services& s, MusicStore& st, Community& c, const MusicOptions& o)
      : services(s),
        store(st),
        community(c),
        options(o),
        plans(o.plans.empty() || o.plans.is_null() ? bill::default_plans() : bill::plans_from_json(o.plans)) {}
  Services& services;
  MusicStore& store;
  Community& community;
  const MusicOptions& options;
  bill::Plans plans;

  // The latest snapshot of each of the member's subscriptions, read back from the events that carried them.
  std::vector<bill::Subscription> subscriptions(storage::Session& s, const std::string& tenant_id,
                                                const std::string& user_id) {
    std::vector<bill::Subscription> out;
    for (const auto& row : store.subscriptions_of(s, tenant_id, user_id)) {
      try {
        if (auto parsed = bill::parse_event(row.snapshot); parsed.subscription) out.push_back(*parsed.subscription);
      } catch (const std::exception& e) {
        log::warn("music: a stored subscription snapshot is unreadable", {{"id", row.id}, {"error", e.what()}});
      }
    }
    return out;
  }

  bill::Entitlements entitlements(storage::Session& s, const std::string& tenant_id, const std::string& user_id) {
    return bill::entitlements(subscriptions(s, tenant_id, user_id), plans, bill::Clock::now());
  }
};

namespace {

std::string meta(const std::map<std::string, std::string>& m, const char* key) {
  const auto it = m.find(key);
  return it == m.end() ? std::string() : it->second;
}

std::int64_t seconds(bill::TimePoint t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

json entitlements_json(const bill::Entitlements& e) {
  return {{"plan", e.plan},
          {"generations_per_month", e.ai_generations_per_month},
          {"lookups_per_day", e.lookups_per_day ? json(*e.lookups_per_day) : json(nullptr)},
          {"bundles", e.bundles}};
}

}  // namespace

Billing::Billing(Services& services, MusicStore& store, Community& community, const MusicOptions& options)
    : impl_(std::make_unique<Impl>(services, store, community, options)) {}
Billing::~Billing() = default;

void Billing::register_stages(pipeline::StageRegistry& stages) {
  const json object = {{"type", "object"}};
  stages.add(
      {"music.billing_event",
       "Applies a verified billing event: the subscription's newest state, orders, and the member's entitlements",
       object, object, [this](pipeline::StageContext& ctx, const json& in) { return process(ctx, in); }});
}

Quota Billing::quota_of(const std::string& tenant_id, const std::string& user_id) {
  const auto e = impl_->entitlements(impl_->services.db, tenant_id, user_id);
  Quota q;
  q.plan = e.plan;
  q.generations_per_month = static_cast<int>(std::min<std::int64_t>(e.ai_generations_per_month, 1'000'000'000));
  q.lookups_per_day = e.lookups_per_day ? static_cast<int>(std::min<std::int64_t>(*e.lookups_per_day, 1'000'000'000))
                                        : std::numeric_limits<int>::max();
  q.bundles.assign(e.bundles.begin(), e.bundles.end());
  return q;
}

http::Response Billing::receive(const http::Request& req) {
  auto& s = impl_->services;
  const auto header = req.headers.get("Stripe-Signature").value_or("");
  const auto check = bill::verify_signature(header, req.body, impl_->options.webhook_secrets, bill::Clock::now());
  if (!check.ok()) {
    // The same answer whatever failed but the reason: a sender learns only which rule its request broke.
    throw Error(ErrorCode::kBadRequest, "the webhook's signature is not valid",
                {{"reason", std::string(bill::status_name(check.status))}});
  }
  json event;
  try {
    event = json::parse(req.body);
  } catch (const json::exception&) {
    throw Error(ErrorCode::kInvalidJson, "the webhook's body is not JSON");
  }
  const auto parsed = bill::parse_event(event);  // kValidationFailed names what a known event lacks
  // Which tenant (and member) it is for: our metadata on the subscription or checkout, or the subscription an
  // invoice belongs to.
  std::string tenant_id;
  if (parsed.subscription) tenant_id = meta(parsed.subscription->metadata, "tenant_id");
  if (parsed.checkout) tenant_id = meta(parsed.checkout->metadata, "tenant_id");
  if (parsed.invoice && !parsed.invoice->subscription.empty()) {
    if (const auto sub = impl_->store.subscription(s.db, parsed.invoice->subscription)) tenant_id = sub->tenant_id;
  }
  BillingEvent row{parsed.id, tenant_id, parsed.type, parsed.created, event, "received", std::nullopt, now_micros()};
  const bool actionable = parsed.kind != bill::EventKind::kIgnored && !tenant_id.empty();
  if (!actionable) row.status = "ignored";
  std::vector<events::NewEvent> pending;
  auto tx = s.db.begin(storage::TxMode::kWrite);
  if (actionable) {
    // Submitted in the same transaction as the row: a duplicate rolls both back.
    auto spec = s.jobs.spec("music.billing_event", tenant_id, {{"event_id", parsed.id}});
    spec.unique_key = "music.billing:" + parsed.id;
    row.job_id = s.jobs.submit_in(*tx, {spec}, pending).front().job.id;
  }
  if (!impl_->store.insert_billing_event(*tx, row)) {
    tx->rollback();
    return http::Response::json({{"received", true}, {"duplicate", true}, {"id", parsed.id}});
  }
  s.events.commit(*tx, pending);
  if (actionable) s.jobs.wake();
  return http::Response::json({{"received", true}, {"duplicate", false}, {"id", parsed.id}, {"status", row.status}});
}

json Billing::process(pipeline::StageContext& ctx, const json& in) {
  auto& s = impl_->services;
  auto& store = impl_->store;
  const auto event_id = in.at("event_id").get<std::string>();
  std::vector<events::NewEvent> pending;
  std::vector<std::function<void()>> after_commit;
  auto tx = s.db.begin(storage::TxMode::kWrite);
  const auto row = store.billing_event(*tx, event_id);
  if (!row || row->tenant_id != ctx.tenant_id())
    throw pipeline::StageError("not_found", "no such billing event", false);
  if (row->status == "processed") return {{"event_id", event_id}, {"status", "processed"}};
  const auto parsed = bill::parse_event(row->payload);
  json result = {{"event_id", event_id}, {"type", parsed.type}};
  std::string user_id;
  if (parsed.subscription) {
    const auto& sub = *parsed.subscription;
    user_id = meta(sub.metadata, "user_id");
    if (user_id.empty()) {
      store.set_billing_event_status(*tx, event_id, "ignored", std::nullopt);
      tx->commit();
      return result;
    }
    const auto before = impl_->entitlements(*tx, ctx.tenant_id(), user_id);
    const auto stored = store.subscription(*tx, sub.id);
    bool replace = !stored;
    if (stored) {
      const auto old = bill::parse_event(stored->snapshot);
      replace = !old.subscription || bill::newer(*old.subscription, sub);
    }
    if (replace) {
      SubscriptionRow r;
      r.id = sub.id;
      r.tenant_id = ctx.tenant_id();
      r.user_id = user_id;
      r.customer = sub.customer;
      r.status = std::string(bill::status_name(sub.status));
      r.plan = !sub.lookup_keys.empty() ? sub.lookup_keys.front() : (!sub.prices.empty() ? sub.prices.front() : "");
      r.current_period_end = seconds(sub.current_period_end);
      r.event_created = parsed.created;
      r.snapshot = row->payload;
      store.put_subscription(*tx, r);
    }
    result["applied"] = replace;
    const auto after = impl_->entitlements(*tx, ctx.tenant_id(), user_id);
    if (after.plan != before.plan || after.ai_generations_per_month != before.ai_generations_per_month ||
        after.lookups_per_day != before.lookups_per_day || after.bundles != before.bundles) {
      impl_->community.notify(*tx, pending, after_commit, ctx.tenant_id(), user_id, "subscription.changed",
                              {{"before", entitlements_json(before)}, {"after", entitlements_json(after)}});
      s.audit.record(*tx, {ctx.tenant_id(),
                           "system",
                           "music.entitlements_change",
                           "user:" + user_id,
                           "",
                           "",
                           {{"plan", after.plan}, {"event_id", event_id}}});
    }
    result["plan"] = after.plan;
  } else if (parsed.checkout) {
    const auto& c = *parsed.checkout;
    user_id = !c.client_reference_id.empty() ? c.client_reference_id : meta(c.metadata, "user_id");
    store.put_order(*tx, {c.id, ctx.tenant_id(), user_id.empty() ? std::nullopt : std::optional(user_id), "checkout",
                          c.payment_status, std::nullopt, std::nullopt,
                          json{{"mode", c.mode}, {"subscription", c.subscription}}, parsed.created});
  } else if (parsed.invoice) {
    const auto& i = *parsed.invoice;
    std::optional<std::string> owner;
    if (const auto sub = store.subscription(*tx, i.subscription)) owner = sub->user_id;
    store.put_order(
        *tx, {i.id, ctx.tenant_id(), owner, "invoice",
              parsed.kind == bill::EventKind::kInvoicePaid ? "paid" : "payment_failed", i.amount_paid, i.currency,
              json{{"subscription", i.subscription}, {"amount_due", i.amount_due}}, parsed.created});
  }
  store.set_billing_event_status(*tx, event_id, "processed", std::nullopt);
  s.events.commit(*tx, pending);
  for (auto& send : after_commit) send();
  return result;
}

}  // namespace tyto::products::music
