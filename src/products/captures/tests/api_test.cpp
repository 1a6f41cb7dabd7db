// The captures product through its API with the real binary, on SQLite and PostgreSQL: client-measured
// captures, edits with their history, approval by a tailor, PDF and CSV sheets behind signed links, partner
// batches, consent, bad uploads, roles, another tenant's view, and a deleted user.
#include "integration/isolation_matrix.hpp"
#include "integration/unzip.hpp"
#include "support.hpp"
#include "support/webhook_receiver.hpp"

#include <set>

using namespace tyto::test;
using namespace tyto::test::captures;

TEMPLATE_TEST_CASE("A user edits a measurement with a note, a tailor approves it and downloads the sheet",
                   "[integration][captures]", SqliteBackend, PostgresBackend) {
  TestType backend;
  auto server = TytoProcess::serve(backend.args({"--outbound-allow", "127.0.0.1/32"}));
  const auto port = server->port();
  WebhookReceiver receiver;
  REQUIRE(api(port, "POST", "/api/v1/webhooks", {{"url", receiver.url()}, {"event_types", {"capture.*"}}}).status ==
          201);
  const auto user = member(port, "ana@example.com", "user");
  const auto tailor = member(port, "tailor@example.com", "partner");
  const auto other = member(port, "ben@example.com", "user");

  // Values that are not a body are refused, naming each.
  auto bad =
      api(port, "POST", "/api/v1/capture", {{"metrics", {{"waist", 400}, {"height", "tall"}}}}, bearer(user.token));
  INFO(bad.raw.body);
  CHECK(bad.status == 422);
  CHECK(bad.body["error"]["details"]["fields"].contains("metrics.waist"));
  CHECK(bad.body["error"]["details"]["fields"].contains("metrics.height"));

  const auto id = client_capture(port, user.token, kClientMetrics);
  auto results = api(port, "GET", "/api/v1/capture/" + id + "/results", nullptr, bearer(user.token));
  INFO(results.raw.body);
  REQUIRE(results.status == 200);
  CHECK(results.body["metrics"]["waist"]["value_cm"] == 84.0);
  CHECK(results.body["metrics_json"]["current"]["waist"]["value_cm"] == 84.0);
  const double measured_confidence = results.body["quality"]["overall_confidence"];
  // Another user sees nothing of it.
  CHECK(api(port, "GET", "/api/v1/capture/" + id + "/results", nullptr, bearer(other.token)).status == 404);
  CHECK(api(port, "PATCH", "/api/v1/capture/" + id + "/metrics", {{"metrics", {{"waist", 80}}}}, bearer(other.token))
            .status == 404);

  // The edit: the original stays, current shows it, the confidence drops, the status is edited.
  auto edited = api(port, "PATCH", "/api/v1/capture/" + id + "/metrics",
                    {{"metrics", {{"waist", 81.5}}}, {"note", "measured with a tape"}}, bearer(user.token));
  INFO(edited.raw.body);
  REQUIRE(edited.status == 200);
  CHECK(edited.body["status"] == "edited");
  CHECK(edited.body["metrics_json"]["original"]["waist"]["value_cm"] == 84.0);
  CHECK(edited.body["metrics_json"]["current"]["waist"]["value_cm"] == 81.5);
  CHECK(edited.body["metrics_json"]["current"]["waist"]["edited"] == true);
  CHECK(edited.body["metrics_json"]["current"]["waist"]["original_cm"] == 84.0);
  CHECK(edited.body["quality"]["overall_confidence"].template get<double>() < measured_confidence);
  CHECK(api(port, "PATCH", "/api/v1/capture/" + id + "/metrics", {{"metrics", {{"neck", 38}}}}, bearer(user.token))
            .status == 422);

  auto history = api(port, "GET", "/api/v1/capture/" + id + "/metrics/history", nullptr, bearer(user.token));
  REQUIRE(history.status == 200);
  REQUIRE(history.body["items"].size() == 2);
  CHECK(history.body["items"][0]["type"] == "measurement");
  CHECK(history.body["items"][1]["type"] == "edit");
  CHECK(history.body["items"][1]["note"] == "measured with a tape");
  CHECK(history.body["items"][1]["status"] == "pending");

  // Only a tailor (partner) or an admin approves; the user cannot approve their own edit.
  CHECK(
      api(port, "POST", "/api/v1/capture/" + id + "/adjustments/approve", json::object(), bearer(user.token)).status ==
      403);
  auto queue = api(port, "GET", "/api/v1/admin/adjustments", nullptr, bearer(tailor.token));
  INFO(queue.raw.body);
  REQUIRE(queue.status == 200);
  REQUIRE(queue.body["items"].size() == 1);
  CHECK(queue.body["items"][0]["pending_adjustments"][0]["changes"]["waist"]["to"] == 81.5);
  // No training use without the user's consent.
  CHECK(api(port, "POST", "/api/v1/capture/" + id + "/adjustments/approve", {{"training_export", true}},
            bearer(tailor.token))
            .status == 422);
  auto approved =
      api(port, "POST", "/api/v1/capture/" + id + "/adjustments/approve", {{"note", "fits"}}, bearer(tailor.token));
  INFO(approved.raw.body);
  REQUIRE(approved.status == 200);
  CHECK(approved.body["status"] == "approved");
  CHECK(approved.body["adjustments"][0]["status"] == "approved");
  CHECK(approved.body["adjustments"][0]["decided_by"] == tailor.user_id);

  // The tailor's PDF sheet, through a signed link anyone holding it may use until it expires.
  auto sheet = api(port, "POST", "/api/v1/capture/" + id + "/exports", {{"format", "pdf"}}, bearer(tailor.token));
  INFO(sheet.raw.body);
  REQUIRE(sheet.status == 201);
  const auto target = link_target(sheet.body["url"]);
  auto pdf = request(port, "GET", target);
  REQUIRE(pdf.status == 200);
  CHECK(pdf.body.rfind("%PDF", 0) == 0);
  auto tampered = target;
  tampered.back() = tampered.back() == '0' ? '1' : '0';
  CHECK(request(port, "GET", tampered).status == 403);
  auto csv = api(port, "POST", "/api/v1/capture/" + id + "/exports", {{"format", "csv"}}, bearer(user.token));
  REQUIRE(csv.status == 201);
  const auto csv_body = request(port, "GET", link_target(csv.body["url"])).body;
  CHECK(csv_body.find("waist") != std::string::npos);
  CHECK(csv_body.find("81.5") != std::string::npos);
  auto exports = api(port, "GET", "/api/v1/partner/me/exports", nullptr, bearer(tailor.token));
  REQUIRE(exports.status == 200);
  CHECK(exports.body["items"].size() == 1);  // the tailor's sheet, not the user's own CSV
  CHECK(api(port, "GET", "/api/v1/partner/me/exports", nullptr, bearer(user.token)).status == 403);

  // The tenant's webhook heard the capture completed, edited and approved (each its own delivery job).
  REQUIRE(receiver.wait_for(3));
  std::multiset<std::string> heard;
  for (const auto& r : receiver.requests()) heard.insert(json::parse(r.body).value("type", ""));
  CHECK(heard == std::multiset<std::string>{"capture.approved", "capture.completed", "capture.edited"});

  // Every change is on the record.
  auto audit = api(port, "GET", "/api/v1/audit?limit=200");
  REQUIRE(audit.status == 200);
  std::set<std::string> actions;
  for (const auto& e : audit.body["items"]) actions.insert(e["action"].template get<std::string>());
  for (const char* a : {"captures.create", "captures.metrics_edit", "captures.approve", "captures.export"}) {
    INFO(a);
    CHECK(actions.contains(a));
  }
}

