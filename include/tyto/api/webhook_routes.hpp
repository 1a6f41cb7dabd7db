// The webhooks API: endpoints a tenant registers, their delivery log, pings and redeliveries.
//
// Every route needs role admin, reads included: webhook URLs often carry credentials (chat and
// automation services put a token in the path) and delivery logs hold event payloads. Everything is
// scoped to the caller's tenant; another tenant's endpoint or delivery answers 404.
#pragma once

#include "tyto/auth/audit.hpp"
#include "tyto/http/outbound_policy.hpp"
#include "tyto/http/router.hpp"
#include "tyto/webhooks/webhooks.hpp"

namespace tyto::api {

struct WebhookRoutesDeps {
  webhooks::Outbox& outbox;
  auth::AuditLog& audit;                    // webhook.create, webhook.update, webhook.delete, webhook.rotate_secret
  const http::OutboundPolicy& outbound;     // a URL must resolve to allowed addresses when it is registered
  std::vector<std::string> product_events;  // event types the build's products emit (Product::webhook_events)
};

// POST/GET /api/v1/webhooks, GET/PATCH/DELETE /api/v1/webhooks/{id}, POST …/{id}/rotate-secret,
// POST …/{id}/ping, GET …/{id}/deliveries, POST /api/v1/webhooks/deliveries/{id}/redeliver.
void add_webhook_routes(http::Router& router, WebhookRoutesDeps deps);

}  // namespace tyto::api
