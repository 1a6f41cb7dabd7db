#include "tyto/api/jobs_routes.hpp"

#include "api/detail/stream_routes.hpp"

#include "tyto/core/error.hpp"
#include "tyto/core/json_schema.hpp"
#include "tyto/core/logging.hpp"
#include "tyto/core/time.hpp"
#include "tyto/http/page.hpp"

#include <memory>

namespace tyto::api {
namespace {

using http::Method;
using http::Request;
using http::Response;
using nlohmann::json;

constexpr int kMaxBatch = 1000;
const http::RouteOptions kUser{.role = auth::Role::kUser};  // what changes jobs and schedules
constexpr std::size_t kBatchBodyLimit = 16 << 20;

struct Shared {
  JobsDeps deps;
};

json job_schema() {
  const auto optional_int = [](int lo, int hi) {
    return json{{"type", {"integer", "null"}}, {"minimum", lo}, {"maximum", hi}};
  };
  return {{"type", "object"},
          {"required", {"pipeline"}},
          {"properties",
           {{"pipeline", {{"type", "string"}, {"description", "a pipeline name (GET /api/v1/pipelines lists them)"}}},
            {"input", {{"type", "object"}, {"description", "checked against the pipeline's input_schema"}}},
            {"priority", optional_int(-1000, 1000)},
            {"run_at", {{"type", {"string", "null"}}, {"format", "date-time"}}},
            {"max_attempts", optional_int(1, 100)},
            {"timeout_s", optional_int(1, 7 * 86400)},
            {"unique_key", {{"type", {"string", "null"}}, {"minLength", 1}, {"maxLength", 200}}}}}};
}

const pipeline::Pipeline* find_pipeline(const JobsDeps& deps, const json& name) {
  if (!name.is_string()) return nullptr;
  const auto it = deps.pipelines.find(name.get<std::string>());
  return it == deps.pipelines.end() || it->second.internal ? nullptr : &it->second;
}

// What job_schema cannot say: the pipeline exists and the input (defaults filled in) matches its input_schema.
void check_job(const JobsDeps& deps, const json& body, json& fields) {
  if (!body.is_object() || !body.contains("pipeline")) return;  // the schema says so
  const pipeline::Pipeline* pipeline = find_pipeline(deps, body["pipeline"]);
  if (!pipeline) {
    if (body["pipeline"].is_string()) fields["pipeline"] = "no such pipeline (GET /api/v1/pipelines lists them)";
    return;
  }
  const json input = body.value("input", json::object());
  if (!input.is_object()) return;  // the schema says so
  fields.update(
      violation_fields(validate_json(pipeline->input_schema, apply_defaults(pipeline->input_schema, input)), "input"));
}

// The job a checked request (job_schema and check_job) asks for.
jobs::JobSpec parse_spec(const json& body, const Request& req, const JobsDeps& deps) {
  jobs::JobSpec spec;
  spec.tenant_id = req.who().tenant_id;
  if (!req.who().user_id.empty()) spec.created_by = req.who().user_id;
  const pipeline::Pipeline& pipeline = *find_pipeline(deps, body["pipeline"]);
  spec.pipeline = pipeline.name;
  spec.pipeline_version = pipeline.version;
  spec.input = apply_defaults(pipeline.input_schema, body.value("input", json::object()));
  const auto given = [&](const char* name) -> const json* {
    const auto it = body.find(name);
    return it == body.end() || it->is_null() ? nullptr : &*it;
  };
  if (const json* v = given("priority")) spec.priority = v->get<int>();
  if (const json* v = given("max_attempts")) spec.max_attempts = v->get<int>();
  if (const json* v = given("timeout_s")) spec.timeout_s = v->get<int>();
  if (const json* v = given("run_at")) spec.run_at = parse_rfc3339(v->get<std::string>());
  if (const json* v = given("unique_key")) spec.unique_key = v->get<std::string>();
  return spec;
}

// The members GET adds to a job, as JSON text for jobs::append_job_json: its place in the queue and its
// stages.
std::string job_details(jobs::JobStore& store, const jobs::Job& job, const JobsDeps& deps) {
  std::string out = ",\"queue_position\":";
  if (auto pos = store.queue_position(job)) {
    out += std::to_string(*pos);
  } else {
    out += "null";
  }
  out += ",\"stages\":[";
  if (auto it = deps.pipelines.find(job.pipeline); it != deps.pipelines.end()) {
    const auto finished = it->second.stages.size() > 1 ? store.stage_outputs(job.id) : std::map<std::string, json>{};
    bool first = true;
    for (const auto& st : it->second.stages) {
      const bool done = job.state == jobs::JobState::kSucceeded || finished.count(st.id);
      out += first ? "{\"finished\":" : ",{\"finished\":";
      out += done ? "true" : "false";
      out += ",\"id\":";
      log::append_json_string(out, st.id);
      out += ",\"stage\":";
      log::append_json_string(out, st.def->name);
      out.push_back('}');
      first = false;
    }
  }
  out.push_back(']');
  return out;
}

Response json_text(std::string body, int status = 200) {
  return Response::text(std::move(body), "application/json", status);
}

json job_out_schema() {
  return {{"type", "object"},
          {"required", {"id", "state", "pipeline"}},
          {"properties",
           {{"id", {{"type", "string"}}},
            {"state", {{"type", "string"}, {"enum", {"queued", "running", "succeeded", "failed", "cancelled"}}}},
            {"pipeline", {{"type", "string"}}},
            {"progress", {{"type", "number"}}},
            {"attempts", {{"type", "integer"}}}}}};
}

// Whether a job replayed for an Idempotency-Key was made from the same request as spec (as Stripe does,
// a key reused with other parameters is an error, not a silent replay).
bool same_request(const jobs::Job& job, const jobs::JobSpec& spec) {
  return job.pipeline == spec.pipeline && job.input == spec.input && job.priority == spec.priority &&
         job.max_attempts == spec.max_attempts && job.timeout_s == spec.timeout_s && job.unique_key == spec.unique_key;
}

// The job a single POST asks for, with its Idempotency-Key.
jobs::JobSpec single_spec(Shared& s, const Request& req) {
  jobs::JobSpec spec = parse_spec(req.json(), req, s.deps);
  if (auto key = req.headers.get("Idempotency-Key")) {
    if (key->empty() || key->size() > 200) {
      throw validation_error("bad Idempotency-Key", {{"Idempotency-Key", "must be 1-200 characters"}});
    }
    // Scoped to the caller: two keys or users of one tenant never replay each other's jobs.
    spec.idempotency_key = req.who().actor() + " " + std::string(*key);
  }
  return spec;
}

Response single_answer(const jobs::EnqueueResult& result, const jobs::JobSpec& spec) {
  using O = jobs::EnqueueResult::Outcome;
  if (result.outcome == O::kIdempotentReplay && !same_request(result.job, spec)) {
    throw Error(ErrorCode::kIdempotencyKeyReused, "this Idempotency-Key was used with a different request",
                {{"job_id", result.job.id}});
  }
  if (result.outcome == O::kUniqueConflict) {
    throw Error(ErrorCode::kConflict, "an unfinished job already holds this unique_key",
                {{"unique_key", *spec.unique_key}, {"job_id", result.job.id}});
  }
  Response res = json_text(jobs::job_json_text(result.job), result.outcome == O::kCreated ? 202 : 200);
  res.headers.set("Location", "/api/v1/jobs/" + result.job.id);
  if (result.outcome == O::kIdempotentReplay) res.headers.set("Idempotent-Replayed", "true");
  return res;
}

Response enqueue_one(Shared& s, Request& req) {
  const auto spec = single_spec(s, req);
  return single_answer(s.deps.submitter.submit(spec), spec);
}

// The same from the I/O thread: the group commit's thread answers, and the response is made back on the
// I/O thread, so no thread waits for the commit.
bool enqueue_one_deferred(const std::shared_ptr<Shared>& s, Request& req, const http::DeferredReply& reply) {
  auto spec = single_spec(*s, req);
  std::vector<jobs::JobSpec> specs{spec};
  s->deps.submitter.submit_async(std::move(specs), [reply, spec = std::move(spec)](auto results, auto error) mutable {
    reply([spec = std::move(spec), results = std::move(results), error]() -> Response {
      if (error) std::rethrow_exception(error);
      return single_answer(results.front(), spec);
    });
  });
  return true;
}

// Each job is checked on its own: an invalid one gets a 422 result, the others are enqueued.
Response enqueue_batch(Shared& s, Request& req) {
  const json body = req.json();
  const auto& list = body["jobs"];
  const json schema = job_schema();
  json results = json::array();
  std::vector<jobs::JobSpec> specs;
  std::vector<std::size_t> spec_index;
  for (std::size_t i = 0; i < list.size(); ++i) {
    try {
      json fields = violation_fields(validate_json(schema, list[i]));
      check_job(s.deps, list[i], fields);
      if (!fields.empty()) throw validation_error("invalid job", std::move(fields));
      specs.push_back(parse_spec(list[i], req, s.deps));
      spec_index.push_back(i);
      results.push_back(nullptr);
    } catch (const Error& e) {
      results.push_back({{"index", i}, {"status", error_status(e.code())}, {"error", e.envelope()["error"]}});
    }
  }
  if (!specs.empty()) {
    auto outcomes = s.deps.submitter.submit(specs);
    for (std::size_t k = 0; k < outcomes.size(); ++k) {
      const bool created = outcomes[k].outcome == jobs::EnqueueResult::Outcome::kCreated;
      json r = {{"index", spec_index[k]}, {"status", created ? 202 : 409}, {"job", outcomes[k].job.to_json()}};
      if (!created) {
        r["error"] = error_envelope(ErrorCode::kConflict, "an unfinished job already holds this unique_key")["error"];
      }
      results[spec_index[k]] = std::move(r);
    }
  }
  return Response::json({{"results", results}});
}

Response list_jobs(Shared& s, Request& req) {
  jobs::ListFilter f;
  f.tenant_id = req.who().tenant_id;
  if (auto state = req.query("state"); state && !state->empty()) {
    f.state = jobs::parse_state(*state);
    if (!f.state) {
      throw validation_error("invalid query", {{"state", "one of queued, running, succeeded, failed, cancelled"}});
    }
  }
  if (auto p = req.query("pipeline"); p && !p->empty()) f.pipeline = *p;
  const auto page = http::page_query(req, f.limit, 500);
  f.before_id = page.cursor;
  f.limit = page.fetch();
  return Response::json(http::page_body(
      page, s.deps.store.list(f), [](const jobs::Job& j) { return j.to_json(); },
      [](const jobs::Job& j) { return j.id; }));
}

json schedule_schema() {
  return {{"type", "object"},
          {"required", {"pipeline", "cron"}},
          {"properties",
           {{"name", {{"type", "string"}, {"maxLength", 200}}},
            {"pipeline", {{"type", "string"}, {"description", "a pipeline name (GET /api/v1/pipelines lists them)"}}},
            {"input", {{"type", "object"}, {"description", "checked against the pipeline's input_schema"}}},
            {"cron", {{"type", "string"}, {"description", "5-field cron; 6 fields with leading seconds"}}},
            {"timezone", {{"type", "string"}, {"default", "UTC"}}},
            {"enabled", {{"type", "boolean"}, {"default", true}}}}}};
}

Response create_schedule(Shared& s, Request& req) {
  const json body = req.json();
  const json as_job = {{"pipeline", body["pipeline"]}, {"input", body.value("input", json::object())}};
  jobs::JobSpec spec = parse_spec(as_job, req, s.deps);
  jobs::Schedule schedule;
  schedule.tenant_id = spec.tenant_id;
  schedule.pipeline = spec.pipeline;
  schedule.input = spec.input;
  schedule.cron = body["cron"].get<std::string>();
  schedule.timezone = body.value("timezone", "UTC");
  schedule.enabled = body.value("enabled", true);
  schedule.name = body.value("name", "");
  auto created = s.deps.schedules.create(schedule);
  Response res = Response::json(created.to_json(), 201);
  res.headers.set("Location", "/api/v1/schedules/" + created.id);
  return res;
}

// Job requests and schedules name a pipeline and its input: check_job runs before their handlers.
http::RouteOptions job_options(const std::shared_ptr<Shared>& s) {
  http::RouteOptions options = kUser;
  options.body_check = [s](const Request&, const json& body, json& fields) { check_job(s->deps, body, fields); };
  return options;
}

void add_schedule_routes(http::Router& router, std::shared_ptr<Shared> s) {
  router.add(
      Method::kPost, "/api/v1/schedules", [s](Request& req) { return create_schedule(*s, req); },
      {"Create a cron schedule that enqueues a pipeline run at each fire time",
       "schedules",
       schedule_schema(),
       {{"type", "object"}},
       201},
      job_options(s));
  router.add(Method::kGet, "/api/v1/schedules",
             [s](Request& req) {
               json items = json::array();
               for (const auto& sc : s->deps.schedules.list(req.who().tenant_id)) items.push_back(sc.to_json());
               return Response::json(http::page_body(std::move(items)));
             },
             {"List schedules", "schedules", nullptr, {{"type", "object"}}});
  router.add(
      Method::kGet, "/api/v1/schedules/{id}",
      [s](Request& req) {
        auto sc = s->deps.schedules.get(req.who().tenant_id, req.param("id"));
        if (!sc)
          throw Error(ErrorCode::kNotFound, "no such schedule", {{"id", std::string(req.param("id").substr(0, 64))}});
        return Response::json(sc->to_json());
      },
      {"A schedule with its next and last fire times", "schedules", nullptr, {{"type", "object"}}});
  router.add(
      Method::kDelete, "/api/v1/schedules/{id}",
      [s](Request& req) {
        if (!s->deps.schedules.remove(req.who().tenant_id, req.param("id"))) {
          throw Error(ErrorCode::kNotFound, "no such schedule", {{"id", std::string(req.param("id").substr(0, 64))}});
        }
        return Response::no_content();
      },
      {"Delete a schedule (jobs it already enqueued are kept)", "schedules", nullptr, nullptr, 204}, kUser);
}

}  // namespace

void add_jobs_routes(http::Router& router, JobsDeps deps) {
  auto s = std::make_shared<Shared>(Shared{deps});
  router.add(
      Method::kPost, "/api/v1/jobs", [s](Request& req) { return enqueue_one(*s, req); },
      {"Enqueue a job (Idempotency-Key honoured)", "jobs", job_schema(), job_out_schema(), 202},
      [&] {
        auto options = job_options(s);
        options.run_on = http::RunOn::kCommitPool;  // a submission waits for its group commit
        options.deferred = [s](Request& req, http::DeferredReply reply) { return enqueue_one_deferred(s, req, reply); };
        return options;
      }());
  router.add(Method::kPost, "/api/v1/jobs/batch", [s](Request& req) { return enqueue_batch(*s, req); },
             {"Enqueue up to 1,000 jobs in one transaction; one result per job",
              "jobs",
              {{"type", "object"},
               {"required", {"jobs"}},
               {"properties",
                {{"jobs",
                  {{"type", "array"},
                   {"minItems", 1},
                   {"maxItems", kMaxBatch},
                   {"items",
                    {{"description",
                      "a job request as POST /api/v1/jobs takes; an invalid one gets its own 422 result"}}}}}}}},
              {{"type", "object"}, {"properties", {{"results", {{"type", "array"}}}}}}},
             {.run_on = http::RunOn::kCommitPool, .max_body_bytes = kBatchBodyLimit, .role = auth::Role::kUser});
  router.add(Method::kGet, "/api/v1/jobs", [s](Request& req) { return list_jobs(*s, req); },
             {"List jobs, newest first (?state=&pipeline=&limit=&cursor=)", "jobs", nullptr,
              http::page_schema(job_out_schema())});
  router.add(
      Method::kGet, "/api/v1/jobs/{id}",
      [s](Request& req) {
        auto& views = s->deps.store.views();
        const auto ticket = views.ticket();  // before the read: a retry committed after it refuses the put
        auto found = s->deps.store.get_text(req.who().tenant_id, req.param("id"));
        if (!found) {
          throw Error(ErrorCode::kNotFound, "no such job", {{"id", std::string(req.param("id").substr(0, 64))}});
        }
        const auto& j = *found;
        std::string body;
        body.reserve(512 + j.input.size() + j.result.size() + j.error.size());
        jobs::append_job_json(body, j.job, j.input, j.result, j.error, job_details(s->deps.store, j.job, s->deps));
        if (jobs::is_final(j.job.state)) views.put(ticket, req.who().tenant_id, j.job.id, body);
        return json_text(std::move(body));
      },
      {"A job: state, progress, attempts, result, error, stages, queue position", "jobs", nullptr, job_out_schema()},
      {.from_memory = [s](Request& req) -> std::optional<Response> {
        // A finished job read within JobViews::kTtl: answered on the I/O thread (jobs/job_views.hpp).
        if (auto view = s->deps.store.views().find(req.who().tenant_id, req.param("id"))) {
          return json_text(std::move(*view));
        }
        return std::nullopt;
      }});
  router.add(
      Method::kPost, "/api/v1/jobs/{id}/cancel",
      [s](Request& req) {
        auto job = s->deps.store.cancel(req.who().tenant_id, req.param("id"));
        s->deps.runner.cancel_local(job.id);
        return Response::json(job.to_json());
      },
      {"Cancel a job: queued ones at once, running ones cooperatively", "jobs", nullptr, job_out_schema()}, kUser);
  router.add(
      Method::kPost, "/api/v1/jobs/{id}/retry",
      [s](Request& req) {
        auto job = s->deps.store.retry(req.who().tenant_id, req.param("id"));
        s->deps.submitter.wake();
        return Response::json(job.to_json());
      },
      {"Queue a failed or cancelled job again", "jobs", nullptr, job_out_schema()}, kUser);
  router.add(Method::kGet, "/api/v1/pipelines",
             [s](Request&) {
               json items = json::array();
               for (const auto& [name, p] : s->deps.pipelines) {
                 if (!p.internal) items.push_back(p.describe());
               }
               return Response::json({{"items", items}});
             },
             {"Pipelines this server runs, with their stages and input schema",
              "jobs",
              nullptr,
              {{"type", "object"}, {"properties", {{"items", {{"type", "array"}}}}}}});
  add_schedule_routes(router, s);
  detail::add_stream_routes(router, deps);
}

}  // namespace tyto::api
