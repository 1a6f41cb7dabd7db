// Plans (configuration) and the entitlements that subscriptions' latest snapshots grant.
#include "products/music/billing/billing.hpp"

#include "tyto/core/error.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace tyto::music::billing {
namespace {

using nlohmann::json;

Plan plan(std::string name, std::int64_t generations, std::optional<std::int64_t> lookups,
          std::set<std::string> bundles) {
  return {std::move(name), generations, lookups, std::move(bundles)};
}

// Reads the quota members of a plan object into `out`, recording problems under `where`.
void read_quotas(const json& object, const std::string& where, Plan& out, json& problems) {
  if (const auto it = object.find("ai_generations_per_month"); it != object.end()) {
    if (!it->is_number_integer() || it->get<std::int64_t>() < 0) {
      problems[where + ".ai_generations_per_month"] = "must be an integer >= 0";
    } else {
      out.ai_generations_per_month = it->get<std::int64_t>();
    }
  }
  if (const auto it = object.find("lookups_per_day"); it != object.end()) {
    if (it->is_null()) {
      out.lookups_per_day.reset();
    } else if (!it->is_number_integer() || it->get<std::int64_t>() < 0) {
      problems[where + ".lookups_per_day"] = "must be an integer >= 0, or null for unlimited";
    } else {
      out.lookups_per_day = it->get<std::int64_t>();
    }
  }
  if (const auto it = object.find("bundles"); it != object.end()) {
    out.bundles.clear();
    if (!it->is_array()) {
      problems[where + ".bundles"] = "must be an array of names";
    } else {
      for (const auto& bundle : *it) {
        if (!bundle.is_string() || bundle.get_ref<const std::string&>().empty()) {
          problems[where + ".bundles"] = "must be an array of non-empty names";
        } else {
          out.bundles.insert(bundle.get<std::string>());
        }
      }
    }
  }
  for (const auto& [key, value] : object.items()) {
    static const std::set<std::string, std::less<>> kKnown = {
        "name", "prices", "lookup_keys", "bundles", "ai_generations_per_month", "lookups_per_day"};
    if (!kKnown.contains(key)) problems[where + "." + key] = "is not a plan member";
  }
}

bool more_lookups(const std::optional<std::int64_t>& a, const std::optional<std::int64_t>& b) {
  if (!a) return b.has_value();
  return b && *a > *b;
}

bool grants(const Subscription& sub, const Plans& plans, TimePoint now) {
  switch (sub.status) {
    case SubscriptionStatus::kActive:
    case SubscriptionStatus::kTrialing:
      return now < sub.current_period_end;
    case SubscriptionStatus::kPastDue:
      return now < sub.current_period_end + plans.grace_period;
    default:
      return false;
  }
}

}  // namespace

Plans default_plans() {
  Plans plans;
  plans.free = plan("free", 5, 100, {});
  const Plan plus = plan("plus", 100, 2000, {"pop"});
  const Plan pro = plan("pro", 1000, std::nullopt, {"pop", "rock", "classics"});
  plans.by_price = {{"plus_monthly", plus}, {"plus_yearly", plus}, {"pro_monthly", pro}, {"pro_yearly", pro}};
  plans.grace_period = std::chrono::hours(72);
  return plans;
}

Plans plans_from_json(const json& config) {
  if (!config.is_object()) throw validation_error("invalid billing plans", {{"plans", "must be an object"}});
  Plans plans = default_plans();
  json problems = json::object();
  for (const auto& [key, value] : config.items()) {
    if (key != "grace_period_hours" && key != "free" && key != "plans") problems[key] = "is not a member of plans";
  }
  if (const auto it = config.find("grace_period_hours"); it != config.end()) {
    if (!it->is_number_integer() || it->get<std::int64_t>() < 0) {
      problems["grace_period_hours"] = "must be an integer >= 0";
    } else {
      plans.grace_period = std::chrono::hours(it->get<std::int64_t>());
    }
  }
  if (const auto it = config.find("free"); it != config.end()) {
    if (!it->is_object()) {
      problems["free"] = "must be an object";
    } else {
      read_quotas(*it, "free", plans.free, problems);
      if (it->contains("prices") || it->contains("lookup_keys")) problems["free"] = "has no prices";
    }
  }
  if (const auto it = config.find("plans"); it != config.end()) {
    plans.by_price.clear();
    if (!it->is_array()) problems["plans"] = "must be an array";
    std::set<std::string> names = {plans.free.name};
    for (std::size_t i = 0; it->is_array() && i < it->size(); ++i) {
      const json& entry = (*it)[i];
      const std::string where = fmt::format("plans[{}]", i);
      if (!entry.is_object()) {
        problems[where] = "must be an object";
        continue;
      }
      Plan p;
      const auto name = entry.find("name");
      if (name == entry.end() || !name->is_string() || name->get_ref<const std::string&>().empty()) {
        problems[where + ".name"] = "must be a non-empty string";
      } else if (!names.insert(name->get<std::string>()).second) {
        problems[where + ".name"] = "is used by another plan";
      } else {
        p.name = name->get<std::string>();
      }
      read_quotas(entry, where, p, problems);
      std::size_t keys = 0;
      for (const char* member : {"prices", "lookup_keys"}) {
        const auto list = entry.find(member);
        if (list == entry.end()) continue;
        if (!list->is_array()) {
          problems[where + "." + member] = "must be an array of strings";
          continue;
        }
        for (const auto& key : *list) {
          if (!key.is_string() || key.get_ref<const std::string&>().empty()) {
            problems[where + "." + member] = "must be an array of non-empty strings";
          } else if (!plans.by_price.emplace(key.get<std::string>(), p).second) {
            problems[where + "." + member] = fmt::format("'{}' belongs to another plan", key.get<std::string>());
          } else {
            ++keys;
          }
        }
      }
      if (keys == 0 && !problems.contains(where + ".prices")) {
        problems[where + ".prices"] = "a plan needs at least one price id or lookup key";
      }
    }
  }
  if (!problems.empty()) throw validation_error("invalid billing plans", problems);
  return plans;
}

Entitlements entitlements(const std::vector<Subscription>& subscriptions, const Plans& plans, TimePoint now) {
  Entitlements out;
  out.plan = plans.free.name;
  out.ai_generations_per_month = plans.free.ai_generations_per_month;
  out.lookups_per_day = plans.free.lookups_per_day;
  out.bundles = plans.free.bundles;
  std::int64_t best = -1;
  for (const auto& sub : subscriptions) {
    if (!grants(sub, plans, now)) continue;
    bool granted = false;
    const auto apply = [&](const std::string& key) {
      const auto it = plans.by_price.find(key);
      if (it == plans.by_price.end()) return;
      const Plan& p = it->second;
      granted = true;
      if (p.ai_generations_per_month > best) {
        best = p.ai_generations_per_month;
        out.plan = p.name;
      }
      out.ai_generations_per_month = std::max(out.ai_generations_per_month, p.ai_generations_per_month);
      if (more_lookups(p.lookups_per_day, out.lookups_per_day)) out.lookups_per_day = p.lookups_per_day;
      out.bundles.insert(p.bundles.begin(), p.bundles.end());
    };
    for (const auto& price : sub.prices) apply(price);
    for (const auto& key : sub.lookup_keys) apply(key);
    if (!granted) continue;
    out.subscriptions.push_back(sub.id);
    if (!out.renews_or_ends || sub.current_period_end < *out.renews_or_ends)
      out.renews_or_ends = sub.current_period_end;
  }
  std::sort(out.subscriptions.begin(), out.subscriptions.end());
  return out;
}

}  // namespace tyto::music::billing
