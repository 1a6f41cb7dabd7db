#include "example_product.hpp"

#include "tyto/api/auth_routes.hpp"
#include "tyto/core/error.hpp"
#include "tyto/core/ids.hpp"
#include "tyto/core/time.hpp"
#include "tyto/events/events.hpp"
#include "tyto/http/page.hpp"
#include "tyto/http/router.hpp"
#include "tyto/jobs/submitter.hpp"
#include "tyto/objects/catalog.hpp"
#include "tyto/pipeline/pipeline.hpp"
#include "tyto/storage/database.hpp"

#include <fstream>
#include <iterator>
#include <ostream>

namespace tyto {
std::span<const EmbeddedFile> embedded_example_migrations();
std::span<const EmbeddedFile> embedded_example_pipelines();
std::span<const EmbeddedFile> embedded_example_console();
}  // namespace tyto

namespace tyto::products {
namespace {

using nlohmann::json;

constexpr std::string_view kInsertNote =
    "INSERT INTO example_notes (id, tenant_id, owner_id, text, created_at) VALUES ($1, $2, $3, $4, $5)";
constexpr std::string_view kSetJob = "UPDATE example_notes SET job_id = $2 WHERE id = $1";
constexpr std::string_view kSetArtifact = "UPDATE example_notes SET artifact_id = $3 WHERE tenant_id = $1 AND id = $2";
#define EXAMPLE_NOTE_COLUMNS "SELECT id, tenant_id, owner_id, text, job_id, artifact_id, created_at FROM example_notes "
constexpr std::string_view kSelectNote = EXAMPLE_NOTE_COLUMNS "WHERE tenant_id = $1 AND id = $2";
constexpr std::string_view kListNotes =
    EXAMPLE_NOTE_COLUMNS "WHERE tenant_id = $1 AND id < $2 ORDER BY id DESC LIMIT $3";
constexpr std::string_view kNotesOfOwner = EXAMPLE_NOTE_COLUMNS "WHERE owner_id = $1 ORDER BY id";
#undef EXAMPLE_NOTE_COLUMNS
constexpr std::string_view kDeleteOfOwner = "DELETE FROM example_notes WHERE owner_id = $1";

json note_json(const storage::Row& r) {
  return {{"id", r.get<std::string>(0)},
          {"owner_id", r.is_null(2) ? json(nullptr) : json(r.get<std::string>(2))},
          {"text", r.get<std::string>(3)},
          {"job_id", r.is_null(4) ? json(nullptr) : json(r.get<std::string>(4))},
          {"artifact_id", r.is_null(5) ? json(nullptr) : json(r.get<std::string>(5))},
          {"created_at", format_rfc3339(r.get<std::int64_t>(6))}};
}

json note_schema() {
  return {{"type", "object"},
          {"properties",
           {{"id", {{"type", "string"}}},
            {"text", {{"type", "string"}}},
            {"job_id", {{"type", {"string", "null"}}}},
            {"artifact_id", {{"type", {"string", "null"}}}}}}};
}

}  // namespace

// The notes: routes, the render stage and the personal data, over the services the platform handed in.
class ExampleProduct::Notes final : public api::PersonalData {
 public:
  explicit Notes(Services& s) : s_(s), greeting_(s.config.option("products.example.greeting").get<std::string>()) {}

  std::string_view section() const override { return "example.notes"; }
  api::ExportPart export_user(const std::string& user_id) override {
    api::ExportPart part{json::array(), {}};
    for (const auto& r : s_.db.query(kNotesOfOwner, {user_id}).rows) part.data.push_back(note_json(r));
    return part;
  }
  void erase_user(storage::Session& tx, const std::string& user_id, api::AfterCommit&) override {
    tx.execute(kDeleteOfOwner, {user_id});  // the artifacts are the user's objects: the catalog erases them
  }

  // POST: the note and the job that renders it commit together.
  http::Response create(http::Request& req) {
    const auto& who = req.who();
    const json body = req.json();
    const std::string id = new_uuid_v7();
    auto spec = s_.jobs.spec("example.render", who.tenant_id, {{"note_id", id}});
    if (!who.user_id.empty()) spec.created_by = who.user_id;
    std::vector<events::NewEvent> pending;
    auto tx = s_.db.begin(storage::TxMode::kWrite);
    tx->execute(kInsertNote, {id, who.tenant_id, who.owner_id(), body.at("text").get<std::string>(), now_micros()});
    const auto job = s_.jobs.submit_in(*tx, {spec}, pending).front().job;
    tx->execute(kSetJob, {id, job.id});
    s_.events.commit(*tx, pending);
    s_.jobs.wake();
    return http::Response::json(get_json(who.tenant_id, id), 201);
  }

  http::Response get(http::Request& req) {
    return http::Response::json(get_json(req.who().tenant_id, std::string(req.param("id"))));
  }

  http::Response list(http::Request& req) {
    const auto q = http::page_query(req, 50, 200);
    const auto rows = s_.db.query(kListNotes, {req.who().tenant_id, q.cursor.value_or("~"), q.fetch()}).rows;
    return http::Response::json(
        http::page_body(q, rows, note_json, [](const storage::Row& r) { return r.get<std::string>(0); }));
  }