TEMPLATE_TEST_CASE("A partner's batch is checked row by row and nothing is filled in", "[integration][captures]",
                   SqliteBackend, PostgresBackend) {
  TestType backend;
  auto server = TytoProcess::serve(backend.args());
  const auto port = server->port();
  const auto partner = member(port, "shop@example.com", "partner");
  const auto user = member(port, "cy@example.com", "user");
  const std::string csv =
      "external_id,unit,height,chest,waist,hip,inseam\r\n"
      "c1,cm,172,96,82,98,80\r\n"
      "c2,cm,172,96,20,98,80\r\n"
      "c3,in,68,38,32,40,\r\n"
      "c4,cm,150,90,80,95,100\r\n"
      "c5,cm,=HYPERLINK(\"x\"),96,82,98,80\r\n";
  auto r = request(port, "POST", "/api/v1/partner/upload-batch", csv,
                   {{"Content-Type", "text/csv"}, {"Authorization", "Bearer " + partner.token}});
  INFO(r.body);
  REQUIRE(r.status == 201);
  const auto batch = json::parse(r.body);
  CHECK(batch["rows_total"] == 5);
  CHECK(batch["rows_accepted"] == 2);
  CHECK(batch["rows_refused"] == 3);
  const auto& rows = batch["rows"];
  CHECK(rows[0]["accepted"] == true);
  CHECK(rows[1]["errors"][0]["field"] == "waist");
  CHECK(rows[1]["errors"][0]["code"] == "out_of_range");
  CHECK(rows[2]["accepted"] == true);
  CHECK_FALSE(rows[2]["measurements"].contains("inseam"));  // empty stays empty
  CHECK(rows[3]["errors"][0]["code"] == "implausible_ratio");
  CHECK(rows[4]["errors"][0]["code"] == "not_a_number");
  // The report is a CSV whose formula-like cells are defused.
  const auto report = request(port, "GET", link_target(batch["report"]["url"]));
  REQUIRE(report.status == 200);
  CHECK(report.body.find("c2,false,waist,out_of_range") != std::string::npos);
  CHECK(api(port, "GET", "/api/v1/partner/batches/" + batch["id"].template get<std::string>(), nullptr,
            bearer(partner.token))
            .status == 200);
  // A user is no partner; a body that is no CSV at all is refused whole.
  CHECK(request(port, "POST", "/api/v1/partner/upload-batch", csv,
                {{"Content-Type", "text/csv"}, {"Authorization", "Bearer " + user.token}})
            .status == 403);
  CHECK(request(port, "POST", "/api/v1/partner/upload-batch", "a,b\n\"unterminated",
                {{"Content-Type", "text/csv"}, {"Authorization", "Bearer " + partner.token}})
            .status == 422);
  CHECK(request(port, "POST", "/api/v1/partner/upload-batch", "<xml/>",
                {{"Content-Type", "application/xml"}, {"Authorization", "Bearer " + partner.token}})
            .status == 415);
}

