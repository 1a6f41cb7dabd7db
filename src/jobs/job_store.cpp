#include "tyto/jobs/job_store.hpp"

#include "tyto/core/error.hpp"
#include "tyto/core/ids.hpp"
#include "tyto/core/logging.hpp"
#include "tyto/core/time.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <map>

namespace tyto::jobs {
namespace {

using nlohmann::json;
using storage::Dialect;
using storage::Params;
using storage::Row;

constexpr std::string_view kColumns =
    "id, tenant_id, pipeline, pipeline_version, input, state, priority, run_at, attempts, max_attempts, "
    "lease_owner, lease_until, heartbeat_at, timeout_s, unique_key, cancel_requested, progress, result, error, "
    "created_at, updated_at, started_at, finished_at";

constexpr std::string_view kStateNames[] = {"queued", "running", "succeeded", "failed", "cancelled"};

json parse_json_column(const Row& r, int i) {
  if (r.is_null(i)) return nullptr;
  return json::parse(r.get<std::string>(i));
}

std::string json_text_column(const Row& r, int i) { return r.is_null(i) ? "null" : r.get<std::string>(i); }

void append_time(std::string& out, std::optional<std::int64_t> micros) {
  if (!micros) {
    out += "null";
    return;
  }
  out.push_back('"');
  out += format_rfc3339(*micros);
  out.push_back('"');
}

template <class Int>
void append_int(std::string& out, Int n) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, n);
  out.append(buf, end);
}

// As nlohmann::json writes a double: the shortest text that reads back the same, "1.0" for a whole
// number, null for what JSON cannot hold.
void append_double(std::string& out, double d) {
  if (!std::isfinite(d)) {
    out += "null";
    return;
  }
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, d);
  const std::string_view text(buf, static_cast<std::size_t>(end - buf));
  out += text;
  if (text.find_first_of(".e") == std::string_view::npos) out += ".0";
}

std::string dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

// The JSON columns (input, result, error) are parsed unless the caller keeps their text.
Job from_row(const Row& r, bool parse_json = true) {
  Job j;
  j.id = r.get<std::string>(0);
  j.tenant_id = r.get<std::string>(1);
  j.pipeline = r.get<std::string>(2);
  j.pipeline_version = r.get<int>(3);
  if (parse_json) j.input = parse_json_column(r, 4);
  j.state = parse_state(r.get<std::string>(5)).value_or(JobState::kFailed);
  j.priority = r.get<int>(6);
  j.run_at = r.get<std::int64_t>(7);
  j.attempts = r.get<int>(8);
  j.max_attempts = r.get<int>(9);
  j.lease_owner = r.get_optional<std::string>(10);
  j.lease_until = r.get_optional<std::int64_t>(11);
  j.heartbeat_at = r.get_optional<std::int64_t>(12);
  j.timeout_s = r.get_optional<int>(13);
  j.unique_key = r.get_optional<std::string>(14);
  j.cancel_requested = r.get<bool>(15);
  j.progress = r.get<double>(16);
  if (parse_json) {
    j.result = parse_json_column(r, 17);
    j.error = parse_json_column(r, 18);
  }
  j.created_at = r.get<std::int64_t>(19);
  j.updated_at = r.get<std::int64_t>(20);
  j.started_at = r.get_optional<std::int64_t>(21);
  j.finished_at = r.get_optional<std::int64_t>(22);
  return j;
}

std::vector<Job> jobs_of(const storage::Result& result) {
  std::vector<Job> out;
  out.reserve(result.rows.size());
  for (const auto& r : result.rows) out.push_back(from_row(r));
  return out;
}

events::NewEvent job_event(const Job& job, std::string type, json data = json::object()) {
  return {job.tenant_id, job_topic(job.id), std::move(type), std::move(data)};
}

events::NewEvent job_event(const std::string& tenant, const std::string& id, std::string type, json data) {
  return {tenant, job_topic(id), std::move(type), std::move(data)};
}

// No RETURNING: the new row is known already, and SQLite gathers a RETURNING statement's rows in a
// temporary table of their own.
constexpr std::string_view kInsert =
    "INSERT INTO jobs (id, tenant_id, pipeline, pipeline_version, input, state, priority, run_at, attempts, "
    "max_attempts, timeout_s, unique_key, idempotency_key, created_at, updated_at, created_by) "
    "VALUES ($1, $2, $3, $4, $5, 'queued', $6, $7, 0, $8, $9, $10, $11, $12, $12, $13) ON CONFLICT DO NOTHING";
