#include "tyto/api/webhook_routes.hpp"

#include "tyto/core/error.hpp"
#include "tyto/core/ids.hpp"
#include "tyto/core/time.hpp"
#include "tyto/http/outbound_client.hpp"
#include "tyto/http/page.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <memory>

namespace tyto::api {
namespace {

using http::Method;
using http::Request;
using http::Response;
using nlohmann::json;

constexpr std::size_t kMaxDescription = 500;
constexpr std::size_t kMaxEventTypes = 20;

struct Shared {
  WebhookRoutesDeps deps;
};

const http::RouteOptions kAdmin{.role = auth::Role::kAdmin};

std::string short_id(std::string_view id) { return std::string(id.substr(0, 64)); }

[[noreturn]] void no_webhook(std::string_view id) {
  throw Error(ErrorCode::kNotFound, "no such webhook", {{"id", short_id(id)}});
}

// The URL is checked as deliveries will use it: parsed, then resolved through the outbound policy.
void check_url(const std::string& url, const http::OutboundPolicy& policy, json& fields) {
  try {
    policy.resolve(http::parse_outbound_url(url).host);
  } catch (const Error& e) {
    if (e.code() == ErrorCode::kValidationFailed) {
      fields["url"] = e.details()["fields"]["url"];
    } else if (e.code() == ErrorCode::kForbidden) {
      fields["url"] = fmt::format("refused by the outbound policy: {}", e.what());
    } else {
      fields["url"] = fmt::format("the host does not resolve: {}", e.what());
    }
  }
}

void check_event_types(const json& types, const std::vector<std::string>& product_events, json& fields) {
  for (const auto& t : types) {
    if (t.is_string() && !webhooks::valid_event_pattern(t.get<std::string>(), product_events)) {
      std::string known;
      for (auto type : webhooks::kEventTypes) known += std::string(type) + ", ";
      for (const auto& type : product_events) known += type + ", ";
      fields["event_types"] =
          fmt::format("unknown event type {}; known: {}a family such as job.*, or *", t.dump(), known);
      return;
    }
  }
}

// What webhook_in_schema cannot say: the URL is one deliveries may use, the event types are known ones.
void check_webhook(const http::OutboundPolicy& policy, const std::vector<std::string>& product_events, const json& body,
                   json& fields) {
  if (const auto url = body.find("url"); url != body.end() && url->is_string()) {
    check_url(url->get<std::string>(), policy, fields);
  }
  if (const auto types = body.find("event_types"); types != body.end() && types->is_array()) {
    check_event_types(*types, product_events, fields);
  }
}

// The event types of a checked body, each once, in the order given.
std::vector<std::string> event_types(const json& types) {
  std::vector<std::string> out;
  for (const auto& t : types) {
    if (std::find(out.begin(), out.end(), t.get<std::string>()) == out.end()) out.push_back(t.get<std::string>());
  }
  return out;
}

// A member of a checked body that may be absent or null.
template <typename T>
std::optional<T> given(const json& body, const char* name) {
  const auto it = body.find(name);
  if (it == body.end() || it->is_null()) return std::nullopt;
  return it->get<T>();
}

auth::AuditEntry audit_entry(const Request& req, std::string action, const webhooks::Endpoint& e,
                             json metadata = json::object()) {
  auth::AuditEntry entry;
  entry.tenant_id = req.who().tenant_id;
  entry.actor = req.who().actor();
  entry.action = std::move(action);
  entry.resource = "webhook:" + e.id;
  entry.ip = req.remote_address;
  entry.request_id = req.request_id;
  entry.metadata = std::move(metadata);
  return entry;
}

Response create(Shared& s, Request& req) {
  const json body = req.json();
  auto [secret, sealed] = s.deps.outbox.new_secret();
  webhooks::Endpoint e;
  e.id = new_uuid_v7();
  e.tenant_id = req.who().tenant_id;
  e.url = body["url"].get<std::string>();
  e.description = given<std::string>(body, "description").value_or("");
  e.event_types = event_types(body["event_types"]);
  e.active = given<bool>(body, "active").value_or(true);
  e.created_by = req.who().actor();
  e.created_at = e.updated_at = now_micros();
  e.sealed_secret = std::move(sealed);
  auto tx = s.deps.outbox.store().db().begin();
  s.deps.outbox.store().create(*tx, e);
  s.deps.audit.record(*tx, audit_entry(req, "webhook.create", e, {{"url", e.url}, {"event_types", e.event_types}}));
  tx->commit();
  json out = e.to_json();
  out["secret"] = secret;
  Response res = Response::json(out, 201);
  res.headers.set("Location", "/api/v1/webhooks/" + e.id);
  return res;
}

Response update(Shared& s, Request& req) {
  const json body = req.json();
  webhooks::EndpointPatch patch;
  patch.url = given<std::string>(body, "url");
  if (body.contains("event_types")) patch.event_types = event_types(body["event_types"]);
  patch.description = given<std::string>(body, "description");
  patch.active = given<bool>(body, "active");
  auto tx = s.deps.outbox.store().db().begin();
  auto e = s.deps.outbox.store().update(*tx, req.who().tenant_id, req.param("id"), patch);
  if (!e) no_webhook(req.param("id"));
  json changed = json::array();
  for (const auto& [key, value] : body.items()) changed.push_back(key);
  s.deps.audit.record(*tx, audit_entry(req, "webhook.update", *e, {{"fields", changed}, {"url", e->url}}));
  tx->commit();
  return Response::json(e->to_json());
}

Response remove(Shared& s, Request& req) {
  auto& store = s.deps.outbox.store();
  auto tx = store.db().begin();
  auto e = store.get(req.who().tenant_id, req.param("id"));
  if (!e || !store.remove(*tx, e->tenant_id, e->id)) no_webhook(req.param("id"));
  s.deps.audit.record(*tx, audit_entry(req, "webhook.delete", *e, {{"url", e->url}}));
  tx->commit();
  return Response::no_content();
}

Response rotate(Shared& s, Request& req) {
  auto [secret, sealed] = s.deps.outbox.new_secret();
  auto tx = s.deps.outbox.store().db().begin();
  auto e = s.deps.outbox.store().set_secret(*tx, req.who().tenant_id, req.param("id"), sealed);
  if (!e) no_webhook(req.param("id"));
  s.deps.audit.record(*tx, audit_entry(req, "webhook.rotate_secret", *e));
  tx->commit();
  json out = e->to_json();
  out["secret"] = secret;
  return Response::json(out);
}

Response deliveries(Shared& s, Request& req) {
  const auto& tenant = req.who().tenant_id;
  if (!s.deps.outbox.store().get(tenant, req.param("id"))) no_webhook(req.param("id"));
  const auto page = http::page_query(req, 20, 100);
  const auto found = s.deps.outbox.store().deliveries(tenant, req.param("id"), page.fetch(), page.cursor);
  return Response::json(http::page_body(
      page, found, [](const webhooks::Delivery& d) { return d.to_json(); },
      [](const webhooks::Delivery& d) { return d.id; }));
}

Response list(Shared& s, Request& req) {
  const auto page = http::page_query(req, 50, 200);
  const auto found = s.deps.outbox.store().list(req.who().tenant_id, page.fetch(), page.cursor);
  return Response::json(http::page_body(
      page, found, [](const webhooks::Endpoint& e) { return e.to_json(); },
      [](const webhooks::Endpoint& e) { return e.id; }));
}

json webhook_in_schema(bool create) {
  json schema = {{"type", "object"},
                 {"properties",
                  {{"url",
                    {{"type", "string"},
                     {"format", "uri"},
                     {"maxLength", 2048},
                     {"description",
                      "http:// or https://, no user information; its host must resolve to addresses the "
                      "outbound policy allows"}}},
                   {"event_types",
                    {{"type", "array"},
                     {"items",
                      {{"type", "string"},
                       {"description",
                        "job.succeeded, job.failed, job.cancelled, object.created, webhook.ping, a family such "
                        "as job.*, or *"}}},
                     {"minItems", 1},
                     {"maxItems", kMaxEventTypes}}},
                   {"description", {{"type", {"string", "null"}}, {"maxLength", kMaxDescription}}},
                   {"active", {{"type", {"boolean", "null"}}}}}}};
  if (create) {
    schema["required"] = {"url", "event_types"};
  } else {
    schema["additionalProperties"] = false;  // the id, secret and the rest are not changed here
  }
  return schema;
}

json webhook_out_schema(bool with_secret) {
  json schema = {{"type", "object"},
                 {"required", {"id", "url", "event_types", "active"}},
                 {"properties",
                  {{"id", {{"type", "string"}}},
                   {"url", {{"type", "string"}}},
                   {"description", {{"type", "string"}}},
                   {"event_types", {{"type", "array"}, {"items", {{"type", "string"}}}}},
                   {"active", {{"type", "boolean"}}},
                   {"created_at", {{"type", "string"}, {"format", "date-time"}}}}}};
  if (with_secret) {
    schema["required"].push_back("secret");
    schema["properties"]["secret"] = {{"type", "string"}, {"description", "whsec_…; shown only here"}};
  }
  return schema;
}

json delivery_schema() {
  return {{"type", "object"},
          {"properties",
           {{"id", {{"type", "string"}}},
            {"event_type", {{"type", "string"}}},
            {"state", {{"type", "string"}, {"enum", {"pending", "delivering", "delivered", "failed"}}}},
            {"attempts", {{"type", "integer"}}},
            {"attempt_log", {{"type", "array"}}}}}};
}

}  // namespace

void add_webhook_routes(http::Router& router, WebhookRoutesDeps deps) {
  auto s = std::make_shared<Shared>(Shared{deps});
  http::RouteOptions checked = kAdmin;
  checked.body_check = [s](const Request&, const json& body, json& fields) {
    check_webhook(s->deps.outbound, s->deps.product_events, body, fields);
  };
  router.add(
      Method::kPost, "/api/v1/webhooks", [s](Request& req) { return create(*s, req); },
      {"Register a webhook endpoint; the signing secret is in this response only", "webhooks", webhook_in_schema(true),
       webhook_out_schema(true), 201},
      checked);
  router.add(
      Method::kGet, "/api/v1/webhooks", [s](Request& req) { return list(*s, req); },
      {"List webhook endpoints, newest first (?limit=, ?cursor=)", "webhooks", nullptr,
       http::page_schema(webhook_out_schema(false))},
      kAdmin);
  router.add(
      Method::kGet, "/api/v1/webhooks/{id}",
      [s](Request& req) {
        auto e = s->deps.outbox.store().get(req.who().tenant_id, req.param("id"));
        if (!e) no_webhook(req.param("id"));
        return Response::json(e->to_json());
      },
      {"A webhook endpoint", "webhooks", nullptr, webhook_out_schema(false)}, kAdmin);
  router.add(
      Method::kPatch, "/api/v1/webhooks/{id}", [s](Request& req) { return update(*s, req); },
      {"Change a webhook's URL, event types, description or active flag", "webhooks", webhook_in_schema(false),
       webhook_out_schema(false)},
      checked);
  router.add(
      Method::kDelete, "/api/v1/webhooks/{id}", [s](Request& req) { return remove(*s, req); },
      {"Delete a webhook with its delivery log", "webhooks", nullptr, nullptr, 204}, kAdmin);
  router.add(
      Method::kPost, "/api/v1/webhooks/{id}/rotate-secret", [s](Request& req) { return rotate(*s, req); },
      {"Replace the signing secret; the new one is in this response only", "webhooks", nullptr,
       webhook_out_schema(true)},
      kAdmin);
  router.add(
      Method::kPost, "/api/v1/webhooks/{id}/ping",
      [s](Request& req) {
        return Response::json(s->deps.outbox.ping(req.who().tenant_id, req.param("id")).to_json(), 202);
      },
      {"Send a webhook.ping event to this endpoint", "webhooks", nullptr, delivery_schema(), 202}, kAdmin);
  router.add(
      Method::kGet, "/api/v1/webhooks/{id}/deliveries", [s](Request& req) { return deliveries(*s, req); },
      {"The delivery log: deliveries newest first, each with its attempts (?limit=, ?cursor=)", "webhooks", nullptr,
       http::page_schema(delivery_schema())},
      kAdmin);
  router.add(
      Method::kPost, "/api/v1/webhooks/deliveries/{id}/redeliver",
      [s](Request& req) {
        return Response::json(s->deps.outbox.redeliver(req.who().tenant_id, req.param("id")).to_json(), 202);
      },
      {"Deliver a delivered or failed delivery again (same id, new attempts)", "webhooks", nullptr, delivery_schema(),
       202},
      kAdmin);
}

}  // namespace tyto::api
