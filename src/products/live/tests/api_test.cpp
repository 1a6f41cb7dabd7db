// The live product's API beside running sessions: sources (validation, the outbound guard, hidden passwords),
// one-shot analysis of a frame and of an audio clip, bad input, stopping, and another tenant's view.
#include "browser/page_server.hpp"
#include "integration/isolation_matrix.hpp"
#include "support.hpp"

using namespace tyto::test;
using namespace tyto::test::live;

TEST_CASE("Sources are validated, guarded and shown without their password", "[integration][live][sources]") {
  SqliteBackend backend;
  auto server = TytoProcess::serve(backend.args());  // no outbound allowlist: loopback is private
  const auto port = server->port();
  auto refused = api(port, "POST", "/api/v1/sources",
                     {{"kind", "rtsp"}, {"name", "cam"}, {"url", "rtsp://admin:pw@127.0.0.1:8554/cam"}});
  INFO(refused.raw.body);
  CHECK(refused.status == 403);
  CHECK(api(port, "POST", "/api/v1/sources", {{"kind", "rtsp"}, {"name", "cam"}, {"url", "http://example.org/x"}})
            .status == 422);
  CHECK(api(port, "POST", "/api/v1/sources", {{"kind", "rtsp"}, {"name", "cam"}}).status == 422);
  CHECK(api(port, "POST", "/api/v1/sources", {{"kind", "webcam"}, {"name", "w"}, {"url", "rtsp://x/y"}}).status == 422);
  CHECK(api(port, "POST", "/api/v1/sources", {{"kind", "satellite"}, {"name", "s"}}).status == 422);
  CHECK(api(port, "POST", "/api/v1/sources", {{"kind", "upload"}, {"name", "u"}, {"object_id", "nope"}}).status == 404);
  // A document is no video.
  const auto doc = upload_object(port, "document", "application/json", "{}", "a.json");
  auto wrong = api(port, "POST", "/api/v1/sources", {{"kind", "upload"}, {"name", "u"}, {"object_id", doc}});
  CHECK(wrong.status == 422);

  SqliteBackend backend2;
  auto allowed_server = TytoProcess::serve(backend2.args(live_args()));
  const auto p2 = allowed_server->port();
  auto ok = api(p2, "POST", "/api/v1/sources",
                {{"kind", "rtsp"}, {"name", "cam"}, {"url", "rtsp://admin:hunter2@127.0.0.1:8554/cam"}});
  INFO(ok.raw.body);
  REQUIRE(ok.status == 201);
  CHECK(ok.body["url"] == "rtsp://admin:***@127.0.0.1:8554/cam");
  CHECK(ok.raw.body.find("hunter2") == std::string::npos);
  CHECK(ok.body["options"]["transport"] == "tcp");
  const std::string id = ok.body["id"];
  auto listed = api(p2, "GET", "/api/v1/sources");
  REQUIRE(listed.status == 200);
  CHECK(listed.raw.body.find("hunter2") == std::string::npos);
  CHECK(listed.body["items"].size() == 1);
  // A source a session used stays for the session's record.
  start_session(p2, {{"source_id", id}, {"pipelines", {"motion"}}});
  CHECK(api(p2, "DELETE", "/api/v1/sources/" + id).status == 409);
  const auto spare = create_source(p2, {{"kind", "webcam"}, {"name", "spare"}});
  CHECK(api(p2, "DELETE", "/api/v1/sources/" + spare).status == 204);
  CHECK(api(p2, "GET", "/api/v1/sources/" + spare).status == 404);
}

TEST_CASE("Sessions refuse bad pipelines, profiles and zones, naming the field", "[integration][live][sessions]") {
  SqliteBackend backend;
  auto server = TytoProcess::serve(backend.args(live_args()));
  const auto port = server->port();
  const auto source = create_source(port, {{"kind", "webcam"}, {"name", "w"}});
  auto bad = [&](const json& extra) {
    json body = {{"source_id", source}};
    body.update(extra);
    auto r = api(port, "POST", "/api/v1/sessions", body);
    INFO(r.raw.body);
    CHECK(r.status == 422);
    return r.body;
  };
  bad({{"pipelines", {"teleport"}}});
  bad({{"profile", "turbo"}});
  const json zone = bad({{"zones", {{{"name", "door"}, {"points", {{{"x", 0.1}, {"y", 0.1}}}}}}}});
  CHECK(zone.dump().find("zones[0]") != std::string::npos);
  CHECK(api(port, "POST", "/api/v1/sessions", {{"source_id", "01900000-0000-7000-8000-000000000000"}}).status == 404);
  // A good one keeps what it was given.
  const json zones = {
      {{"name", "door"}, {"points", {{{"x", 0.1}, {"y", 0.1}}, {{"x", 0.5}, {"y", 0.1}}, {{"x", 0.3}, {"y", 0.6}}}}}};
  const auto id = start_session(port, {{"source_id", source}, {"pipelines", {"detect", "track"}}, {"zones", zones}});
  const json s = session(port, id);
  CHECK(s["zones"][0]["name"] == "door");
  CHECK(s["pipelines"] == json({"detect", "track"}));
  // Stopping a session no browser ever joined ends it at once.
  auto stop = api(port, "POST", "/api/v1/sessions/" + id + "/stop");
  REQUIRE(stop.status == 202);
  CHECK(stop.body["state"] == "stopped");
  auto listed = api(port, "GET", "/api/v1/sessions?state=stopped");
  REQUIRE(listed.status == 200);
  CHECK(listed.body["items"].size() == 1);
  CHECK(api(port, "GET", "/api/v1/sessions?state=sleeping").status == 422);
}