const std::string kByIdempotencyKey =
    fmt::format("SELECT {} FROM jobs WHERE tenant_id = $1 AND idempotency_key = $2", kColumns);
const std::string kByUniqueKey = fmt::format(
    "SELECT {} FROM jobs WHERE tenant_id = $1 AND unique_key = $2 AND state IN ('queued', 'running')", kColumns);
const std::string kGet = fmt::format("SELECT {} FROM jobs WHERE tenant_id = $1 AND id = $2", kColumns);
constexpr std::string_view kQueuePosition =
    "SELECT COUNT(*) FROM jobs WHERE state = 'queued' AND (priority > $1 OR (priority = $1 AND "
    "(run_at < $2 OR (run_at = $2 AND id < $3))))";
// PostgreSQL: the rows locked in id order first, as finish() locks them. Without it the two deadlocked
// under load (the database aborts one after deadlock_timeout, a second lost each time).
constexpr std::string_view kHeartbeatOrdered =
    "UPDATE jobs SET lease_until = $2, heartbeat_at = $3 WHERE id IN (SELECT id FROM jobs WHERE lease_owner = $1 "
    "AND state = 'running' ORDER BY id FOR UPDATE) RETURNING id, cancel_requested";
constexpr std::string_view kHeartbeat =
    "UPDATE jobs SET lease_until = $2, heartbeat_at = $3 WHERE lease_owner = $1 AND state = 'running' "
    "RETURNING id, cancel_requested";
constexpr std::string_view kFinishSucceeded =
    "UPDATE jobs SET state = 'succeeded', result = $4, progress = 1, lease_owner = NULL, lease_until = NULL, "
    "finished_at = $5, updated_at = $5 WHERE id = $1 AND attempts = $2 AND lease_owner = $3 AND state = 'running'";
constexpr std::string_view kFinishFailed =
    "UPDATE jobs SET state = 'failed', error = $4, lease_owner = NULL, lease_until = NULL, finished_at = $5, "
    "updated_at = $5 WHERE id = $1 AND attempts = $2 AND lease_owner = $3 AND state = 'running'";
constexpr std::string_view kFinishRetry =
    "UPDATE jobs SET state = 'queued', error = $4, run_at = $6, lease_owner = NULL, lease_until = NULL, "
    "updated_at = $5 WHERE id = $1 AND attempts = $2 AND lease_owner = $3 AND state = 'running'";
constexpr std::string_view kFinishCancelled =
    "UPDATE jobs SET state = 'cancelled', lease_owner = NULL, lease_until = NULL, finished_at = $4, updated_at = $4 "
    "WHERE id = $1 AND attempts = $2 AND lease_owner = $3 AND state = 'running'";
constexpr std::string_view kFinishRelease =
    "UPDATE jobs SET state = 'queued', attempts = attempts - 1, lease_owner = NULL, lease_until = NULL, "
    "run_at = $5, updated_at = $4 WHERE id = $1 AND attempts = $2 AND lease_owner = $3 AND state = 'running'";
constexpr std::string_view kTenantAndPipeline = "SELECT tenant_id, pipeline FROM jobs WHERE id = $1";
constexpr std::string_view kRescueRequeue =
    "UPDATE jobs SET state = 'queued', lease_owner = NULL, lease_until = NULL, run_at = $1, updated_at = $1 "
    "WHERE state = 'running' AND lease_until < $1 AND attempts < max_attempts "
    "RETURNING id, tenant_id, attempts, pipeline";
constexpr std::string_view kRescueFail =
    "UPDATE jobs SET state = 'failed', error = $2, lease_owner = NULL, lease_until = NULL, finished_at = $1, "
    "updated_at = $1 WHERE state = 'running' AND lease_until < $1 AND attempts >= max_attempts "
    "RETURNING id, tenant_id, attempts, pipeline";
const std::string kCancelQueued = fmt::format(
    "UPDATE jobs SET state = 'cancelled', finished_at = $3, updated_at = $3 "
    "WHERE tenant_id = $1 AND id = $2 AND state = 'queued' RETURNING {}",
    kColumns);
const std::string kCancelRunning = fmt::format(
    "UPDATE jobs SET cancel_requested = TRUE, updated_at = $3 "
    "WHERE tenant_id = $1 AND id = $2 AND state = 'running' RETURNING {}",
    kColumns);
