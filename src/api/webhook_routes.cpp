#include "tyto/api/webhook_routes.hpp"

#include "tyto/core/error.hpp"
#include "tyto/core/ids.hpp"
#include "tyto/core/time.hpp"
#include "tyto/http/outbound_client.hpp"

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
void check_url(const json& value, const http::OutboundPolicy& policy, json& fields) {
  if (!value.is_string()) {
    fields["url"] = "required, an http:// or https:// URL";
    return;
  }
  try {
    const auto url = http::parse_outbound_url(value.get<std::string>());
    policy.resolve(url.host);
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

std::vector<std::string> check_event_types(const json& value, json& fields) {
  std::vector<std::string> out;
  if (!value.is_array() || value.empty() || value.size() > kMaxEventTypes) {
    fields["event_types"] =
        fmt::format("required, a list of 1 to {} event types (\"job.succeeded\", \"job.*\", \"*\")", kMaxEventTypes);
    return out;
  }
  for (const auto& t : value) {
    if (!t.is_string() || !webhooks::valid_event_pattern(t.get<std::string>())) {
      fields["event_types"] = fmt::format(
          "unknown event type {}; known: job.succeeded, job.failed, job.cancelled, "
          "object.created, webhook.ping, a family such as job.*, or *",
          t.dump());
      return out;
    }
    if (std::find(out.begin(), out.end(), t.get<std::string>()) == out.end()) out.push_back(t.get<std::string>());
  }
  return out;
}

std::optional<std::string> check_description(const json& body, json& fields) {
  if (!body.contains("description") || body["description"].is_null()) return std::nullopt;
  if (!body["description"].is_string() || body["description"].get<std::string>().size() > kMaxDescription) {
    fields["description"] = fmt::format("must be a string of at most {} characters", kMaxDescription);
    return std::nullopt;
  }
  return body["description"].get<std::string>();
}

std::optional<bool> check_active(const json& body, json& fields) {
  if (!body.contains("active") || body["active"].is_null()) return std::nullopt;
  if (!body["active"].is_boolean()) {
    fields["active"] = "must be true or false";
    return std::nullopt;
  }
  return body["active"].get<bool>();
}

json object_body(const Request& req) {
  json body = req.json();
  if (!body.is_object()) throw validation_error("the body must be a JSON object", {{"(root)", "must be an object"}});
  return body;
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
  const json body = object_body(req);
  json fields = json::object();
  check_url(body.value("url", json(nullptr)), s.deps.outbound, fields);
  const auto types = check_event_types(body.value("event_types", json(nullptr)), fields);
  const auto description = check_description(body, fields);
  const auto active = check_active(body, fields);
  if (!fields.empty()) throw validation_error("invalid webhook", fields);

  auto [secret, sealed] = s.deps.outbox.new_secret();
  webhooks::Endpoint e;
  e.id = new_uuid_v7();
  e.tenant_id = req.who().tenant_id;
  e.url = body["url"].get<std::string>();
  e.description = description.value_or("");
  e.event_types = types;
  e.active = active.value_or(true);
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
  const json body = object_body(req);
  json fields = json::object();
  webhooks::EndpointPatch patch;
  if (body.contains("url")) {
    check_url(body["url"], s.deps.outbound, fields);
    if (body["url"].is_string()) patch.url = body["url"].get<std::string>();
  }
  if (body.contains("event_types")) patch.event_types = check_event_types(body["event_types"], fields);
  patch.description = check_description(body, fields);
  patch.active = check_active(body, fields);
  for (const auto& [key, value] : body.items()) {
    if (key != "url" && key != "event_types" && key != "description" && key != "active") {
      fields[key] = "unknown field; url, event_types, description and active can be changed";
    }
  }
  if (!fields.empty()) throw validation_error("invalid webhook", fields);
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
  const int limit = http::page_limit(req, 20, 100);
  std::optional<std::string> cursor;
  if (auto c = req.query("cursor"); c && !c->empty()) cursor = *c;
  auto found = s.deps.outbox.store().deliveries(tenant, req.param("id"), limit + 1, cursor);
  json next = nullptr;
  if (static_cast<int>(found.size()) > limit) {
    found.resize(static_cast<std::size_t>(limit));
    next = found.back().id;
  }
  json items = json::array();
  for (const auto& d : found) items.push_back(d.to_json());
  return Response::json({{"items", items}, {"next_cursor", next}});
}

Response list(Shared& s, Request& req) {
  const int limit = http::page_limit(req, 50, 200);
  std::optional<std::string> cursor;
  if (auto c = req.query("cursor"); c && !c->empty()) cursor = *c;
  auto found = s.deps.outbox.store().list(req.who().tenant_id, limit + 1, cursor);
  json next = nullptr;
  if (static_cast<int>(found.size()) > limit) {
    found.resize(static_cast<std::size_t>(limit));
    next = found.back().id;
  }
  json items = json::array();
  for (const auto& e : found) items.push_back(e.to_json());
  return Response::json({{"items", items}, {"next_cursor", next}});
}

json webhook_in_schema(bool create) {
  json schema = {{"type", "object"},
                 {"properties",
                  {{"url", {{"type", "string"}, {"format", "uri"}, {"maxLength", 2048}}},
                   {"event_types", {{"type", "array"}, {"items", {{"type", "string"}}}, {"minItems", 1}}},
                   {"description", {{"type", "string"}, {"maxLength", kMaxDescription}}},
                   {"active", {{"type", "boolean"}}}}}};
  if (create) schema["required"] = {"url", "event_types"};
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

json page_schema(json item) {
  return {
      {"type", "object"},
      {"properties",
       {{"items", {{"type", "array"}, {"items", std::move(item)}}}, {"next_cursor", {{"type", {"string", "null"}}}}}}};
}

}  // namespace

void add_webhook_routes(http::Router& router, WebhookRoutesDeps deps) {
  auto s = std::make_shared<Shared>(Shared{deps});
  router.add(
      Method::kPost, "/api/v1/webhooks", [s](Request& req) { return create(*s, req); },
      {"Register a webhook endpoint; the signing secret is in this response only", "webhooks", webhook_in_schema(true),
       webhook_out_schema(true), 201},
      kAdmin);
  router.add(
      Method::kGet, "/api/v1/webhooks", [s](Request& req) { return list(*s, req); },
      {"List webhook endpoints, newest first (?limit=, ?cursor=)", "webhooks", nullptr,
       page_schema(webhook_out_schema(false))},
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
      kAdmin);
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
       page_schema(delivery_schema())},
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