TEST_CASE("Photos are checked by their bytes, and store_images must match the user's consent",
          "[integration][captures]") {
  SqliteBackend backend;
  auto server = TytoProcess::serve(backend.args({"--products-captures-max-photo-bytes", "2000000"}));
  const auto port = server->port();
  const auto user = member(port, "dee@example.com", "user");
  const auto jpeg = read_file("/usr/share/doc/opencv-doc/examples/data/messi5.jpg");
  auto missing = post_capture(port, user.token, {{"front", "f.jpg", "image/jpeg", jpeg}});
  CHECK(missing.status == 422);
  CHECK(json::parse(missing.body)["error"]["details"]["fields"].contains("side"));
  // A text file named like a photo and declared as one.
  auto liar =
      post_capture(port, user.token,
                   {{"front", "f.jpg", "image/jpeg", "#!/bin/sh\necho hi\n"}, {"side", "s.jpg", "image/jpeg", jpeg}});
  CHECK(liar.status == 415);
  CHECK(json::parse(liar.body)["error"]["details"]["field"] == "front");
  auto cut = post_capture(
      port, user.token, {{"front", "f.jpg", "image/jpeg", jpeg.substr(0, 200)}, {"side", "s.jpg", "image/jpeg", jpeg}});
  CHECK(cut.status == 415);
  auto big = post_capture(
      port, user.token,
      {{"front", "f.jpg", "image/jpeg", jpeg + std::string(2'100'000, '\0')}, {"side", "s.jpg", "image/jpeg", jpeg}});
  CHECK(big.status == 413);
  // Without consent to keep photos, store_images: true is refused; after consenting it is accepted.
  auto refused = post_capture(port, user.token,
                              {{"front", "f.jpg", "image/jpeg", jpeg},
                               {"side", "s.jpg", "image/jpeg", jpeg},
                               {"store_images", "", "", "true"}});
  CHECK(refused.status == 422);
  CHECK(json::parse(refused.body)["error"]["details"]["fields"].contains("store_images"));
  REQUIRE(api(port, "PUT", "/api/v1/capture/consent", {{"store_images", true}}, bearer(user.token)).status == 200);
  auto ok = post_capture(port, user.token,
                         {{"front", "f.jpg", "image/jpeg", jpeg},
                          {"side", "s.jpg", "image/jpeg", jpeg},
                          {"store_images", "", "", "true"}});
  INFO(ok.body);
  CHECK(ok.status == 202);
  CHECK(post_capture(port, user.token, {{"front", "f.jpg", "image/jpeg", jpeg}, {"side", "s.jpg", "image/jpeg", jpeg}})
            .status == 422);  // now the consent says keep
  // A malformed multipart body and a body of another type.
  CHECK(request(port, "POST", "/api/v1/capture", "--x\r\nnothing",
                {{"Content-Type", "multipart/form-data; boundary=x"}, {"Authorization", "Bearer " + user.token}})
            .status == 422);
  CHECK(request(port, "POST", "/api/v1/capture", "hello",
                {{"Content-Type", "text/plain"}, {"Authorization", "Bearer " + user.token}})
            .status == 415);
}