const std::string kRetry = fmt::format(
    "UPDATE jobs SET state = 'queued', attempts = 0, run_at = $3, error = NULL, result = NULL, progress = 0, "
    "cancel_requested = FALSE, finished_at = NULL, updated_at = $3 "
    "WHERE tenant_id = $1 AND id = $2 AND state IN ('failed', 'cancelled') RETURNING {}",
    kColumns);
constexpr std::string_view kProgress =
    "UPDATE jobs SET progress = $4, updated_at = $5 "
    "WHERE id = $1 AND attempts = $2 AND lease_owner = $3 AND state = 'running'";
constexpr std::string_view kHeld =
    "SELECT 1 FROM jobs WHERE id = $1 AND attempts = $2 AND lease_owner = $3 AND state = 'running'";
constexpr std::string_view kSaveStage =
    "INSERT INTO job_stages (job_id, stage, attempt, output, started_at, finished_at) VALUES ($1, $2, $3, $4, $5, $6) "
    "ON CONFLICT (job_id, stage) DO UPDATE SET attempt = excluded.attempt, output = excluded.output, "
    "started_at = excluded.started_at, finished_at = excluded.finished_at";
constexpr std::string_view kStageOutputs = "SELECT stage, output FROM job_stages WHERE job_id = $1";
// Grouped in the order of jobs_tenant_unfinished_idx, so the index alone answers, without a sort; the
// tenants are summed here.
constexpr std::string_view kDepth =
    "SELECT state, pipeline, COUNT(*) FROM jobs WHERE state IN ('queued', 'running') "
    "GROUP BY tenant_id, state, pipeline";
constexpr std::string_view kRunningByPipeline =
    "SELECT pipeline, COUNT(*) FROM jobs WHERE state = 'running' GROUP BY pipeline";

const std::string kClaimOnePipeline = fmt::format(
    "UPDATE jobs SET state = 'running', attempts = attempts + 1, lease_owner = $1, lease_until = $2, "
    "heartbeat_at = $3, started_at = COALESCE(started_at, $3), updated_at = $3, cancel_requested = FALSE "
    "WHERE id IN (SELECT id FROM jobs WHERE state = 'queued' AND run_at <= $3 AND pipeline = $5 "
    "ORDER BY priority DESC, run_at, id LIMIT $4) RETURNING {}",
    kColumns);
constexpr std::string_view kRunningOfPipeline = "SELECT COUNT(*) FROM jobs WHERE state = 'running' AND pipeline = $1";
constexpr std::string_view kTenantClaimLock = "SELECT pg_advisory_xact_lock(hashtextextended('claim:tenants', 7))";
constexpr std::string_view kRunningByTenant =
    "SELECT tenant_id, COUNT(*) FROM jobs WHERE state = 'running' GROUP BY tenant_id";
const std::string kClaimOne = fmt::format(
    "UPDATE jobs SET state = 'running', attempts = attempts + 1, lease_owner = $1, lease_until = $2, "
    "heartbeat_at = $3, started_at = COALESCE(started_at, $3), updated_at = $3, cancel_requested = FALSE "
    "WHERE id = $4 AND state = 'queued' RETURNING {}",
    kColumns);
constexpr std::string_view kPipelineLock = "SELECT pg_advisory_xact_lock(hashtextextended('claim:' || $1, 7))";

std::string claim_sql(Dialect dialect, std::size_t skipped) {
  std::string skip;
  for (std::size_t i = 0; i < skipped; ++i) skip += fmt::format("{}${}", i == 0 ? "" : ", ", 5 + i);
  return fmt::format(
      "UPDATE jobs SET state = 'running', attempts = attempts + 1, lease_owner = $1, lease_until = $2, "
      "heartbeat_at = $3, started_at = COALESCE(started_at, $3), updated_at = $3, cancel_requested = FALSE "
      "WHERE id IN (SELECT id FROM jobs WHERE state = 'queued' AND run_at <= $3{} "
      "ORDER BY priority DESC, run_at, id LIMIT $4{}) RETURNING {}",
      skipped ? " AND pipeline NOT IN (" + skip + ")" : "",
      dialect == Dialect::kPostgres ? " FOR UPDATE SKIP LOCKED" : "", kColumns);
}

}  // namespace

std::string_view state_name(JobState s) noexcept { return kStateNames[static_cast<int>(s)]; }

std::optional<JobState> parse_state(std::string_view name) noexcept {
  for (int i = 0; i < 5; ++i) {
    if (kStateNames[i] == name) return static_cast<JobState>(i);
  }
  return std::nullopt;
}

bool is_final(JobState s) noexcept {
  return s == JobState::kSucceeded || s == JobState::kFailed || s == JobState::kCancelled;
}

