// The music catalog's billing (docs/products/music-billing.md): Stripe-compatible webhooks and the entitlements
// they grant.
//
// Three pure parts, no I/O and no shared state (any thread may call anything):
//   * verify_signature / sign: the `Stripe-Signature` header (HMAC-SHA256, several secrets while one rotates);
//   * parse_event: the events that change what a customer may do, from Stripe's event object;
//   * entitlements: quotas and bundles computed from the latest known state of each subscription, never from
//     deltas, so events that arrive late, twice or out of order give the same result (`newer` decides which
//     snapshot of a subscription is the latest).
// The product keeps, per subscription id, the snapshot `newer` prefers and the ids of the events it has seen.
#pragma once

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace tyto::music::billing {

using Clock = std::chrono::system_clock;
using TimePoint = Clock::time_point;

// ---- signatures ---------------------------------------------------------------------------------------------

// Stripe's default tolerance between the signed timestamp and now, in either direction.
inline constexpr std::chrono::seconds kDefaultTolerance{300};

enum class SignatureStatus {
  kOk,
  kMalformedHeader,    // not `key=value` pairs, or `t` missing, repeated or not a number
  kNoV1,               // no `v1` signature (only v0 or other schemes, which are never accepted)
  kBadSignature,       // no v1 matches HMAC-SHA256("{t}.{body}") under any secret
  kTimestampTooOld,    // signed more than `tolerance` before now (a replay)
  kTimestampInFuture,  // signed more than `tolerance` after now
};

struct SignatureCheck {
  SignatureStatus status = SignatureStatus::kMalformedHeader;
  std::int64_t timestamp = 0;    // `t`, when the header had one
  std::size_t secret_index = 0;  // when kOk: which secret matched (the newest should come first)
  bool ok() const noexcept { return status == SignatureStatus::kOk; }
};

// Stable snake_case name of a status ("ok", "malformed_header", "no_v1", "bad_signature", "timestamp_too_old",
// "timestamp_in_future"), for logs and error details.
std::string_view status_name(SignatureStatus status) noexcept;

// Checks a `Stripe-Signature` header (`t=1700000000,v1=<hex>,v1=<hex>,v0=<hex>`) against the raw request body,
// byte for byte as received. Any v1 that equals HMAC-SHA256 of "{t}.{raw_body}" under any of `secrets` is
// accepted (compared in constant time); the timestamp is checked only once a signature matched, so an unsigned
// request learns nothing about the clock. Never throws for any input; an empty `secrets` gives kBadSignature.
SignatureCheck verify_signature(std::string_view header, std::string_view raw_body,
                                std::span<const std::string> secrets, TimePoint now,
                                std::chrono::seconds tolerance = kDefaultTolerance);

// The header Stripe would send for `raw_body` signed at `at`: `t=…,v1=…`, one v1 per secret (for tests, the
// benchmark and local replays of events).
std::string sign(std::string_view raw_body, std::span<const std::string> secrets, TimePoint at);
std::string sign(std::string_view raw_body, std::string_view secret, TimePoint at);

// ---- events -------------------------------------------------------------------------------------------------

enum class SubscriptionStatus {
  kIncomplete,
  kIncompleteExpired,
  kTrialing,
  kActive,
  kPastDue,
  kUnpaid,
  kPaused,
  kCanceled
};

std::string_view status_name(SubscriptionStatus status) noexcept;

// A subscription as one event carried it (Stripe's subscription object, the fields billing reads).
struct Subscription {
  std::string id;        // sub_…
  std::string customer;  // cus_…
  SubscriptionStatus status = SubscriptionStatus::kIncomplete;
  TimePoint current_period_start{};
  TimePoint current_period_end{};        // API versions from 2025-03-31 carry it per item: the latest item's is used
  std::vector<std::string> prices;       // items.data[].price.id
  std::vector<std::string> lookup_keys;  // items.data[].price.lookup_key, where set
  std::map<std::string, std::string> metadata;  // ours: tenant_id and user_id, set at checkout
  bool cancel_at_period_end = false;
  // The event that carried this snapshot: what `newer` orders by.
  std::string event_id;
  std::int64_t event_created = 0;  // Unix seconds
};

struct CheckoutSession {
  std::string id;  // cs_…
  std::string customer;
  std::string subscription;         // sub_… (mode subscription)
  std::string client_reference_id;  // ours: the user who started the checkout
  std::string mode;                 // subscription | payment | setup
  std::string payment_status;       // paid | unpaid | no_payment_required
  std::map<std::string, std::string> metadata;
};

struct Invoice {
  std::string id;  // in_…
  std::string customer;
  std::string subscription;  // empty for one-off invoices
  std::string status;        // draft | open | paid | uncollectible | void
  std::int64_t amount_due = 0;
  std::int64_t amount_paid = 0;
  std::string currency;
  std::int64_t attempt_count = 0;
  std::optional<TimePoint> next_payment_attempt;
};

enum class EventKind {
  kIgnored,  // a type billing does not act on: acknowledge it and drop it
  kSubscriptionCreated,
  kSubscriptionUpdated,
  kSubscriptionDeleted,
  kCheckoutCompleted,
  kInvoicePaid,
  kInvoicePaymentFailed,
};

struct ParsedEvent {
  std::string id;  // evt_…: the product stores these ids and drops an event it has seen (Stripe retries)
  std::string type;
  EventKind kind = EventKind::kIgnored;
  std::int64_t created = 0;  // Unix seconds
  bool livemode = false;
  std::optional<Subscription> subscription;  // the three customer.subscription.* kinds
  std::optional<CheckoutSession> checkout;   // kCheckoutCompleted
  std::optional<Invoice> invoice;            // kInvoicePaid, kInvoicePaymentFailed
};

// Reads an event object ({"id","object":"event","type","created","data":{"object":{…}}}). Types other than the
// six above give kIgnored with id, type and created filled. Throws tyto::Error kValidationFailed (details.fields
// naming the member) when the envelope, or the object of a known type, lacks what billing needs.
ParsedEvent parse_event(const nlohmann::json& event);

// True when `incoming` should replace `stored` (two snapshots of the same subscription): the one from the event
// created later; on a tie, the status further along the lifecycle (incomplete < trialing < active < past_due <
// unpaid < paused < incomplete_expired < canceled); then the later period end; then the greater event id. A total
// order, so the kept snapshot does not depend on the order events arrive in; a replay (the same snapshot) is
// never newer.
bool newer(const Subscription& stored, const Subscription& incoming);

// ---- plans and entitlements ---------------------------------------------------------------------------------

struct Plan {
  std::string name;
  std::int64_t ai_generations_per_month = 0;
  std::optional<std::int64_t> lookups_per_day;  // nullopt: unlimited
  std::set<std::string> bundles;
};

struct Plans {
  Plan free;                                                  // when no subscription grants anything
  std::map<std::string, Plan> by_price;                       // price id or lookup key → plan
  std::chrono::seconds grace_period{std::chrono::hours(72)};  // past_due keeps the plan this long after period end
};

// The default table (docs/products/music-billing.md): free 5 generations a month and 100 lookups a day; "plus"
// (lookup keys plus_monthly, plus_yearly) 100 and 2,000 with bundle pop; "pro" (pro_monthly, pro_yearly) 1,000 and
// unlimited with bundles pop, rock and classics; a grace period of 3 days.
Plans default_plans();

// Reads the `music.billing` plans configuration:
//   {"grace_period_hours": 72,
//    "free": {"ai_generations_per_month": 5, "lookups_per_day": 100, "bundles": []},
//    "plans": [{"name": "pro", "prices": ["price_…"], "lookup_keys": ["pro_monthly"],
//               "ai_generations_per_month": 1000, "lookups_per_day": null, "bundles": ["pop"]}]}
// Members other than `plans` default to default_plans()' values; `lookups_per_day` null means unlimited. Throws
// tyto::Error kValidationFailed naming each bad field (`plans[1].prices`): a plan without a name or without any
// price or lookup key, a name or a price/lookup key used twice, a negative or non-integer quota, a bundle that
// is not a non-empty string, unknown top-level members.
Plans plans_from_json(const nlohmann::json& config);

struct Entitlements {
  std::string plan;  // the best plan granted ("free" when none)
  std::int64_t ai_generations_per_month = 0;
  std::optional<std::int64_t> lookups_per_day;  // nullopt: unlimited
  std::set<std::string> bundles;
  std::vector<std::string> subscriptions;   // ids of the subscriptions that grant something now
  std::optional<TimePoint> renews_or_ends;  // the earliest period end among them
};

// What a customer may do at `now`, given the latest snapshot of each of their subscriptions. A subscription
// grants its plans while `active` or `trialing` and now < current_period_end (cancel_at_period_end changes
// nothing before then), and while `past_due` until current_period_end + grace period; `canceled`, `unpaid`,
// `paused`, `incomplete` and `incomplete_expired` grant nothing. Several grants combine: the largest quota of
// each kind (unlimited beats any number), the union of bundles, and the plan name of the largest generation
// quota. Prices that no plan knows grant nothing; no grant at all gives the free plan.
Entitlements entitlements(const std::vector<Subscription>& subscriptions, const Plans& plans, TimePoint now);

}  // namespace tyto::music::billing
