// Stripe-compatible webhook handling of the music catalog's billing (src/products/music/billing): signature
// verification alone, and verification + JSON parse + parse_event, per second on one thread and on every core,
// over realistic customer.subscription.updated bodies (~2.6 KB). Usage:
//   tyto_bench_music_webhooks [SECONDS] [--write FILE]   (FILE: the signed payloads as JSON lines, for the peer)
#include "products/music/billing/billing.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

namespace billing = tyto::music::billing;
using nlohmann::json;
using Steady = std::chrono::steady_clock;

namespace {

constexpr std::int64_t kSignedAt = 1'765'000'000;

// A customer.subscription.updated event with the fields Stripe sends (API version 2024-06-20), ~2.6 KB.
std::string event_body(int i) {
  const std::string sub = fmt::format("sub_1Q{:020d}", i);
  json item = {{"id", fmt::format("si_R{:012d}", i)},
               {"object", "subscription_item"},
               {"billing_thresholds", nullptr},
               {"created", kSignedAt - 86400},
               {"discounts", json::array()},
               {"metadata", json::object()},
               {"plan",
                {{"id", "price_1QproMonthly00000000001"},
                 {"object", "plan"},
                 {"active", true},
                 {"amount", 900},
                 {"amount_decimal", "900"},
                 {"billing_scheme", "per_unit"},
                 {"created", 1700000000},
                 {"currency", "eur"},
                 {"interval", "month"},
                 {"interval_count", 1},
                 {"livemode", false},
                 {"product", "prod_RproMusic0001"},
                 {"usage_type", "licensed"}}},
               {"price",
                {{"id", "price_1QproMonthly00000000001"},
                 {"object", "price"},
                 {"active", true},
                 {"billing_scheme", "per_unit"},
                 {"created", 1700000000},
                 {"currency", "eur"},
                 {"livemode", false},
                 {"lookup_key", "pro_monthly"},
                 {"metadata", json::object()},
                 {"nickname", nullptr},
                 {"product", "prod_RproMusic0001"},
                 {"recurring", {{"interval", "month"}, {"interval_count", 1}, {"usage_type", "licensed"}}},
                 {"tax_behavior", "inclusive"},
                 {"type", "recurring"},
                 {"unit_amount", 900},
                 {"unit_amount_decimal", "900"}}},
               {"quantity", 1},
               {"subscription", sub},
               {"tax_rates", json::array()}};
  json object = {{"id", sub},
                 {"object", "subscription"},
                 {"application", nullptr},
                 {"automatic_tax", {{"enabled", true}, {"liability", {{"type", "self"}}}}},
                 {"billing_cycle_anchor", kSignedAt - 86400},
                 {"cancel_at", nullptr},
                 {"cancel_at_period_end", i % 7 == 0},
                 {"canceled_at", nullptr},
                 {"collection_method", "charge_automatically"},
                 {"created", kSignedAt - 86400},
                 {"currency", "eur"},
                 {"current_period_end", kSignedAt + 29 * 86400},
                 {"current_period_start", kSignedAt - 86400},
                 {"customer", fmt::format("cus_R{:012d}", i)},
                 {"default_payment_method", fmt::format("pm_1Q{:020d}", i)},
                 {"description", nullptr},
                 {"discounts", json::array()},
                 {"items",
                  {{"object", "list"},
                   {"data", json::array({item})},
                   {"has_more", false},
                   {"total_count", 1},
                   {"url", "/v1/subscription_items?subscription=" + sub}}},
                 {"latest_invoice", fmt::format("in_1Q{:020d}", i)},
                 {"livemode", false},
                 {"metadata",
                  {{"tenant_id", "0190c1a2-7b3e-7c4d-9e5f-a1b2c3d4e5f6"},
                   {"user_id", fmt::format("0190c1a2-8000-7000-8000-{:012d}", i)}}},
                 {"payment_settings", {{"payment_method_types", nullptr}, {"save_default_payment_method", "off"}}},
                 {"start_date", kSignedAt - 86400},
                 {"status", "active"},
                 {"trial_end", nullptr},
                 {"trial_start", nullptr}};
  json event = {{"id", fmt::format("evt_1Q{:020d}", i)},
                {"object", "event"},
                {"api_version", "2024-06-20"},
                {"created", kSignedAt},
                {"data", {{"object", object}, {"previous_attributes", {{"cancel_at_period_end", false}}}}},
                {"livemode", false},
                {"pending_webhooks", 1},
                {"request", {{"id", fmt::format("req_{:014d}", i)}, {"idempotency_key", nullptr}}},
                {"type", "customer.subscription.updated"}};
  return event.dump();
}

struct Payload {
  std::string header;
  std::string body;
};

template <class F>
void measure(const std::string& name, double seconds, unsigned threads, const std::vector<Payload>& payloads, F work) {
  std::atomic<std::size_t> done{0};
  std::atomic<std::size_t> failed{0};
  std::vector<std::thread> workers;
  const auto start = Steady::now();
  for (unsigned t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      std::size_t i = t, n = 0, bad = 0;
      while ((n & 63) != 0 || std::chrono::duration<double>(Steady::now() - start).count() < seconds) {
        if (!work(payloads[i % payloads.size()])) ++bad;
        i += threads;
        ++n;
      }
      done += n;
      failed += bad;
    });
  }
  for (auto& w : workers) w.join();
  const double total = std::chrono::duration<double>(Steady::now() - start).count();
  fmt::print("{:<58} {:>2} thread{} {:>10.0f} events/s  {:>6.2f} µs each{}\n", name, threads, threads == 1 ? " " : "s",
             done / total, total * 1e6 * threads / done, failed ? fmt::format("  ({} FAILED)", failed.load()) : "");
}

}  // namespace