std::string job_topic(std::string_view job_id) { return "job:" + std::string(job_id); }

json Job::to_json() const {
  auto time = [](const std::optional<std::int64_t>& t) -> json { return t ? json(format_rfc3339(*t)) : json(nullptr); };
  return {{"id", id},
          {"pipeline", pipeline},
          {"pipeline_version", pipeline_version},
          {"state", state_name(state)},
          {"priority", priority},
          {"progress", progress},
          {"attempts", attempts},
          {"max_attempts", max_attempts},
          {"input", input},
          {"result", result},
          {"error", error},
          {"run_at", format_rfc3339(run_at)},
          {"timeout_s", timeout_s ? json(*timeout_s) : json(nullptr)},
          {"unique_key", unique_key ? json(*unique_key) : json(nullptr)},
          {"cancel_requested", cancel_requested},
          {"created_at", format_rfc3339(created_at)},
          {"updated_at", format_rfc3339(updated_at)},
          {"started_at", time(started_at)},
          {"finished_at", time(finished_at)}};
}

// Members in the order nlohmann::json keeps them (sorted), so both forms read the same.
void append_job_json(std::string& out, const Job& j, std::string_view input, std::string_view result,
                     std::string_view error, std::string_view more) {
  out += "{\"attempts\":";
  append_int(out, j.attempts);
  out += j.cancel_requested ? ",\"cancel_requested\":true" : ",\"cancel_requested\":false";
  out += ",\"created_at\":";
  append_time(out, j.created_at);
  out += ",\"error\":";
  out += error;
  out += ",\"finished_at\":";
  append_time(out, j.finished_at);
  out += ",\"id\":";
  log::append_json_string(out, j.id);
  out += ",\"input\":";
  out += input;
  out += ",\"max_attempts\":";
  append_int(out, j.max_attempts);
  out += ",\"pipeline\":";
  log::append_json_string(out, j.pipeline);
  out += ",\"pipeline_version\":";
  append_int(out, j.pipeline_version);
  out += ",\"priority\":";
  append_int(out, j.priority);
  out += ",\"progress\":";
  append_double(out, j.progress);
  out += ",\"result\":";
  out += result;
  out += ",\"run_at\":";
  append_time(out, j.run_at);
  out += ",\"started_at\":";
  append_time(out, j.started_at);
  out += ",\"state\":";
  log::append_json_string(out, state_name(j.state));
  out += ",\"timeout_s\":";
  if (j.timeout_s) {
    append_int(out, *j.timeout_s);
  } else {
    out += "null";
  }
  out += ",\"unique_key\":";
  if (j.unique_key) {
    log::append_json_string(out, *j.unique_key);
  } else {
    out += "null";
  }
  out += ",\"updated_at\":";
  append_time(out, j.updated_at);
  out += more;
  out.push_back('}');
}

std::string job_json_text(const Job& job, std::string_view more) {
  const auto input = dump(job.input), result = dump(job.result), error = dump(job.error);
  std::string out;
  out.reserve(400 + input.size() + result.size() + error.size() + more.size());
  append_job_json(out, job, input, result, error, more);
  return out;
}

std::vector<EnqueueResult> JobStore::enqueue(const std::vector<JobSpec>& specs) {
  auto tx = db_.begin();
  std::vector<events::NewEvent> pending;
  auto results = enqueue_in(*tx, specs, pending);
  events_.commit(*tx, pending);
  return results;
}

