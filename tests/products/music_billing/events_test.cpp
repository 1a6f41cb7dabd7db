#include "fixtures.hpp"
#include "products/music/billing/billing.hpp"
#include "tyto/core/error.hpp"

#include <catch2/catch.hpp>

namespace billing = tyto::music::billing;
namespace fx = music_billing_fixtures;
using nlohmann::json;
using std::chrono::seconds;

TEST_CASE("A subscription event is read from Stripe's event object", "[music_billing]") {
  const auto event = billing::parse_event(json::parse(fx::kSubscriptionUpdated));
  CHECK(event.id == "evt_1PdJ7oLkdIwHu7ixd8Cw0gHf");
  CHECK(event.kind == billing::EventKind::kSubscriptionUpdated);
  CHECK(event.created == 1721200000);
  CHECK_FALSE(event.livemode);
  REQUIRE(event.subscription);
  const auto& sub = *event.subscription;
  CHECK(sub.id == "sub_1PdJ6xLkdIwHu7ixLQWGqbd2");
  CHECK(sub.customer == "cus_QU3mXqY0u8Hn1L");
  CHECK(sub.status == billing::SubscriptionStatus::kActive);
  CHECK(sub.cancel_at_period_end);
  CHECK(sub.current_period_start == billing::TimePoint(seconds(1721199000)));
  CHECK(sub.current_period_end == billing::TimePoint(seconds(1723877400)));
  CHECK(sub.prices == std::vector<std::string>{"price_1PdJ5ULkdIwHu7ixGSkR9mYq"});
  CHECK(sub.lookup_keys == std::vector<std::string>{"pro_monthly"});
  CHECK(sub.metadata.at("user_id") == "0190c1a2-8000-7000-8000-000000000042");
  CHECK(sub.event_id == event.id);
  CHECK(sub.event_created == event.created);
  CHECK_FALSE(event.checkout);
  CHECK_FALSE(event.invoice);
}

TEST_CASE("A subscription of the 2025 API carries its period on its items", "[music_billing]") {
  const auto event = billing::parse_event(json::parse(fx::kSubscriptionCreatedBasil));
  CHECK(event.kind == billing::EventKind::kSubscriptionCreated);
  CHECK(event.livemode);
  REQUIRE(event.subscription);
  CHECK(event.subscription->customer == "cus_Basil000000001");  // expanded
  CHECK(event.subscription->status == billing::SubscriptionStatus::kTrialing);
  CHECK(event.subscription->current_period_end == billing::TimePoint(seconds(1775035000)));
  CHECK(event.subscription->prices == std::vector<std::string>{"price_plus_m", "price_addon"});
  CHECK(event.subscription->lookup_keys == std::vector<std::string>{"plus_monthly"});
}

TEST_CASE("Checkout and invoice events are read", "[music_billing]") {
  const auto checkout = billing::parse_event(json::parse(fx::kCheckoutCompleted));
  CHECK(checkout.kind == billing::EventKind::kCheckoutCompleted);
  REQUIRE(checkout.checkout);
  CHECK(checkout.checkout->client_reference_id == "0190c1a2-8000-7000-8000-000000000042");
  CHECK(checkout.checkout->subscription == "sub_1PdJ6xLkdIwHu7ixLQWGqbd2");
  CHECK(checkout.checkout->mode == "subscription");
  CHECK(checkout.checkout->payment_status == "paid");
  CHECK(checkout.checkout->metadata.at("tenant_id") == "0190c1a2-7b3e-7c4d-9e5f-a1b2c3d4e5f6");

  const auto failed = billing::parse_event(json::parse(fx::kInvoicePaymentFailed));
  CHECK(failed.kind == billing::EventKind::kInvoicePaymentFailed);
  REQUIRE(failed.invoice);
  CHECK(failed.invoice->subscription == "sub_1PdJ6xLkdIwHu7ixLQWGqbd2");
  CHECK(failed.invoice->amount_due == 900);
  CHECK(failed.invoice->attempt_count == 1);
  CHECK(failed.invoice->next_payment_attempt == billing::TimePoint(seconds(1724136700)));

  const auto paid = billing::parse_event(json::parse(fx::kInvoicePaidBasil));
  CHECK(paid.kind == billing::EventKind::kInvoicePaid);
  REQUIRE(paid.invoice);
  CHECK(paid.invoice->subscription == "sub_1QxBasil00000000000000001");
  CHECK(paid.invoice->status == "paid");
  CHECK_FALSE(paid.invoice->next_payment_attempt);
}

TEST_CASE("An event of a type billing does not use is ignored, not refused", "[music_billing]") {
  const auto event = billing::parse_event(json::parse(fx::kCustomerCreated));
  CHECK(event.kind == billing::EventKind::kIgnored);
  CHECK(event.id == "evt_1PdJ6wLkdIwHu7ixCustomer1");
  CHECK(event.type == "customer.created");
  CHECK_FALSE(event.subscription);
}

TEST_CASE("An event that lacks what billing needs is refused naming the field", "[music_billing]") {
  const auto field_of = [](const json& event) {
    try {
      (void)billing::parse_event(event);
    } catch (const tyto::Error& e) {
      CHECK(e.code() == tyto::ErrorCode::kValidationFailed);
      return e.details().at("fields").begin().key();
    }
    FAIL("accepted " << event.dump());
    return std::string();
  };
  json event = json::parse(fx::kSubscriptionUpdated);
  CHECK(field_of(json::array()) == "event");
  json e = event;
  e.erase("id");
  CHECK(field_of(e) == "event.id");
  e = event;
  e["created"] = "yesterday";
  CHECK(field_of(e) == "event.created");
  e = event;
  e["data"]["object"]["status"] = "exploded";
  CHECK(field_of(e) == "data.object.status");
  e = event;
  e["data"]["object"].erase("customer");
  CHECK(field_of(e) == "data.object.customer");
  e = event;
  e["data"]["object"]["items"]["data"][0]["price"].erase("id");
  CHECK(field_of(e) == "data.object.items.data[0].price.id");
  e = event;
  e["data"]["object"].erase("current_period_end");
  CHECK(field_of(e) == "data.object.current_period_end");
  e = event;
  e["data"].erase("object");
  CHECK(field_of(e) == "data.object");
}