int main(int argc, char** argv) {
  double seconds = 3;
  std::string write;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--write" && i + 1 < argc) {
      write = argv[++i];
    } else {
      seconds = std::stod(arg);
    }
  }
  const std::vector<std::string> secret = {"whsec_4eC39HqLyjWDarjtT1zdp7dc4eC39HqL"};
  const std::vector<std::string> rotating = {"whsec_new_0000000000000000000000000000", secret[0]};
  const billing::TimePoint now{std::chrono::seconds(kSignedAt + 5)};
  std::vector<Payload> payloads;
  std::size_t bytes = 0;
  for (int i = 0; i < 1000; ++i) {
    Payload p;
    p.body = event_body(i);
    p.header = billing::sign(p.body, secret[0], billing::TimePoint(std::chrono::seconds(kSignedAt)));
    bytes += p.body.size();
    payloads.push_back(std::move(p));
  }
  if (!write.empty()) {
    std::ofstream out(write);
    out << json({{"secret", secret[0]}, {"now", kSignedAt + 5}}).dump() << '\n';
    for (const auto& p : payloads) out << json({{"header", p.header}, {"body", p.body}}).dump() << '\n';
  }
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  fmt::print("== music billing webhooks: {} signed customer.subscription.updated bodies, {} bytes on average\n",
             payloads.size(), bytes / payloads.size());
  const auto verify = [&](const Payload& p) { return billing::verify_signature(p.header, p.body, secret, now).ok(); };
  const auto verify_rotating = [&](const Payload& p) {
    return billing::verify_signature(p.header, p.body, rotating, now).ok();
  };
  const auto verify_parse = [&](const Payload& p) {
    if (!billing::verify_signature(p.header, p.body, secret, now).ok()) return false;
    const auto event = billing::parse_event(json::parse(p.body));
    return event.subscription.has_value();
  };
  measure("verify_signature", seconds, 1, payloads, verify);
  measure("verify_signature, 2 secrets (rotation; the 2nd matches)", seconds, 1, payloads, verify_rotating);
  measure("verify_signature + json::parse + parse_event", seconds, 1, payloads, verify_parse);
  measure("verify_signature + json::parse + parse_event", seconds, cores, payloads, verify_parse);
  return 0;
}
