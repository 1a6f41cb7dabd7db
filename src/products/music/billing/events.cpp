// Stripe's event objects, read into the fields billing acts on.
#include "products/music/billing/billing.hpp"

#include "tyto/core/error.hpp"

#include <fmt/format.h>

#include <array>
#include <utility>

namespace tyto::music::billing {
namespace {

using nlohmann::json;

[[noreturn]] void bad(const std::string& field, std::string_view problem) {
  throw validation_error(fmt::format("billing event: {} {}", field, problem), {{field, problem}});
}

const json& member(const json& object, const char* key, const std::string& where) {
  const auto it = object.find(key);
  if (it == object.end() || it->is_null()) bad(where + "." + key, "is missing");
  return *it;
}

std::string string_of(const json& object, const char* key, const std::string& where, bool required = true) {
  const auto it = object.find(key);
  if (it == object.end() || it->is_null()) {
    if (required) bad(where + "." + key, "is missing");
    return {};
  }
  // Expandable fields (customer, subscription) are ids, or objects with an id when expanded.
  if (it->is_object() && it->contains("id") && (*it)["id"].is_string()) return (*it)["id"].get<std::string>();
  if (!it->is_string()) bad(where + "." + key, "must be a string");
  return it->get<std::string>();
}

std::int64_t int_of(const json& object, const char* key, const std::string& where, bool required = true) {
  const auto it = object.find(key);
  if (it == object.end() || it->is_null()) {
    if (required) bad(where + "." + key, "is missing");
    return 0;
  }
  if (!it->is_number_integer()) bad(where + "." + key, "must be an integer");
  return it->get<std::int64_t>();
}

TimePoint at(std::int64_t seconds) { return TimePoint(std::chrono::seconds(seconds)); }

std::map<std::string, std::string> metadata_of(const json& object, const std::string& where) {
  std::map<std::string, std::string> out;
  const auto it = object.find("metadata");
  if (it == object.end() || it->is_null()) return out;
  if (!it->is_object()) bad(where + ".metadata", "must be an object");
  for (const auto& [key, value] : it->items()) {
    if (value.is_string()) out[key] = value.get<std::string>();
  }
  return out;
}

constexpr std::array<std::pair<std::string_view, SubscriptionStatus>, 8> kStatuses = {{
    {"incomplete", SubscriptionStatus::kIncomplete},
    {"incomplete_expired", SubscriptionStatus::kIncompleteExpired},
    {"trialing", SubscriptionStatus::kTrialing},
    {"active", SubscriptionStatus::kActive},
    {"past_due", SubscriptionStatus::kPastDue},
    {"unpaid", SubscriptionStatus::kUnpaid},
    {"paused", SubscriptionStatus::kPaused},
    {"canceled", SubscriptionStatus::kCanceled},
}};

Subscription subscription_of(const json& object, const ParsedEvent& event) {
  const std::string where = "data.object";
  Subscription sub;
  sub.id = string_of(object, "id", where);
  sub.customer = string_of(object, "customer", where);
  const std::string status = string_of(object, "status", where);
  bool known = false;
  for (const auto& [name, value] : kStatuses) {
    if (name == status) {
      sub.status = value;
      known = true;
    }
  }
  if (!known) bad(where + ".status", "is not a subscription status");
  sub.cancel_at_period_end = object.value("cancel_at_period_end", false);
  sub.metadata = metadata_of(object, where);
  std::int64_t start = int_of(object, "current_period_start", where, false);
  std::int64_t end = int_of(object, "current_period_end", where, false);
  const json& items = member(member(object, "items", where), "data", where + ".items");
  if (!items.is_array()) bad(where + ".items.data", "must be an array");
  for (std::size_t i = 0; i < items.size(); ++i) {
    const std::string item_where = fmt::format("{}.items.data[{}]", where, i);
    const json& item = items[i];
    if (!item.is_object()) bad(item_where, "must be an object");
    const json& price = member(item, "price", item_where);
    if (!price.is_object()) bad(item_where + ".price", "must be an object");
    sub.prices.push_back(string_of(price, "id", item_where + ".price"));
    const std::string key = string_of(price, "lookup_key", item_where + ".price", false);
    if (!key.empty()) sub.lookup_keys.push_back(key);
    // API versions from 2025-03-31 carry the period per item.
    start = std::max(start, int_of(item, "current_period_start", item_where, false));
    end = std::max(end, int_of(item, "current_period_end", item_where, false));
  }
  if (end == 0) bad(where + ".current_period_end", "is missing (on the subscription and on every item)");
  sub.current_period_start = at(start);
  sub.current_period_end = at(end);
  sub.event_id = event.id;
  sub.event_created = event.created;
  return sub;
}

CheckoutSession checkout_of(const json& object) {
  const std::string where = "data.object";
  CheckoutSession session;
  session.id = string_of(object, "id", where);
  session.customer = string_of(object, "customer", where, false);
  session.subscription = string_of(object, "subscription", where, false);
  session.client_reference_id = string_of(object, "client_reference_id", where, false);
  session.mode = string_of(object, "mode", where);
  session.payment_status = string_of(object, "payment_status", where, false);
  session.metadata = metadata_of(object, where);
  return session;
}

Invoice invoice_of(const json& object) {
  const std::string where = "data.object";
  Invoice invoice;
  invoice.id = string_of(object, "id", where);
  invoice.customer = string_of(object, "customer", where);
  invoice.subscription = string_of(object, "subscription", where, false);
  // API versions from 2025-03-31 name the subscription under parent.subscription_details.
  if (invoice.subscription.empty() && object.contains("parent") && object["parent"].is_object()) {
    const json& parent = object["parent"];
    if (parent.contains("subscription_details") && parent["subscription_details"].is_object()) {
      invoice.subscription = string_of(parent["subscription_details"], "subscription", where + ".parent", false);
    }
  }
  invoice.status = string_of(object, "status", where, false);
  invoice.amount_due = int_of(object, "amount_due", where, false);
  invoice.amount_paid = int_of(object, "amount_paid", where, false);
  invoice.currency = string_of(object, "currency", where, false);
  invoice.attempt_count = int_of(object, "attempt_count", where, false);
  if (const auto next = int_of(object, "next_payment_attempt", where, false); next > 0) {
    invoice.next_payment_attempt = at(next);
  }
  return invoice;
}

}  // namespace

std::string_view status_name(SubscriptionStatus status) noexcept {
  for (const auto& [name, value] : kStatuses) {
    if (value == status) return name;
  }
  return "unknown";
}

ParsedEvent parse_event(const json& event) {
  if (!event.is_object()) bad("event", "must be an object");
  ParsedEvent out;
  out.id = string_of(event, "id", "event");
  out.type = string_of(event, "type", "event");
  out.created = int_of(event, "created", "event");
  out.livemode = event.value("livemode", false);
  static const std::map<std::string, EventKind, std::less<>> kKinds = {
      {"customer.subscription.created", EventKind::kSubscriptionCreated},
      {"customer.subscription.updated", EventKind::kSubscriptionUpdated},
      {"customer.subscription.deleted", EventKind::kSubscriptionDeleted},
      {"checkout.session.completed", EventKind::kCheckoutCompleted},
      {"invoice.paid", EventKind::kInvoicePaid},
      {"invoice.payment_failed", EventKind::kInvoicePaymentFailed},
  };
  const auto kind = kKinds.find(out.type);
  if (kind == kKinds.end()) return out;
  out.kind = kind->second;
  const json& data = member(event, "data", "event");
  const json& object = member(data, "object", "data");
  if (!object.is_object()) bad("data.object", "must be an object");
  switch (out.kind) {
    case EventKind::kSubscriptionCreated:
    case EventKind::kSubscriptionUpdated:
    case EventKind::kSubscriptionDeleted:
      out.subscription = subscription_of(object, out);
      break;
    case EventKind::kCheckoutCompleted:
      out.checkout = checkout_of(object);
      break;
    case EventKind::kInvoicePaid:
    case EventKind::kInvoicePaymentFailed:
      out.invoice = invoice_of(object);
      break;
    case EventKind::kIgnored:
      break;
  }
  return out;
}

namespace {

int lifecycle_rank(SubscriptionStatus status) {
  switch (status) {
    case SubscriptionStatus::kIncomplete:
      return 0;
    case SubscriptionStatus::kTrialing:
      return 1;
    case SubscriptionStatus::kActive:
      return 2;
    case SubscriptionStatus::kPastDue:
      return 3;
    case SubscriptionStatus::kUnpaid:
      return 4;
    case SubscriptionStatus::kPaused:
      return 5;
    case SubscriptionStatus::kIncompleteExpired:
      return 6;
    case SubscriptionStatus::kCanceled:
      return 7;
  }
  return 0;
}

}  // namespace

bool newer(const Subscription& stored, const Subscription& incoming) {
  if (incoming.event_created != stored.event_created) return incoming.event_created > stored.event_created;
  const int a = lifecycle_rank(stored.status);
  const int b = lifecycle_rank(incoming.status);
  if (a != b) return b > a;
  if (incoming.current_period_end != stored.current_period_end) {
    return incoming.current_period_end > stored.current_period_end;
  }
  return incoming.event_id > stored.event_id;
}

}  // namespace tyto::music::billing