TEMPLATE_TEST_CASE("A deleted user leaves no capture, edit, export or consent behind", "[integration][captures]",
                   SqliteBackend, PostgresBackend) {
  TestType backend;
  auto server = TytoProcess::serve(backend.args());
  const auto port = server->port();
  const auto user = member(port, "eve@example.com", "user");
  const auto labeler = member(port, "lab@example.com", "labeler");
  REQUIRE(api(port, "PUT", "/api/v1/capture/consent", {{"training", true}}, bearer(user.token)).status == 200);
  const auto id = client_capture(port, user.token, kClientMetrics);
  REQUIRE(api(port, "PATCH", "/api/v1/capture/" + id + "/metrics", {{"metrics", {{"hip", 101}}}}, bearer(user.token))
              .status == 200);
  auto pdf = api(port, "POST", "/api/v1/capture/" + id + "/exports", {{"format", "pdf"}}, bearer(user.token));
  REQUIRE(pdf.status == 201);
  auto label = api(port, "POST", "/api/v1/admin/label/" + id, {{"labels", {{"waist_cm", 83}}}}, bearer(labeler.token));
  REQUIRE(label.status == 201);
  // The user's own export holds the capture.
  auto listed = api(port, "GET", "/api/v1/admin/captures", nullptr, bearer(labeler.token));
  REQUIRE(listed.status == 200);
  CHECK(listed.body["items"].size() == 1);

  // The user's own data export holds the capture with its run, edit, label and sheet, and the sheet itself.
  const auto archive = exported_archive(port, bearer(user.token));
  REQUIRE(archive.contains("tyto-export.json"));
  const auto exported = json::parse(archive.at("tyto-export.json"));
  INFO(exported.dump().substr(0, 2000));
  REQUIRE(exported["captures"]["captures"].size() == 1);
  const auto& mine = exported["captures"]["captures"][0];
  CHECK(mine["capture_id"] == id);
  CHECK(mine["runs"].size() == 1);
  CHECK(mine["adjustments"][0]["changes"]["hip"]["to"] == 101.0);
  CHECK(mine["labels"].size() == 1);
  CHECK(mine["consent"]["training"] == true);
  bool sheet_in_archive = false;
  for (const auto& [name, bytes] : archive) sheet_in_archive = sheet_in_archive || bytes.rfind("%PDF", 0) == 0;
  CHECK(sheet_in_archive);

  REQUIRE(api(port, "DELETE", "/api/v1/me", nullptr, bearer(user.token)).status / 100 == 2);
  CHECK(api(port, "GET", "/api/v1/capture/" + id).status == 404);
  CHECK(api(port, "GET", "/api/v1/admin/captures", nullptr, bearer(labeler.token)).body["items"].empty());
  CHECK(request(port, "GET", link_target(pdf.body["url"])).status == 404);
  auto db = backend.open();
  for (const char* table : {"captures", "captures_metrics", "captures_adjustments", "captures_labels",
                            "captures_exports", "captures_consents"}) {
    INFO(table);
    CHECK(db->query_one(std::string("SELECT COUNT(*) FROM ") + table)->template get<std::int64_t>(0) == 0);
  }
}