std::vector<EnqueueResult> JobStore::enqueue_in(storage::Session& tx, const std::vector<JobSpec>& specs,
                                                std::vector<events::NewEvent>& pending) {
  std::vector<EnqueueResult> results;
  const auto now = now_micros();
  bool created = false;
  for (const auto& s : specs) {
    Job job;
    job.id = new_uuid_v7();
    job.tenant_id = s.tenant_id;
    job.pipeline = s.pipeline;
    job.pipeline_version = s.pipeline_version;
    job.input = s.input;
    job.state = JobState::kQueued;
    job.priority = s.priority;
    job.run_at = s.run_at.value_or(now);
    job.max_attempts = s.max_attempts;
    job.timeout_s = s.timeout_s;
    job.unique_key = s.unique_key;
    job.created_at = job.updated_at = now;
    const Params params = {job.id,
                           s.tenant_id,
                           s.pipeline,
                           s.pipeline_version,
                           dump(s.input),
                           s.priority,
                           s.run_at.value_or(now),
                           s.max_attempts,
                           s.timeout_s,
                           s.unique_key,
                           s.idempotency_key,
                           now,
                           s.created_by};
    if (tx.execute(kInsert, params) == 1) {
      created = true;
      pending.push_back(job_event(job, "queued", {{"pipeline", job.pipeline}, {"run_at", format_rfc3339(job.run_at)}}));
      results.push_back({std::move(job), EnqueueResult::Outcome::kCreated});
      continue;
    }
    if (s.idempotency_key) {
      if (auto row = tx.query_one(kByIdempotencyKey, {s.tenant_id, *s.idempotency_key})) {
        results.push_back({from_row(*row), EnqueueResult::Outcome::kIdempotentReplay});
        continue;
      }
    }
    if (s.unique_key) {
      if (auto row = tx.query_one(kByUniqueKey, {s.tenant_id, *s.unique_key})) {
        results.push_back({from_row(*row), EnqueueResult::Outcome::kUniqueConflict});
        continue;
      }
    }
    throw Error(ErrorCode::kConflict, "job could not be inserted (a concurrent change); try again");
  }
  // Other instances' runners wake at commit.
  if (created && db_.dialect() == Dialect::kPostgres) tx.query("SELECT pg_notify('tyto_jobs', 'enqueue')");
  return results;
}

JobStore::TenantCounts JobStore::tenant_counts(std::string_view tenant_id, std::int64_t since_micros,
                                               const std::vector<std::string>& uncounted) {
  const auto ms = static_cast<std::uint64_t>(since_micros / 1000);
  const std::string lower = fmt::format("{:08x}-{:04x}-0000-0000-000000000000", ms >> 16, ms & 0xffff);
  // The SQL text depends only on how many pipelines are left out, so its prepared statement is reused.
  const auto excluding = [&](std::size_t first) {
    std::string sql;
    for (std::size_t i = 0; i < uncounted.size(); ++i) sql += fmt::format(" AND pipeline <> ${}", first + i);
    return sql;
  };
  Params unfinished_params = {tenant_id};
  Params created_params = {tenant_id, lower};
  for (const auto& p : uncounted) {
    unfinished_params.push_back(p);
    created_params.push_back(p);
  }
  TenantCounts c;
  c.unfinished =
      db_.query_one("SELECT COUNT(*) FROM jobs WHERE tenant_id = $1 AND state IN ('queued', 'running')" + excluding(2),
                    unfinished_params)
          ->get<std::int64_t>(0);
  c.created_since =
      db_.query_one("SELECT COUNT(*) FROM jobs WHERE tenant_id = $1 AND id >= $2" + excluding(3), created_params)
          ->get<std::int64_t>(0);
  return c;
}

std::optional<Job> JobStore::get(std::string_view tenant_id, std::string_view id) {
  if (auto row = db_.query_one(kGet, {tenant_id, id})) return from_row(*row);
  return std::nullopt;
}

std::optional<JobText> JobStore::get_text(std::string_view tenant_id, std::string_view id) {
  auto row = db_.query_one(kGet, {tenant_id, id});
  if (!row) return std::nullopt;
  return JobText{from_row(*row, false), json_text_column(*row, 4), json_text_column(*row, 17),
                 json_text_column(*row, 18)};
}

std::vector<Job> JobStore::list(const ListFilter& f) {
  std::string sql = fmt::format("SELECT {} FROM jobs WHERE tenant_id = $1", kColumns);
  Params params = {f.tenant_id};
  if (f.state) {
    params.emplace_back(std::string(state_name(*f.state)));
    sql += fmt::format(" AND state = ${}", params.size());
  }
  if (f.pipeline) {
    params.emplace_back(*f.pipeline);
    sql += fmt::format(" AND pipeline = ${}", params.size());
  }
  if (f.before_id) {
    params.emplace_back(*f.before_id);
    sql += fmt::format(" AND id < ${}", params.size());
  }
  params.emplace_back(f.limit);
  sql += fmt::format(" ORDER BY id DESC LIMIT ${}", params.size());
  return jobs_of(db_.query(sql, params));
}

std::optional<std::int64_t> JobStore::queue_position(const Job& job) {
  if (job.state != JobState::kQueued) return std::nullopt;
  return db_.query_one(kQueuePosition, {job.priority, job.run_at, job.id})->get<std::int64_t>(0) + 1;
}

