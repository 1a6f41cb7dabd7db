// Events shaped like the examples of Stripe's API reference (event object, subscription, checkout session and
// invoice), trimmed of fields billing never reads but keeping the nesting and the neighbours it must skip.
#pragma once

namespace music_billing_fixtures {

// customer.subscription.updated, API version 2024-06-20 (the period on the subscription).
inline constexpr const char* kSubscriptionUpdated = R"({
  "id": "evt_1PdJ7oLkdIwHu7ixd8Cw0gHf",
  "object": "event",
  "api_version": "2024-06-20",
  "created": 1721200000,
  "livemode": false,
  "pending_webhooks": 1,
  "request": {"id": "req_5YQk0QWq3gWzDs", "idempotency_key": "0e4b3c1d-8f51-4f7e-9d0a-1a2b3c4d5e6f"},
  "type": "customer.subscription.updated",
  "data": {
    "object": {
      "id": "sub_1PdJ6xLkdIwHu7ixLQWGqbd2",
      "object": "subscription",
      "application": null,
      "billing_cycle_anchor": 1721199000,
      "cancel_at": null,
      "cancel_at_period_end": true,
      "canceled_at": 1721200000,
      "collection_method": "charge_automatically",
      "created": 1721199000,
      "currency": "eur",
      "current_period_end": 1723877400,
      "current_period_start": 1721199000,
      "customer": "cus_QU3mXqY0u8Hn1L",
      "items": {
        "object": "list",
        "data": [
          {
            "id": "si_QU3mPp0kAZKwFX",
            "object": "subscription_item",
            "created": 1721199001,
            "metadata": {},
            "price": {
              "id": "price_1PdJ5ULkdIwHu7ixGSkR9mYq",
              "object": "price",
              "active": true,
              "currency": "eur",
              "lookup_key": "pro_monthly",
              "product": "prod_QU3mTT0lPfGvoc",
              "recurring": {"interval": "month", "interval_count": 1, "usage_type": "licensed"},
              "type": "recurring",
              "unit_amount": 900
            },
            "quantity": 1,
            "subscription": "sub_1PdJ6xLkdIwHu7ixLQWGqbd2"
          }
        ],
        "has_more": false,
        "url": "/v1/subscription_items?subscription=sub_1PdJ6xLkdIwHu7ixLQWGqbd2"
      },
      "latest_invoice": "in_1PdJ6yLkdIwHu7ixHQ3xq8cN",
      "livemode": false,
      "metadata": {"tenant_id": "0190c1a2-7b3e-7c4d-9e5f-a1b2c3d4e5f6", "user_id": "0190c1a2-8000-7000-8000-000000000042"},
      "status": "active",
      "trial_end": null
    },
    "previous_attributes": {"cancel_at_period_end": false, "canceled_at": null}
  }
})";

// customer.subscription.created, API version 2025-03-31.basil: the period only on the items, an expanded customer.
inline constexpr const char* kSubscriptionCreatedBasil = R"({
  "id": "evt_1QxBasilCreated000000001",
  "object": "event",
  "api_version": "2025-03-31.basil",
  "created": 1743500000,
  "livemode": true,
  "type": "customer.subscription.created",
  "data": {
    "object": {
      "id": "sub_1QxBasil00000000000000001",
      "object": "subscription",
      "cancel_at_period_end": false,
      "customer": {"id": "cus_Basil000000001", "object": "customer", "email": "a@example.com"},
      "items": {
        "object": "list",
        "data": [
          {"id": "si_1", "object": "subscription_item", "current_period_start": 1743499000,
           "current_period_end": 1746091000,
           "price": {"id": "price_plus_m", "object": "price", "lookup_key": "plus_monthly"}},
          {"id": "si_2", "object": "subscription_item", "current_period_start": 1743499000,
           "current_period_end": 1775035000,
           "price": {"id": "price_addon", "object": "price", "lookup_key": null}}
        ]
      },
      "metadata": {"user_id": "u-7", "tenant_id": "t-1"},
      "status": "trialing"
    }
  }
})";

inline constexpr const char* kCheckoutCompleted = R"({
  "id": "evt_1PdJ6zLkdIwHu7ixCheckout1",
  "object": "event",
  "api_version": "2024-06-20",
  "created": 1721199002,
  "livemode": false,
  "type": "checkout.session.completed",
  "data": {
    "object": {
      "id": "cs_test_a1Yf9qHn0sC3xE2",
      "object": "checkout.session",
      "amount_subtotal": 900,
      "amount_total": 900,
      "client_reference_id": "0190c1a2-8000-7000-8000-000000000042",
      "currency": "eur",
      "customer": "cus_QU3mXqY0u8Hn1L",
      "customer_details": {"email": "jenny@example.com", "name": "Jenny Rosen"},
      "metadata": {"tenant_id": "0190c1a2-7b3e-7c4d-9e5f-a1b2c3d4e5f6"},
      "mode": "subscription",
      "payment_status": "paid",
      "status": "complete",
      "subscription": "sub_1PdJ6xLkdIwHu7ixLQWGqbd2",
      "success_url": "https://example.com/music/billing/done"
    }
  }
})";

inline constexpr const char* kInvoicePaymentFailed = R"({
  "id": "evt_1PfInvoiceFailed00000001",
  "object": "event",
  "api_version": "2024-06-20",
  "created": 1723877500,
  "livemode": false,
  "type": "invoice.payment_failed",
  "data": {
    "object": {
      "id": "in_1PfInvoice000000000001",
      "object": "invoice",
      "amount_due": 900,
      "amount_paid": 0,
      "amount_remaining": 900,
      "attempt_count": 1,
      "attempted": true,
      "billing_reason": "subscription_cycle",
      "currency": "eur",
      "customer": "cus_QU3mXqY0u8Hn1L",
      "lines": {"object": "list", "data": [], "has_more": false},
      "next_payment_attempt": 1724136700,
      "paid": false,
      "status": "open",
      "subscription": "sub_1PdJ6xLkdIwHu7ixLQWGqbd2"
    }
  }
})";

// invoice.paid, API version 2025-03-31.basil: the subscription under parent.subscription_details.
inline constexpr const char* kInvoicePaidBasil = R"({
  "id": "evt_1QxInvoicePaid0000000001",
  "object": "event",
  "created": 1743500100,
  "livemode": true,
  "type": "invoice.paid",
  "data": {
    "object": {
      "id": "in_1QxBasil000000000000001",
      "object": "invoice",
      "amount_due": 500,
      "amount_paid": 500,
      "attempt_count": 1,
      "currency": "usd",
      "customer": "cus_Basil000000001",
      "next_payment_attempt": null,
      "parent": {"type": "subscription_details",
                 "subscription_details": {"metadata": {}, "subscription": "sub_1QxBasil00000000000000001"}},
      "status": "paid"
    }
  }
})";

inline constexpr const char* kCustomerCreated = R"({
  "id": "evt_1PdJ6wLkdIwHu7ixCustomer1",
  "object": "event",
  "created": 1721198999,
  "livemode": false,
  "type": "customer.created",
  "data": {"object": {"id": "cus_QU3mXqY0u8Hn1L", "object": "customer", "email": "jenny@example.com"}}
})";

}  // namespace music_billing_fixtures