TEST_CASE("Captures answer another tenant's admin with 404 and a too-small role with 403", "[integration][captures]") {
  SqliteBackend backend;
  auto server = TytoProcess::serve(backend.args());
  check_isolation(server->port(), {[](std::uint16_t port, Victim& v) {
                    auto c = api(port, "POST", "/api/v1/capture", {{"metrics", kClientMetrics}});
                    REQUIRE(c.status == 201);
                    v.add("/api/v1/capture/", c.body["capture_id"]);
                    v.add("/api/v1/admin/label/", c.body["capture_id"]);
                    v.add("/api/v1/admin/captures/", c.body["capture_id"]);
                    auto b =
                        request(port, "POST", "/api/v1/partner/upload-batch", "height\n170\n",
                                {{"Content-Type", "text/csv"}, {"Authorization", std::string("Bearer ") + kAdminKey}});
                    REQUIRE(b.status == 201);
                    v.add("/api/v1/partner/batches/", json::parse(b.body)["id"]);
                    v.bodies["/api/v1/capture/{id}/metrics"] = {{"metrics", {{"waist", 80}}}};
                    v.bodies["/api/v1/admin/label/{capture_id}"] = {{"labels", json::object()}};
                    v.bodies["/api/v1/capture/{id}/manual-adjust"] = {{"keypoints", {{"front", json::object()}}}};
                  }});
}

TEMPLATE_TEST_CASE("The training archive holds approved records of consenting users only", "[integration][captures]",
                   SqliteBackend, PostgresBackend) {
  TestType backend;
  auto server = TytoProcess::serve(backend.args());
  const auto port = server->port();
  const auto yes = member(port, "hal@example.com", "user");
  const auto no = member(port, "ivy@example.com", "user");
  const auto tailor = member(port, "tai@example.com", "partner");
  REQUIRE(api(port, "PUT", "/api/v1/capture/consent", {{"training", true}}, bearer(yes.token)).status == 200);
  const auto consenting = client_capture(port, yes.token, kClientMetrics);
  const auto other = client_capture(port, no.token, kClientMetrics);
  REQUIRE(api(port, "POST", "/api/v1/capture/" + consenting + "/adjustments/approve", {{"training_export", true}},
              bearer(tailor.token))
              .status == 200);
  CHECK(api(port, "POST", "/api/v1/capture/" + other + "/adjustments/approve", {{"training_export", true}},
            bearer(tailor.token))
            .status == 422);
  // Consent withdrawn later keeps a queued record out too: only ivy's would be, and she never gave it.
  CHECK(api(port, "POST", "/api/v1/admin/training-exports", json::object(), bearer(tailor.token)).status == 403);
  auto job = api(port, "POST", "/api/v1/admin/training-exports", json::object());
  INFO(job.raw.body);
  REQUIRE(job.status == 202);
  const auto done = wait_for_state(port, job.body["job_id"], "succeeded", std::chrono::seconds(60));
  INFO(done.dump());
  auto zip =
      api(port, "GET", "/api/v1/objects/" + done["result"]["object_id"].template get<std::string>() + "/content");
  REQUIRE(zip.raw.status == 200);
  const auto entries = unzip(zip.raw.body);
  REQUIRE(entries.contains("manifest.json"));
  const auto manifest = json::parse(entries.at("manifest.json"));
  CHECK(manifest["format"] == "tyto-captures-training");
  CHECK(manifest["version"] == 1);
  CHECK(manifest["records"] == 1);
  const auto records = entries.at("records.jsonl");
  CHECK(records.find(consenting) != std::string::npos);
  CHECK(records.find(other) == std::string::npos);
  CHECK(records.find(yes.user_id) == std::string::npos);  // a pseudonym, not the user's id
  auto exports = api(port, "GET", "/api/v1/partner/me/exports");
  CHECK(exports.status == 200);
}
