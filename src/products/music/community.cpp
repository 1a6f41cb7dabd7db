#include "community.hpp"

#include "tyto/auth/audit.hpp"
#include "tyto/auth/identity.hpp"
#include "tyto/core/ids.hpp"
#include "tyto/core/logging.hpp"
#include "tyto/core/time.hpp"
#include "tyto/webhooks/webhooks.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace tyto::products::music {

using nlohmann::json;

Community::Community(Services& services, MusicStore& store, KarmaRules rules)
    : s_(services), store_(store), rules_(rules) {}

Member Community::add_karma(storage::Transaction& tx, std::vector<events::NewEvent>& pending,
                            std::vector<std::function<void()>>& after_commit, KarmaEntry entry) {
  if (entry.id.empty()) entry.id = new_uuid_v7();
  if (entry.created_at == 0) entry.created_at = now_micros();
  store_.insert_karma(tx, entry);
  Member m = store_.member(tx, entry.tenant_id, entry.user_id);
  const int before = m.karma;
  m.karma = store_.karma_sum(tx, entry.tenant_id, entry.user_id);
  const json roles = settle_roles(tx, m);
  store_.put_member(tx, m);
  if (m.karma != before) {
    notify(tx, pending, after_commit, entry.tenant_id, entry.user_id, "karma.changed",
           {{"karma", m.karma},
            {"delta", m.karma - before},
            {"reason", entry.reason},
            {"edit_id", entry.edit_id ? json(*entry.edit_id) : json(nullptr)}});
  }
  if (!roles.empty() && s_.roles_changed) after_commit.push_back(s_.roles_changed);
  for (const auto& [role, won] : roles.items()) {
    // Everyone above fixer_karma is a fixer: winning it is no news, losing it is.
    if (role == kFixerRole && won.get<bool>()) continue;
    notify(tx, pending, after_commit, entry.tenant_id, entry.user_id, "role.changed",
           {{"role", role}, {"granted", won.get<bool>()}, {"karma", m.karma}});
  }
  return m;
}

int Community::reverse_edit(storage::Transaction& tx, std::vector<events::NewEvent>& pending,
                            std::vector<std::function<void()>>& after_commit, const std::string& tenant_id,
                            const std::string& edit_id) {
  const auto entries = store_.karma_of_edit(tx, tenant_id, edit_id);
  int reversed = 0;
  for (const auto& e : entries) {
    if (e.reason == "reversal") continue;
    const bool done = std::any_of(entries.begin(), entries.end(),
                                  [&](const KarmaEntry& r) { return r.reason == "reversal" && r.reverses_id == e.id; });
    if (done || e.delta == 0) continue;
    add_karma(tx, pending, after_commit,
              {.tenant_id = tenant_id,
               .user_id = e.user_id,
               .delta = -e.delta,
               .reason = "reversal",
               .edit_id = edit_id,
               .map_id = e.map_id,
               .reverses_id = e.id});
    ++reversed;
  }
  return reversed;
}

json Community::settle_roles(storage::Transaction& tx, Member& m) {
  json changes = json::object();
  if (!s_.identity) return changes;
  const auto held = s_.identity->grants(m.tenant_id, m.user_id);
  const auto holds = [&](auth::Role r) { return std::find(held.begin(), held.end(), r) != held.end(); };
  const auto earned = [&](std::string_view name) {
    return std::find(m.earned_roles.begin(), m.earned_roles.end(), name) != m.earned_roles.end();
  };
  const std::pair<std::string_view, int> ladder[] = {{kFixerRole, rules_.fixer_karma},
                                                     {kVerifierRole, rules_.verifier_karma}};
  for (const auto& [name, threshold] : ladder) {
    const auto role = auth::Role::product(name);
    if (m.karma >= threshold && !holds(role)) {
      if (s_.identity->grant_role(tx, m.tenant_id, m.user_id, role, "music:karma")) {
        m.earned_roles.emplace_back(name);
        changes[std::string(name)] = true;
        s_.audit.record(tx, {m.tenant_id,
                             "system",
                             "music.role_earned",
                             "user:" + m.user_id,
                             "",
                             "",
                             {{"role", name}, {"karma", m.karma}}});
      }
    } else if (m.karma < threshold && holds(role) && earned(name)) {
      // Only what karma gave, karma takes back: an admin's grant stays.
      s_.identity->revoke_role(tx, m.tenant_id, m.user_id, role);
      std::erase(m.earned_roles, std::string(name));
      changes[std::string(name)] = false;
      s_.audit.record(tx, {m.tenant_id,
                           "system",
                           "music.role_lost",
                           "user:" + m.user_id,
                           "",
                           "",
                           {{"role", name}, {"karma", m.karma}}});
    }
  }
  return changes;
}

bool Community::ensure_fixer(const auth::Principal& who) {
  if (who.allows(fixer_role())) return true;
  if (who.user_id.empty()) return false;
  auto tx = s_.db.begin(storage::TxMode::kWrite);
  Member m = store_.member(*tx, who.tenant_id, who.user_id);
  m.karma = store_.karma_sum(*tx, who.tenant_id, who.user_id);
  if (m.karma < rules_.fixer_karma) return false;
  const auto changes = settle_roles(*tx, m);
  store_.put_member(*tx, m);
  tx->commit();
  if (!changes.empty() && s_.roles_changed) s_.roles_changed();
  return true;
}

void Community::notify(storage::Transaction& tx, std::vector<events::NewEvent>& pending,
                       std::vector<std::function<void()>>& after_commit, const std::string& tenant_id,
                       const std::string& user_id, const std::string& kind, json data) {
  Notification n{new_uuid_v7(), tenant_id, user_id, kind, std::move(data), std::nullopt, now_micros()};
  store_.insert_notification(tx, n);
  json body = notification_json(n);
  body["user_id"] = user_id;
  pending.push_back({tenant_id, topic(user_id), "notification", body});
  s_.webhooks.emit(tx, tenant_id, "music." + kind, body, &pending);
  if (!mail_ || !s_.identity || kind == "karma.changed") return;
  if (!store_.member(tx, tenant_id, user_id).email_notifications) return;
  const auto user = s_.identity->user_by_id(user_id);
  if (!user || user->email.empty() || user->disabled) return;
  after_commit.push_back([this, tenant_id, email = user->email, subject = "Tyto: " + describe(kind, n.data),
                          text = describe(kind, n.data) + "\n\n" + n.data.dump(2)] {
    try {
      mail_(tenant_id, email, subject, text);
    } catch (const std::exception& e) {
      log::warn("music: a notification e-mail was not queued", {{"error", e.what()}});
    }
  });
}

std::string Community::describe(const std::string& kind, const json& d) const {
  if (kind == "map.ready") return fmt::format("your drum map for \"{}\" is ready", d.value("title", "a song"));
  if (kind == "map.failed") return fmt::format("your drum map for \"{}\" failed", d.value("title", "a song"));
  if (kind == "edit.decided") return fmt::format("your fix was {}", d.value("status", "decided"));
  if (kind == "role.changed") {
    return fmt::format("you {} the {} role", d.value("granted", false) ? "earned" : "lost", d.value("role", ""));
  }
  if (kind == "karma.changed") return fmt::format("your karma is now {}", d.value("karma", 0));
  if (kind == "subscription.changed") return "your subscription changed";
  return kind;
}

}  // namespace tyto::products::music