std::vector<Job> JobStore::claim(const std::string& owner, int limit, std::chrono::milliseconds lease,
                                 const std::vector<std::string>& skip_pipelines,
                                 const std::function<void(const Job&, std::vector<events::NewEvent>&)>& also_emit,
                                 int tenant_limit) {
  const auto now = now_micros();
  auto tx = db_.begin();
  std::vector<Job> jobs;
  if (tenant_limit > 0) {
    jobs = claim_per_tenant(*tx, owner, limit, lease, skip_pipelines, tenant_limit, now);
  } else {
    Params params = {owner, now + lease.count() * 1000, now, limit};
    for (const auto& p : skip_pipelines) params.emplace_back(p);
    jobs = jobs_of(tx->query(claim_sql(db_.dialect(), skip_pipelines.size()), params));
  }
  return commit_claim(*tx, owner, std::move(jobs), also_emit);
}

// Orders freshly claimed jobs as the claim did, emits their "started" events and commits.
std::vector<Job> JobStore::commit_claim(storage::Transaction& tx, const std::string& owner, std::vector<Job> jobs,
                                        const EmitFn& also_emit) {
  std::sort(jobs.begin(), jobs.end(), [](const Job& a, const Job& b) {
    return std::tie(b.priority, a.run_at, a.id) < std::tie(a.priority, b.run_at, b.id);
  });
  std::vector<events::NewEvent> pending;
  for (const auto& j : jobs) {
    pending.push_back(job_event(j, "started", {{"attempt", j.attempts}, {"runner", owner}}));
    if (also_emit) also_emit(j, pending);
  }
  events_.commit(tx, pending);
  return jobs;
}

// Picks candidates in claim order, keeps those whose tenant has room, and claims exactly those.
std::vector<Job> JobStore::claim_per_tenant(storage::Session& tx, const std::string& owner, int limit,
                                            std::chrono::milliseconds lease,
                                            const std::vector<std::string>& skip_pipelines, int tenant_limit,
                                            std::int64_t now) {
  if (db_.dialect() == Dialect::kPostgres) tx.query(kTenantClaimLock);
  std::map<std::string, std::int64_t> running;
  for (const auto& r : tx.query(kRunningByTenant).rows) running[r.get<std::string>(0)] = r.get<std::int64_t>(1);
  std::string sql = "SELECT id, tenant_id FROM jobs WHERE state = 'queued' AND run_at <= $1";
  Params params = {now};
  for (const auto& p : skip_pipelines) {
    params.emplace_back(p);
    sql += fmt::format(" AND pipeline <> ${}", params.size());
  }
  params.emplace_back(limit * 8);
  sql += fmt::format(" ORDER BY priority DESC, run_at, id LIMIT ${}", params.size());
  std::vector<Job> out;
  for (const auto& r : tx.query(sql, params).rows) {
    if (static_cast<int>(out.size()) >= limit) break;
    auto& n = running[r.get<std::string>(1)];
    if (n >= tenant_limit) continue;
    auto row = tx.query_one(kClaimOne, {owner, now + lease.count() * 1000, now, r.get<std::string>(0)});
    if (!row) continue;
    ++n;
    out.push_back(from_row(*row));
  }
  return out;
}

std::vector<Job> JobStore::claim_limited(
    const std::string& owner, const std::string& pipeline, int limit, int max_claim, std::chrono::milliseconds lease,
    const std::function<void(const Job&, std::vector<events::NewEvent>&)>& also_emit) {
  auto tx = db_.begin();
  if (db_.dialect() == Dialect::kPostgres) tx->query(kPipelineLock, {pipeline});
  const auto running = tx->query_one(kRunningOfPipeline, {pipeline})->get<std::int64_t>(0);
  const auto room = std::min<std::int64_t>(limit - running, max_claim);
  if (room <= 0) return {};
  const auto now = now_micros();
  auto jobs = jobs_of(tx->query(kClaimOnePipeline, {owner, now + lease.count() * 1000, now, room, pipeline}));
  return commit_claim(*tx, owner, std::move(jobs), also_emit);
}

std::vector<std::pair<std::string, bool>> JobStore::heartbeat(const std::string& owner,
                                                              std::chrono::milliseconds lease) {
  const auto now = now_micros();
  auto result = db_.query(db_.dialect() == Dialect::kPostgres ? kHeartbeatOrdered : kHeartbeat,
                          {owner, now + lease.count() * 1000, now});
  std::vector<std::pair<std::string, bool>> out;
  for (const auto& r : result.rows) out.emplace_back(r.get<std::string>(0), r.get<bool>(1));
  return out;
}