  // The stage: writes "<greeting>, <text>" as a text artifact and records it on the note.
  json render(pipeline::StageContext& ctx, const json& input) {
    const std::string note_id = input.at("note_id");
    auto row = s_.db.query_one(kSelectNote, {ctx.tenant_id(), note_id});
    if (!row) throw pipeline::StageError("not_found", "the note is gone", false);
    const auto artifact = ctx.artifacts().put({"document", "note-" + note_id + ".csv", "text/csv", std::nullopt},
                                              greeting_ + "," + row->get<std::string>(3) + "\n");
    s_.db.execute(kSetArtifact, {ctx.tenant_id(), note_id, artifact.id});
    return {{"artifact_id", artifact.id}, {"size", artifact.size}};
  }

 private:
  json get_json(const std::string& tenant_id, const std::string& id) {
    auto row = s_.db.query_one(kSelectNote, {tenant_id, id});
    if (!row) throw Error(ErrorCode::kNotFound, "no such note", {{"id", id}});  // another tenant's reads as unknown
    return note_json(*row);
  }

  Services& s_;
  std::string greeting_;
};

std::vector<ComponentOption> ExampleProduct::options() {
  return {{"greeting", "string", "hello", "The first column of every rendered note"},
          {"max_text", "integer", 2000, "Longest note text accepted, in characters"}};
}

std::vector<CliCommand> ExampleProduct::commands() {
  CliCommand note_length{
      "note-length", "note-length FILE…", "Print each file's length in characters (the example product's command)",
      [](std::span<const std::string> args, std::ostream& out, std::ostream& err) {
        if (args.empty()) {
          err << "usage: tyto note-length FILE…\n";
          return 2;
        }
        int status = 0;
        for (const auto& path : args) {
          std::ifstream in(path, std::ios::binary);
          if (!in) {
            err << path << ": cannot be read\n";
            status = 1;
            continue;
          }
          const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
          out << path << "=" << text.size() << "\n";
        }
        return status;
      }};
  return {std::move(note_length)};
}

ExampleProduct::ExampleProduct() = default;
ExampleProduct::~ExampleProduct() = default;

std::span<const EmbeddedFile> ExampleProduct::migrations() const { return embedded_example_migrations(); }

std::vector<pipeline::PipelineFile> ExampleProduct::pipelines() const {
  return pipeline::pipeline_files(embedded_example_pipelines(), "tests/products/example/pipelines");
}

std::span<const EmbeddedFile> ExampleProduct::console_files() const { return embedded_example_console(); }

std::vector<ConsolePage> ExampleProduct::console_pages() const {
  return {{"example.notes", "Notes", "Example", auth::Role::kViewer, "/console/products/example/notes.js"}};
}

std::vector<auth::ProductRole> ExampleProduct::roles() const {
  return {{.name = "reviewer", .description = "Reads the notes awaiting review"}};
}

std::vector<api::PersonalData*> ExampleProduct::personal_data() { return {notes_.get()}; }

void ExampleProduct::install(Services& services, pipeline::StageRegistry& stages, http::Router& router) {
  notes_ = std::make_unique<Notes>(services);
  Notes* notes = notes_.get();
  const auto max_text = services.config.option("products.example.max_text").get<std::int64_t>();
  stages.add({"example.render",
              "Writes a note as a text artifact",
              {{"type", "object"}, {"required", {"note_id"}}, {"properties", {{"note_id", {{"type", "string"}}}}}},
              {{"type", "object"}},
              [notes](pipeline::StageContext& ctx, const json& input) { return notes->render(ctx, input); }});
  router.add(
      http::Method::kPost, "/api/v1/example/notes", [notes](http::Request& req) { return notes->create(req); },
      {.summary = "Create a note; a job renders it into an artifact",
       .tag = "example",
       .request_schema = {{"type", "object"},
                          {"required", {"text"}},
                          {"additionalProperties", false},
                          {"properties", {{"text", {{"type", "string"}, {"minLength", 1}, {"maxLength", max_text}}}}}},
       .response_schema = note_schema(),
       .success_status = 201},
      {.role = auth::Role::kUser});
  router.add(http::Method::kGet, "/api/v1/example/notes", [notes](http::Request& req) { return notes->list(req); },
             {.summary = "The tenant's notes, newest first",
              .tag = "example",
              .response_schema = http::page_schema(note_schema())});
  // A product role's route: reviewers (and admins) only, not every user.
  router.add(http::Method::kGet, "/api/v1/example/reviews", [notes](http::Request& req) { return notes->list(req); },
             {.summary = "The notes awaiting review, newest first (reviewers)",
              .tag = "example",
              .response_schema = http::page_schema(note_schema())},
             {.role = auth::Role::product("reviewer")});
  router.add(http::Method::kGet, "/api/v1/example/notes/{id}", [notes](http::Request& req) { return notes->get(req); },
             {.summary = "One note", .tag = "example", .response_schema = note_schema()});
}

}  // namespace tyto::products