TEST_CASE("One frame is analysed from a raw body or a multipart field, with an overlay on request",
          "[integration][live][analyze]") {
  SqliteBackend backend;
  auto server = TytoProcess::serve(backend.args(live_args()));
  const auto port = server->port();
  const std::string photo = read_file(kPhotos / "messi5.jpg");
  auto raw = request(port, "POST", "/api/v1/analyze/frame?model=faces", photo,
                     {{"Content-Type", "image/jpeg"}, {"Authorization", std::string("Bearer ") + kAdminKey}});
  INFO(raw.body);
  REQUIRE(raw.status == 200);
  const json found = json::parse(raw.body);
  REQUIRE_FALSE(found["detections"].empty());
  CHECK(found["detections"][0]["label"] == "face");
  CHECK(found["width"] == 548);

  const std::string body =
      "--b0und\r\nContent-Disposition: form-data; name=\"image\"; filename=\"m.jpg\"\r\n"
      "Content-Type: image/jpeg\r\n\r\n" +
      photo + "\r\n--b0und--\r\n";
  auto multi = request(
      port, "POST", "/api/v1/analyze/frame?model=faces", body,
      {{"Content-Type", "multipart/form-data; boundary=b0und"}, {"Authorization", std::string("Bearer ") + kAdminKey}});
  REQUIRE(multi.status == 200);
  CHECK(json::parse(multi.body)["detections"] == found["detections"]);

  auto overlay = request(port, "POST", "/api/v1/analyze/frame?model=faces&overlay=png", photo,
                         {{"Authorization", std::string("Bearer ") + kAdminKey}});
  REQUIRE(overlay.status == 200);
  CHECK(overlay.body.substr(1, 3) == "PNG");

  auto code_of = [](const HttpResponse& r) { return json::parse(r.body)["error"]["code"].get<std::string>(); };
  auto truncated = request(port, "POST", "/api/v1/analyze/frame?model=faces", photo.substr(0, photo.size() / 3),
                           {{"Authorization", std::string("Bearer ") + kAdminKey}});
  CHECK(truncated.status == 415);
  const std::string png = read_file(kPhotos / "graf1.png");
  auto cut_png = request(port, "POST", "/api/v1/analyze/frame?model=faces", png.substr(0, png.size() / 2),
                         {{"Authorization", std::string("Bearer ") + kAdminKey}});
  CHECK(cut_png.status == 415);
  auto text = request(port, "POST", "/api/v1/analyze/frame?model=faces", "just text",
                      {{"Authorization", std::string("Bearer ") + kAdminKey}});
  CHECK(text.status == 415);
  CHECK(code_of(text) == "unsupported_media_type");
  auto unknown = request(port, "POST", "/api/v1/analyze/frame?model=yolo-nowhere", photo,
                         {{"Authorization", std::string("Bearer ") + kAdminKey}});
  CHECK(unknown.status == 404);
  auto no_field = request(
      port, "POST", "/api/v1/analyze/frame", "--b\r\n\r\n--b--",
      {{"Content-Type", "multipart/form-data; boundary=b"}, {"Authorization", std::string("Bearer ") + kAdminKey}});
  CHECK(no_field.status == 422);
  // Over max_frame_bytes: refused from the headers, before the body is read.
  Client big(port);
  big.send("POST /api/v1/analyze/frame HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + std::string(kAdminKey) +
           "\r\nContent-Type: image/jpeg\r\nContent-Length: " + std::to_string(5u << 20) + "\r\n\r\n");
  const auto huge = big.read_response();
  REQUIRE(huge);
  CHECK(huge->status == 413);
}