std::vector<bool> JobStore::finish(const std::string& owner, const std::vector<Finish>& finishes) {
  auto tx = db_.begin();
  const auto now = now_micros();
  std::vector<bool> applied(finishes.size(), false);
  std::vector<events::NewEvent> pending;
  std::vector<FinishedJob> finished;
  // Rows are locked in id order, as the heartbeat locks them, so the two never deadlock on PostgreSQL.
  std::vector<std::size_t> order(finishes.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return finishes[a].id < finishes[b].id; });
  for (const std::size_t index : order) {
    const auto& f = finishes[index];
    std::int64_t changed = 0;
    json data = {{"attempt", f.attempt}};
    std::string type;
    FinishedJob done{f.id, {}, {}, JobState::kSucceeded, f.attempt, nullptr, nullptr, now};
    switch (f.outcome.kind) {
      case Outcome::Kind::kSucceeded:
        changed = tx->execute(kFinishSucceeded, {f.id, f.attempt, owner, dump(f.outcome.result), now});
        type = "succeeded";
        data["result"] = f.outcome.result;
        done.result = f.outcome.result;
        break;
      case Outcome::Kind::kFailed:
        changed = tx->execute(kFinishFailed, {f.id, f.attempt, owner, dump(f.outcome.error), now});
        type = "failed";
        data["error"] = f.outcome.error;
        done.state = JobState::kFailed;
        done.error = f.outcome.error;
        break;
      case Outcome::Kind::kRetry:
        changed = tx->execute(kFinishRetry, {f.id, f.attempt, owner, dump(f.outcome.error), now, f.outcome.retry_at});
        type = "retry_scheduled";
        data["error"] = f.outcome.error;
        data["run_at"] = format_rfc3339(f.outcome.retry_at);
        done.state = JobState::kQueued;
        done.error = f.outcome.error;
        done.at = f.outcome.retry_at;
        break;
      case Outcome::Kind::kCancelled:
        changed = tx->execute(kFinishCancelled, {f.id, f.attempt, owner, now});
        type = "cancelled";
        done.state = JobState::kCancelled;
        break;
      case Outcome::Kind::kRelease:
        changed = tx->execute(kFinishRelease, {f.id, f.attempt, owner, now, std::max(now, f.outcome.retry_at)});
        type = "released";
        if (f.outcome.retry_at > now) {
          data["run_at"] = format_rfc3339(f.outcome.retry_at);
          data["reason"] = f.outcome.error.value("message", std::string());
        }
        break;
    }
    applied[index] = changed == 1;
    if (changed != 1) continue;
    std::string tenant = f.tenant_id, pipeline = f.pipeline;
    if (tenant.empty() || pipeline.empty()) {
      const auto row = tx->query_one(kTenantAndPipeline, {f.id});
      tenant = row->get<std::string>(0);
      pipeline = row->get<std::string>(1);
    }
    for (const auto& e : f.extra_events) pending.push_back(e);
    pending.push_back(job_event(tenant, f.id, type, std::move(data)));
    if (f.outcome.kind == Outcome::Kind::kRelease) continue;
    done.tenant_id = std::move(tenant);
    done.pipeline = std::move(pipeline);
    finished.push_back(std::move(done));
  }
  report(*tx, finished, pending);
  events_.commit(*tx, pending);
  return applied;
}

std::vector<std::string> JobStore::rescue() {
  auto tx = db_.begin();
  const auto now = now_micros();
  std::vector<std::string> ids;
  std::vector<events::NewEvent> pending;
  std::vector<FinishedJob> finished;
  for (const auto& r : tx->query(kRescueRequeue, {now}).rows) {
    ids.push_back(r.get<std::string>(0));
    pending.push_back(job_event(r.get<std::string>(1), ids.back(), "rescued",
                                {{"attempt", r.get<int>(2)}, {"reason", "lease expired"}}));
    finished.push_back({ids.back(), r.get<std::string>(1), r.get<std::string>(3), JobState::kQueued, r.get<int>(2),
                        nullptr, nullptr, now});
  }
  const json error = {{"code", "lease_expired"},
                      {"message", "the job's runner stopped and it has no attempts left"},
                      {"retryable", false}};
  for (const auto& r : tx->query(kRescueFail, {now, dump(error)}).rows) {
    ids.push_back(r.get<std::string>(0));
    pending.push_back(
        job_event(r.get<std::string>(1), ids.back(), "failed", {{"attempt", r.get<int>(2)}, {"error", error}}));
    finished.push_back({ids.back(), r.get<std::string>(1), r.get<std::string>(3), JobState::kFailed, r.get<int>(2),
                        nullptr, error, now});
  }
  report(*tx, finished, pending);
  events_.commit(*tx, pending);
  return ids;
}

