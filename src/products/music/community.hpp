// The community around the catalog: karma, the roles it earns, and notifications.
//
// Karma is an append-only ledger (music_karma). Every change is an entry with its reason; a member's karma is the
// ledger's sum, recomputed (never incremented) whenever an entry is written, and the roles it earns are recomputed
// with it. The rules (docs/products/music-catalog.md, "Karma"):
//   fix_approved         +10  the editor, when a verifier approves their edit
//   fix_rejected          −2  the editor, when a verifier rejects it
//   verification          +2  the verifier, for each decision on someone else's edit or map
//   generation_verified   +5  whoever generated a map, when a verifier verifies it as it is
//   reversal             −(x) each entry of an edit that is reverted, reversed by an entry that names it
// Roles: `fixer` is earned at karma ≥ fixer_karma (default −20, so newcomers may fix until they are rejected a
// lot) and `verifier` at karma ≥ verifier_karma (default 50); they are granted through the platform's grants
// (Services::identity) and revoked when karma falls below — only the grants karma made: an admin's grant stays.
// `curator` is granted by admins only.
//
// Notifications are rows (music_notifications) the user reads in the console or the API, streamed on the topic
// "music.notifications:<user id>" as they are written, mailed when the member wants e-mail and mail is
// configured, and sent as webhooks ("music.<kind>") to the tenant's endpoints.
//
// Thread-safety: stateless beyond the services; every method takes the caller's transaction.
#pragma once

#include "store.hpp"
#include "tyto/auth/principal.hpp"
#include "tyto/events/events.hpp"
#include "tyto/product.hpp"

#include <functional>
#include <string>
#include <vector>

namespace tyto::products::music {

inline constexpr std::string_view kFixerRole = "fixer";
inline constexpr std::string_view kVerifierRole = "verifier";
inline constexpr std::string_view kCuratorRole = "curator";
inline auth::Role fixer_role() { return auth::Role::product(kFixerRole); }
inline auth::Role verifier_role() { return auth::Role::product(kVerifierRole); }
inline auth::Role curator_role() { return auth::Role::product(kCuratorRole); }

struct KarmaRules {
  int fix_approved = 10;
  int fix_rejected = -2;
  int verification = 2;
  int generation_verified = 5;
  int fixer_karma = -20;
  int verifier_karma = 50;
};

// Sends one e-mail; set when the platform's mail is configured. Must not throw for a delivery problem (the
// mailer queues and retries); may throw for a bad address.
using SendMail = std::function<void(const std::string& tenant_id, const std::string& to, const std::string& subject,
                                    const std::string& text)>;

class Community {
 public:
  Community(Services& services, MusicStore& store, KarmaRules rules);
  void set_mail(SendMail mail) { mail_ = std::move(mail); }
  const KarmaRules& rules() const { return rules_; }

  // Appends an entry (kept once per user, reason and edit), recomputes the member's karma and earned roles, and
  // notifies them (karma.changed, and role.changed for a role won or lost). Returns the member afterwards.
  Member add_karma(storage::Transaction& tx, std::vector<events::NewEvent>& pending,
                   std::vector<std::function<void()>>& after_commit, KarmaEntry entry);
  // Reverses every entry of an edit that is not a reversal or reversed already; returns how many.
  int reverse_edit(storage::Transaction& tx, std::vector<events::NewEvent>& pending,
                   std::vector<std::function<void()>>& after_commit, const std::string& tenant_id,
                   const std::string& edit_id);
  // Grants `fixer` now when the member's karma earns it and they do not hold it: the first fix of a newcomer.
  // False when their karma is below fixer_karma.
  bool ensure_fixer(const auth::Principal& who);

  // Writes a notification, its stream event and its webhook in tx; e-mail goes after commit through mail_.
  // `after_commit` collects the e-mails to send.
  void notify(storage::Transaction& tx, std::vector<events::NewEvent>& pending,
              std::vector<std::function<void()>>& after_commit, const std::string& tenant_id,
              const std::string& user_id, const std::string& kind, nlohmann::json data);

  static std::string topic(std::string_view user_id) { return "music.notifications:" + std::string(user_id); }

 private:
  // Grants or revokes the roles karma earns; returns the changes {"verifier": true (won) / false (lost)}.
  nlohmann::json settle_roles(storage::Transaction& tx, Member& member);
  std::string describe(const std::string& kind, const nlohmann::json& data) const;

  Services& s_;
  MusicStore& store_;
  KarmaRules rules_;
  SendMail mail_;
};

}  // namespace tyto::products::music
