#include "tyto/api/personal_data_routes.hpp"

#include "tyto/api/auth_routes.hpp"
#include "tyto/api/zip_writer.hpp"
#include "tyto/core/error.hpp"
#include "tyto/core/ids.hpp"
#include "tyto/core/time.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <memory>

namespace tyto::api {
namespace {

using nlohmann::json;

constexpr std::string_view kPipeline = "platform.user_export";

json rows_json(storage::Database& db, std::string_view sql, const storage::Params& params) {
  json out = json::array();
  auto result = db.query(sql, params);
  for (const auto& r : result.rows) {
    json row = json::object();
    for (std::size_t i = 0; i < result.columns().size(); ++i) {
      const auto& v = r.at(i);
      if (v.is_null())
        row[result.columns()[i]] = nullptr;
      else if (const auto* b = std::get_if<bool>(&v.variant()))
        row[result.columns()[i]] = *b;
      else if (const auto* n = std::get_if<std::int64_t>(&v.variant()))
        row[result.columns()[i]] = *n;
      else if (const auto* d = std::get_if<double>(&v.variant()))
        row[result.columns()[i]] = *d;
      else if (const auto* s = std::get_if<std::string>(&v.variant()))
        row[result.columns()[i]] = *s;
    }
    out.push_back(std::move(row));
  }
  return out;
}

// A file name inside the archive: the object id, then its own name made harmless.
std::string entry_name(const objects::Object& o) {
  std::string name;
  for (char c : o.filename)
    name.push_back(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_' ? c : '_');
  if (name.empty() || name == "." || name == "..") name = "object";
  return "objects/" + o.id + "-" + name.substr(0, 100);
}

// ---- the platform's own contributors

// Rows of one table that belong to the user: exported as a list, deleted on erasure.
class TableData final : public PersonalData {
 public:
  TableData(storage::Database& db, std::string section, std::string select_sql, std::string delete_sql,
            std::string key_prefix = {})
      : db_(db),
        section_(std::move(section)),
        select_(std::move(select_sql)),
        delete_(std::move(delete_sql)),
        key_prefix_(std::move(key_prefix)) {}

  std::string_view section() const override { return section_; }
  ExportPart export_user(const std::string& user_id) override {
    return {rows_json(db_, select_, {key_prefix_ + user_id}), {}};
  }
  void erase_user(storage::Session& tx, const std::string& user_id, AfterCommit&) override {
    if (!delete_.empty()) tx.execute(delete_, {key_prefix_ + user_id});
  }

 private:
  storage::Database& db_;
  std::string section_;
  std::string select_;
  std::string delete_;  // empty: kept on erasure
  std::string key_prefix_;
};

// The account itself: one row, exported as an object; erased last, with what only it refers to.
class AccountData final : public PersonalData {
 public:
  explicit AccountData(storage::Database& db) : db_(db) {}
  std::string_view section() const override { return "account"; }
  ExportPart export_user(const std::string& user_id) override {
    auto rows =
        rows_json(db_, "SELECT id, email, display_name, superadmin, created_at, last_login_at FROM users WHERE id = $1",
                  {user_id});
    return {rows.empty() ? json(nullptr) : rows.front(), {}};
  }
  void erase_user(storage::Session& tx, const std::string& user_id, AfterCommit&) override {
    tx.execute("DELETE FROM refresh_tokens WHERE user_id = $1", {user_id});
    tx.execute("DELETE FROM invitations WHERE created_by = $1", {user_id});
    tx.execute("DELETE FROM users WHERE id = $1", {user_id});
  }

 private:
  storage::Database& db_;
};

// Objects and uploads the user owns: metadata in the section, bytes in the archive; erased after commit.
class ObjectData final : public PersonalData {
 public:
  explicit ObjectData(objects::Catalog& catalog) : catalog_(catalog) {}
  std::string_view section() const override { return "objects"; }
  ExportPart export_user(const std::string& user_id) override {
    ExportPart part{json::array(), {}};
    for (const auto& o : catalog_.list_owned_by(user_id)) {
      if (o.purpose == "export") continue;  // earlier exports are not part of the user's data
      json meta = o.to_json();
      meta["file"] = entry_name(o);
      part.data.push_back(std::move(meta));
      part.object_ids.push_back(o.id);
    }
    return part;
  }
  void erase_user(storage::Session& tx, const std::string& user_id, AfterCommit& after_commit) override {
    after_commit.push_back(catalog_.erase_owned_by(tx, user_id));
  }

 private:
  objects::Catalog& catalog_;
};

json run_export(PersonalDataDeps& d, pipeline::StageContext& ctx, const json& input) {
  const std::string user_id = input.at("user_id");
  const std::string tenant_id = input.at("tenant_id");
  if (!d.db.query_one("SELECT 1 FROM users WHERE id = $1", {user_id})) {
    throw pipeline::StageError("not_found", "the user no longer exists", false);
  }

  json data = {{"exported_at", format_rfc3339(now_micros())}};
  std::vector<std::string> object_ids;
  for (auto* contributor : d.contributors) {
    auto part = contributor->export_user(user_id);
    data[std::string(contributor->section())] = std::move(part.data);
    for (auto& id : part.object_ids) {
      if (std::find(object_ids.begin(), object_ids.end(), id) == object_ids.end()) object_ids.push_back(std::move(id));
    }
    ctx.check_cancelled();
  }

  const auto staging = std::filesystem::temp_directory_path() / fmt::format("tyto-export-{}.zip", new_uuid_v7());
  struct Cleanup {
    std::filesystem::path p;
    ~Cleanup() {
      std::error_code ec;
      std::filesystem::remove(p, ec);
    }
  } cleanup{staging};
  {
    ZipWriter zip(staging);
    zip.add("tyto-export.json", data.dump(2));
    std::size_t done = 0;
    for (const auto& id : object_ids) {
      const auto o = d.catalog.find_object(id);
      if (!o) continue;  // deleted since the contributor listed it
      zip.begin(entry_name(*o), o->size);
      d.catalog.store().get(o->key, 0, std::nullopt, [&](std::string_view chunk) { zip.write(chunk); });
      ctx.progress(static_cast<double>(++done) / static_cast<double>(object_ids.size()), "objects");
    }
    zip.close();
  }
  FILE* f = std::fopen(staging.c_str(), "rb");
  if (!f) throw Error(ErrorCode::kInternal, "cannot reopen the export archive");
  std::unique_ptr<FILE, int (*)(FILE*)> file(f, std::fclose);
  const auto object = d.catalog.put_object(
      {tenant_id, user_id, "export", fmt::format("tyto-export-{}.zip", format_rfc3339(now_micros()).substr(0, 10)),
       "application/zip"},
      [&](char* buf, std::size_t cap) { return std::fread(buf, 1, cap, file.get()); });
  d.audit.record({tenant_id, "user:" + user_id, "user.export", "object:" + object.id, "", "", {{"job", ctx.job_id()}}});
  return {{"object_id", object.id}, {"size", object.size}, {"download", "/api/v1/objects/" + object.id + "/content"}};
}

http::Response delete_me(PersonalDataDeps& d, const std::function<void()>& forget_caches, const http::Request& req) {
  const auto& who = req.who();
  if (!who.is_user()) throw Error(ErrorCode::kForbidden, "only a user can delete their account");
  AfterCommit after_commit;
  auto tx = d.db.begin(storage::TxMode::kWrite);
  for (auto it = d.contributors.rbegin(); it != d.contributors.rend(); ++it)
    (*it)->erase_user(*tx, who.user_id, after_commit);
  d.audit.record(*tx, audit_entry(req, "user.delete", "user:" + who.user_id));
  tx->commit();
  for (auto& fn : after_commit) fn();
  if (forget_caches) forget_caches();
  return http::Response::no_content();
}

}  // namespace

std::vector<std::unique_ptr<PersonalData>> platform_personal_data(storage::Database& db, objects::Catalog& catalog) {
  std::vector<std::unique_ptr<PersonalData>> out;
  out.push_back(std::make_unique<AccountData>(db));
  // Before memberships: a grant belongs to its membership (migration 0007).
  out.push_back(std::make_unique<TableData>(db, "role_grants",
                                            "SELECT tenant_id, role, created_at FROM role_grants WHERE user_id = $1 "
                                            "ORDER BY tenant_id, role",
                                            "DELETE FROM role_grants WHERE user_id = $1"));
  out.push_back(std::make_unique<TableData>(db, "memberships",
                                            "SELECT tenant_id, role, created_at FROM memberships WHERE user_id = $1",
                                            "DELETE FROM memberships WHERE user_id = $1"));
  out.push_back(std::make_unique<TableData>(db, "api_keys",
                                            "SELECT id, tenant_id, name, role, created_at, last_used_at, expires_at, "
                                            "revoked_at FROM api_keys WHERE created_by = $1",
                                            "DELETE FROM api_keys WHERE created_by = $1"));
  // Audit entries stay after an erasure: they are the tenant's security record (docs/api.md says so).
  out.push_back(std::make_unique<TableData>(db, "audit",
                                            "SELECT id, tenant_id, action, resource, ip, request_id, metadata, "
                                            "created_at FROM audit_logs WHERE actor = $1 ORDER BY id",
                                            "", "user:"));
  out.push_back(std::make_unique<TableData>(db, "jobs",
                                            "SELECT id, tenant_id, pipeline, input, state, result, error, created_at, "
                                            "finished_at FROM jobs WHERE created_by = $1 "
                                            "ORDER BY id",
                                            "DELETE FROM jobs WHERE created_by = $1"));
  out.push_back(std::make_unique<ObjectData>(catalog));
  return out;
}

void register_user_export_stage(pipeline::StageRegistry& registry, PersonalDataDeps deps) {
  auto d = std::make_shared<PersonalDataDeps>(deps);
  registry.add({std::string(kPipeline),
                "A ZIP of everything Tyto keeps about one user, stored as an export object",
                {{"type", "object"},
                 {"required", {"user_id", "tenant_id"}},
                 {"properties", {{"user_id", {{"type", "string"}}}, {"tenant_id", {{"type", "string"}}}}}},
                {{"type", "object"}},
                [d](pipeline::StageContext& ctx, const json& input) { return run_export(*d, ctx, input); }});
}

void add_personal_data_routes(http::Router& router, PersonalDataDeps deps, jobs::JobSubmitter& submitter,
                              std::function<void()> forget_caches) {
  auto d = std::make_shared<PersonalDataDeps>(deps);
  router.add(http::Method::kGet, "/api/v1/me/export",
             [&submitter, d](http::Request& req) {
               const auto& who = req.who();
               if (!who.is_user()) throw Error(ErrorCode::kForbidden, "only a user has personal data to export");
               jobs::JobSpec spec =
                   submitter.spec(kPipeline, who.tenant_id, {{"user_id", who.user_id}, {"tenant_id", who.tenant_id}});
               spec.unique_key = "export:" + who.user_id;
               spec.created_by = who.user_id;
               auto result = submitter.submit(spec);
               if (result.outcome == jobs::EnqueueResult::Outcome::kCreated) {
                 d->audit.record(audit_entry(req, "user.export_request", "job:" + result.job.id));
               }
               auto res = http::Response::json(result.job.to_json(), 202);
               res.headers.set("Location", "/api/v1/jobs/" + result.job.id);
               return res;
             },
             {"Export the caller's data: a job whose result names a ZIP object to download",
              "auth",
              nullptr,
              {{"type", "object"}},
              202});
  router.add(http::Method::kDelete, "/api/v1/me",
             [d, forget = std::move(forget_caches)](http::Request& req) { return delete_me(*d, forget, req); },
             {"Delete the caller's account and everything Tyto keeps about them (every product's data included)",
              "auth", nullptr, nullptr, 204});
}

}  // namespace tyto::api