Job JobStore::cancel(std::string_view tenant_id, std::string_view id) {
  auto tx = db_.begin();
  const auto now = now_micros();
  if (auto row = tx->query_one(kCancelQueued, {tenant_id, id, now})) {
    Job job = from_row(*row);
    std::vector<events::NewEvent> pending = {job_event(job, "cancelled", {{"attempt", job.attempts}})};
    report(*tx, {{job.id, job.tenant_id, job.pipeline, JobState::kCancelled, job.attempts, nullptr, nullptr, now}},
           pending);
    events_.commit(*tx, pending);
    return job;
  }
  if (auto row = tx->query_one(kCancelRunning, {tenant_id, id, now})) {
    Job job = from_row(*row);
    events::NewEvent e = job_event(job, "cancel_requested");
    std::vector<events::NewEvent> pending = {e};
    if (db_.dialect() == Dialect::kPostgres) tx->query("SELECT pg_notify('tyto_jobs', $1)", {"cancel:" + job.id});
    events_.commit(*tx, pending);
    return job;
  }
  auto row = tx->query_one(kGet, {tenant_id, id});
  if (!row) throw Error(ErrorCode::kNotFound, "no such job", {{"id", std::string(id.substr(0, 64))}});
  Job job = from_row(*row);
  throw Error(ErrorCode::kConflict, fmt::format("job is already {}", state_name(job.state)),
              {{"id", job.id}, {"state", state_name(job.state)}});
}

Job JobStore::retry(std::string_view tenant_id, std::string_view id) {
  auto tx = db_.begin();
  const auto now = now_micros();
  if (auto row = tx->query_one(kRetry, {tenant_id, id, now})) {
    Job job = from_row(*row);
    events_.commit(*tx, {job_event(job, "queued", {{"pipeline", job.pipeline}, {"retry", true}})});
    views_.invalidate();  // after the commit: a view read before it is refused by put()
    return job;
  }
  auto row = tx->query_one(kGet, {tenant_id, id});
  if (!row) throw Error(ErrorCode::kNotFound, "no such job", {{"id", std::string(id.substr(0, 64))}});
  Job job = from_row(*row);
  throw Error(ErrorCode::kConflict,
              fmt::format("only failed or cancelled jobs can be retried; this one is {}", state_name(job.state)),
              {{"id", job.id}, {"state", state_name(job.state)}});
}

void JobStore::progress(const std::string& id, int attempt, const std::string& owner, double progress,
                        std::vector<events::NewEvent> events) {
  auto tx = db_.begin();
  if (tx->execute(kProgress, {id, attempt, owner, progress, now_micros()}) == 0) return;
  events_.commit(*tx, events);
}

void JobStore::save_stage(const std::string& id, int attempt, const std::string& owner, const std::string& stage,
                          const json& output, std::int64_t started_at, std::vector<events::NewEvent> events) {
  auto tx = db_.begin();
  if (!tx->query_one(kHeld, {id, attempt, owner})) return;
  tx->execute(kSaveStage, {id, stage, attempt, dump(output), started_at, now_micros()});
  events_.commit(*tx, events);
}

std::map<std::string, json> JobStore::stage_outputs(const std::string& id) {
  std::map<std::string, json> out;
  for (const auto& r : db_.query(kStageOutputs, {id}).rows)
    out[r.get<std::string>(0)] = json::parse(r.get<std::string>(1));
  return out;
}

void JobStore::emit(std::vector<events::NewEvent> events) {
  if (events.empty()) return;
  auto tx = db_.begin();
  events_.commit(*tx, events);
}

std::vector<std::tuple<std::string, std::string, std::int64_t>> JobStore::depth() {
  std::map<std::pair<std::string, std::string>, std::int64_t> counts;
  for (const auto& r : db_.query(kDepth).rows) {
    counts[{r.get<std::string>(0), r.get<std::string>(1)}] += r.get<std::int64_t>(2);
  }
  std::vector<std::tuple<std::string, std::string, std::int64_t>> out;
  for (const auto& [key, n] : counts) out.emplace_back(key.first, key.second, n);
  return out;
}

std::map<std::string, std::int64_t> JobStore::running_by_pipeline() {
  std::map<std::string, std::int64_t> out;
  for (const auto& r : db_.query(kRunningByPipeline).rows) out[r.get<std::string>(0)] = r.get<std::int64_t>(1);
  return out;
}

}  // namespace tyto::jobs
