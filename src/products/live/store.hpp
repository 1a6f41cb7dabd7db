// Sources and sessions of the live product, and the named SQL that keeps them. Every query names the
// tenant. The stores block: call them from handlers on the blocking pool, from stages and from a
// session's own threads, never from an I/O thread.
#pragma once

#include "tyto/storage/database.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tyto::products::live {

struct Source {
  std::string id;
  std::string tenant_id;
  std::string kind;  // rtsp, http, upload, webcam
  std::string name;
  std::optional<std::string> url_sealed;  // Services::secrets.seal(url)
  std::optional<std::string> url_shown;   // the URL with its password replaced by ***
  std::optional<std::string> object_id;   // upload
  nlohmann::json options = nlohmann::json::object();
  std::optional<std::string> created_by;
  std::int64_t created_at = 0;
};

struct Session {
  std::string id;
  std::string tenant_id;
  std::string source_id;
  std::string source_kind;
  nlohmann::json settings;  // pipelines, profile, zones, lines, models
  std::string state = "queued";
  std::string profile;
  std::optional<std::string> job_id;
  nlohmann::json stats;       // null until the first metrics
  nlohmann::json checkpoint;  // null until the first stored frame
  bool stop_requested = false;
  std::optional<std::string> error;
  std::optional<std::string> created_by;
  std::int64_t created_at = 0;
  std::optional<std::int64_t> started_at;
  std::optional<std::int64_t> ended_at;

  bool ended() const { return state == "finished" || state == "stopped" || state == "failed"; }
};

// The events topic of a session ("live_session:<id>").
std::string session_topic(std::string_view session_id);
// A UUID, else Error(kNotFound) naming `what`.
void check_id(std::string_view id, std::string_view what);
// "rtsp://user:***@host/path": the URL with any password replaced.
std::string shown_url(std::string_view url);

nlohmann::json source_json(const Source& s);
nlohmann::json source_schema();
nlohmann::json session_json(const Session& s);
nlohmann::json session_schema();

class LiveStore {
 public:
  explicit LiveStore(storage::Database& db) : db_(db) {}

  void insert_source(storage::Session& tx, const Source& s);
  std::optional<Source> source(const std::string& tenant_id, const std::string& id);
  std::vector<Source> sources(const std::string& tenant_id, const std::string& before, int limit);
  // Deletes a source no session uses; false when it does not exist.
  bool delete_source(storage::Session& tx, const std::string& tenant_id, const std::string& id);
  std::int64_t sessions_of_source(storage::Session& tx, const std::string& tenant_id, const std::string& source_id);

  void insert_session(storage::Session& tx, const Session& s);
  void set_job(storage::Session& tx, const std::string& tenant_id, const std::string& id, const std::string& job_id);
  std::optional<Session> session(const std::string& tenant_id, const std::string& id);
  std::optional<Session> session(storage::Session& tx, const std::string& tenant_id, const std::string& id);
  std::vector<Session> sessions(const std::string& tenant_id, const std::string& state, const std::string& before,
                                int limit);
  // Sessions running now (any instance), for the per-tenant cap.
  std::int64_t running(const std::string& tenant_id);
  void set_running(storage::Session& tx, const std::string& tenant_id, const std::string& id);
  // The metrics, the profile and the checkpoint of a running session; returns whether a stop was asked.
  bool update(storage::Session& tx, const std::string& tenant_id, const std::string& id, const nlohmann::json& stats,
              const std::string& profile, const nlohmann::json& checkpoint);
  // The checkpoint alone (a batch without metrics): in the transaction that stores the batch's events.
  void set_checkpoint(storage::Session& tx, const std::string& tenant_id, const std::string& id,
                      const nlohmann::json& checkpoint);
  void request_stop(storage::Session& tx, const std::string& tenant_id, const std::string& id);
  // Ends a session (finished, stopped or failed) unless it already ended; false when it had.
  bool finish(storage::Session& tx, const std::string& tenant_id, const std::string& id, const std::string& state,
              const std::optional<std::string>& error);

  // Personal data.
  std::vector<Source> sources_created_by(const std::string& user_id);
  std::vector<Session> sessions_created_by(const std::string& user_id);
  void forget_user(storage::Session& tx, const std::string& user_id);

 private:
  storage::Database& db_;
};

}  // namespace tyto::products::live