TEST_CASE("A short spoken clip is transcribed with word timings", "[integration][live][analyze][audio]") {
  SqliteBackend backend;
  TempDir dir;
  sh("espeak-ng -v en-us+klatt2 -s 140 -w " + (dir.path() / "speech.wav").string() +
     " \"the meeting starts in ten minutes\"");
  auto server = TytoProcess::serve(backend.args(live_args()));
  const auto port = server->port();
  auto r = request(port, "POST", "/api/v1/analyze/audio", read_file(dir.path() / "speech.wav"),
                   {{"Content-Type", "audio/wav"}, {"Authorization", std::string("Bearer ") + kAdminKey}});
  INFO(r.body);
  REQUIRE(r.status == 200);
  const json t = json::parse(r.body);
  // pocketsphinx gets this sentence right in this voice (docs/quality.md); allow a word wrong.
  int right = 0;
  for (const char* w : {"the", "meeting", "starts", "in", "ten", "minutes"})
    if ((" " + t["text"].get<std::string>() + " ").find(std::string(" ") + w + " ") != std::string::npos) ++right;
  CHECK(right >= 5);
  REQUIRE_FALSE(t["words"].empty());
  double last = 0;
  for (const auto& w : t["words"]) {
    CHECK(w["start_s"].get<double>() >= last - 1e-6);
    CHECK(w["end_s"].get<double>() >= w["start_s"].get<double>());
    last = w["end_s"];
  }
  CHECK(last <= t["duration_s"].get<double>() + 0.05);
  auto png = request(port, "POST", "/api/v1/analyze/audio", read_file(kPhotos / "messi5.jpg"),
                     {{"Authorization", std::string("Bearer ") + kAdminKey}});
  CHECK(png.status == 415);
}

TEST_CASE("Another tenant reaches none of a tenant's sources and sessions (the isolation matrix)",
          "[integration][live][tenancy]") {
  SqliteBackend backend;
  auto server = TytoProcess::serve(backend.args(live_args()));
  check_isolation(server->port(), {[](std::uint16_t port, Victim& v) {
                    const auto source = create_source(port, {{"kind", "webcam"}, {"name", "w"}});
                    v.add("/api/v1/sources/", source);
                    const auto session = start_session(port, {{"source_id", source}, {"pipelines", {"faces"}}});
                    v.add("/api/v1/sessions/", session);
                    v.add("/ws/sessions/", session);
                    v.bodies["/api/v1/sessions"] = {{"source_id", source}};
                  }});
}

TEST_CASE("A summary through a chat endpoint keeps only the statements that cite the session's events",
          "[integration][live][summary]") {
  SqliteBackend backend;
  TempDir dir;
  PageServer chat;  // a small local fake of an OpenAI-compatible chat completions endpoint
  std::int64_t cited = 0;
  chat.route("/v1/chat/completions", [&](const PageRequest& r) {
    const json request = json::parse(r.body);
    const std::string user = request["messages"][1]["content"];
    const json listed = json::parse(user.substr(user.find('[')));
    cited = listed.front()["id"].get<std::int64_t>();
    const std::string content = "- A face was seen [" + std::to_string(cited) +
                                "]\n- Someone shouted fire\n- A dog crossed the line [999999999]";
    return PageResponse{200,
                        "application/json",
                        json{{"choices", {{{"message", {{"role", "assistant"}, {"content", content}}}}}}}.dump(),
                        {}};
  });
  auto server =
      TytoProcess::serve(backend.args(live_args({"--products-live-chat-url", chat.url("/v1/chat/completions")})));
  const auto port = server->port();
  const auto object = upload_object(port, "video", "video/mp4", read_file(face_video(dir.path(), 2)), "faces.mp4");
  const auto source = create_source(port, {{"kind", "upload"}, {"name", "clip"}, {"object_id", object}});
  const auto id = start_session(port, {{"source_id", source}, {"pipelines", {"faces"}}});
  REQUIRE(wait_state(port, id, {"finished", "failed"})["state"] == "finished");
  auto s = api(port, "POST", "/api/v1/sessions/" + id + "/summary", {{"last_s", 600}});
  INFO(s.raw.body);
  REQUIRE(s.status == 200);
  CHECK(s.body["source"] == "chat");
  REQUIRE(s.body["statements"].size() == 1);
  CHECK(s.body["statements"][0]["text"] == "A face was seen");
  CHECK(s.body["statements"][0]["event_ids"] == json::array({cited}));
  CHECK(s.body["dropped_statements"] == 2);
  // Only this session's events went out, and no metric events.
  const auto sent = chat.requests("/v1/chat/completions");
  REQUIRE(sent.size() == 1);
  CHECK(sent[0].body.find("\\\"metric\\\"") == std::string::npos);
  CHECK(sent[0].body.find("\\\"detection\\\"") != std::string::npos);

  // An endpoint that fails gives the template summary, with a warning.
  SqliteBackend backend2;
  auto broken = TytoProcess::serve(backend2.args(live_args({"--products-live-chat-url", chat.url("/nowhere")})));
  const auto p2 = broken->port();
  const auto o2 = upload_object(p2, "video", "video/mp4", read_file(face_video(dir.path(), 2, "b.mp4")), "b.mp4");
  const auto s2 =
      start_session(p2, {{"source_id", create_source(p2, {{"kind", "upload"}, {"name", "b"}, {"object_id", o2}})},
                         {"pipelines", {"faces"}}});
  REQUIRE(wait_state(p2, s2, {"finished", "failed"})["state"] == "finished");
  auto fallback = api(p2, "POST", "/api/v1/sessions/" + s2 + "/summary", {{"last_s", 600}});
  REQUIRE(fallback.status == 200);
  CHECK(fallback.body["source"] == "template");
  CHECK(fallback.body["warning"].get<std::string>().find("404") != std::string::npos);
}
