// Live sessions against the real tyto binary: an uploaded video's session, an RTSP camera that dies and
// comes back or freezes, a browser's webcam over /ws/stream that sends faster than it can be analysed,
// an instance killed during a session; with real media made by ffmpeg and GStreamer's RTSP server.
#include "browser/page_server.hpp"
#include "support.hpp"
#include "tyto/vision/image.hpp"

#include <fstream>

#include <map>
#include <set>

using namespace tyto::test;
using namespace tyto::test::live;

TEMPLATE_TEST_CASE("An uploaded video's session detects and tracks faces, stores its events and finishes by itself",
                   "[integration][live][session]", SqliteBackend, PostgresBackend) {
  TestType backend;
  TempDir dir;
  const auto video = read_file(face_video(dir.path()));
  auto server = TytoProcess::serve(backend.args(live_args()));
  const auto port = server->port();
  const auto object = upload_object(port, "video", "video/mp4", video, "faces.mp4");
  const auto source = create_source(port, {{"kind", "upload"}, {"name", "clip"}, {"object_id", object}});
  const auto id = start_session(port, {{"source_id", source}, {"pipelines", {"faces", "track"}}, {"profile", "fast"}});
  const json done = wait_state(port, id, {"finished", "failed"});
  INFO(done.dump());
  REQUIRE(done["state"] == "finished");
  CHECK(done["stats"]["fps_out"].is_number());

  const auto detections = events(port, id, "detection");
  REQUIRE_FALSE(detections.empty());
  std::set<std::int64_t> frames;
  for (const auto& e : detections) {
    const auto& d = e["data"];
    CHECK(frames.insert(d["frame_index"].template get<std::int64_t>()).second);  // no frame twice
    REQUIRE_FALSE(d["detections"].empty());
    CHECK(d["detections"][0]["label"] == "face");
    CHECK(d["width"] == 480);
    const auto& box = d["detections"][0]["box"];
    CHECK(box["width"].template get<int>() > 20);
  }
  const auto tracks = events(port, id, "track");
  REQUIRE_FALSE(tracks.empty());
  CHECK(tracks.front()["data"]["state"] == "started");
  // The face moves by under a pixel a frame: one track follows it through most detections (the cascade misses
  // the face in some frames, and a gap past the tracker's max_age starts a new track), and every track that
  // started ends by the session's end.
  std::map<std::int64_t, int> per_track;
  int tracked = 0;
  for (const auto& e : detections) {
    for (const auto& d : e["data"]["detections"]) {
      if (!d.contains("track_id")) continue;
      ++per_track[d["track_id"].template get<std::int64_t>()];
      ++tracked;
    }
  }
  REQUIRE_FALSE(per_track.empty());
  int most = 0;
  for (const auto& [track, n] : per_track) most = std::max(most, n);
  CHECK(most >= tracked / 2);
  CHECK(per_track.size() <= 4);
  std::map<std::int64_t, int> starts, ends;
  for (const auto& t : tracks) {
    const auto track = t["data"]["track_id"].template get<std::int64_t>();
    (t["data"]["state"] == "started" ? starts : ends)[track]++;
  }
  CHECK(starts == ends);
  // The frame where the first track started is kept as a snapshot with its boxes drawn, and the seconds
  // around it as an MP4 clip remuxed from the source's own packets.
  const std::string snapshot = tracks.front()["data"]["snapshot_object_id"];
  auto picture = request(port, "GET", "/api/v1/objects/" + snapshot + "/content");
  REQUIRE(picture.status == 200);
  CHECK(picture.body.substr(0, 3) == "\xFF\xD8\xFF");
  const auto clips = events(port, id, "clip");
  REQUIRE(clips.size() == 1);
  auto clip =
      request(port, "GET", "/api/v1/objects/" + clips[0]["data"]["object_id"].template get<std::string>() + "/content");
  REQUIRE(clip.status == 200);
  CHECK(clip.body.substr(4, 4) == "ftyp");
  CHECK(clips[0]["data"]["to_s"].template get<double>() - clips[0]["data"]["from_s"].template get<double>() > 2.5);
  const auto summary = events(port, id, "summary");
  REQUIRE(summary.size() == 1);
  CHECK(summary[0]["data"]["objects"]["face"].template get<int>() >= static_cast<int>(detections.size()));

  // A summary of the session's events cites events that exist.
  auto s = api(port, "POST", "/api/v1/sessions/" + id + "/summary", {{"last_s", 600}});
  INFO(s.raw.body);
  REQUIRE(s.status == 200);
  CHECK(s.body["source"] == "template");
  std::set<std::int64_t> stored;
  for (const auto& e : events(port, id)) stored.insert(e["seq"].template get<std::int64_t>());
  bool face_statement = false;
  for (const auto& st : s.body["statements"]) {
    for (const auto& cited : st["event_ids"]) CHECK(stored.count(cited.template get<std::int64_t>()) == 1);
    if (st["text"].template get<std::string>().rfind("face:", 0) == 0) face_statement = true;
  }
  CHECK(face_statement);
  // Filtering by type and paging by cursor.
  auto page = api(port, "GET", "/api/v1/sessions/" + id + "/events?type=track&limit=1");
  REQUIRE(page.status == 200);
  REQUIRE(page.body["items"].size() == 1);
  CHECK(page.body["items"][0]["type"] == "track");
  CHECK(api(port, "GET", "/api/v1/sessions/" + id + "/events?type=nonsense").status == 422);
  // ?after=<seq>, the streams' cursor, pages the same way.
  const auto first_seq = tracks.front()["seq"].template get<std::int64_t>();
  auto later = api(port, "GET", "/api/v1/sessions/" + id + "/events?type=track&after=" + std::to_string(first_seq));
  REQUIRE(later.status == 200);
  CHECK(later.body["items"].size() == tracks.size() - 1);
  CHECK(api(port, "GET", "/api/v1/sessions/" + id + "/events?after=soon").status == 422);
  CHECK(request(port, "GET", "/metrics").body.find("tyto_live_inference_seconds_count{model=\"faces\"}") !=
        std::string::npos);
}

TEST_CASE("Media that lies about its format is refused at upload, and a truncated video fails its session",
          "[integration][live][session]") {
  SqliteBackend backend;
  TempDir dir;
  auto server = TytoProcess::serve(backend.args(live_args()));
  const auto port = server->port();
  // A JPEG declared as video/mp4: the upload flow sniffs the bytes and refuses them.
  const std::string photo = read_file(kPhotos / "messi5.jpg");
  auto declared = api(port, "POST", "/api/v1/uploads",
                      {{"filename", "liar.mp4"},
                       {"content_type", "video/mp4"},
                       {"size", photo.size()},
                       {"purpose", "video"},
                       {"sha256", tyto::sha256_hex(photo)}});
  REQUIRE(declared.status == 201);
  std::string url = "http://127.0.0.1:" + std::to_string(port) + declared.body["url"].get<std::string>();
  REQUIRE(fetch_url(url, "PUT", photo, {{"Content-Type", "video/mp4"}}).status == 200);
  auto done = api(port, "POST", "/api/v1/uploads/" + declared.body["upload_id"].get<std::string>() + "/complete");
  CHECK(done.status == 415);
  // The first third of a real MP4 looks like one, and does not decode to the end.
  const std::string video = read_file(face_video(dir.path(), 4));
  const auto object = upload_object(port, "video", "video/mp4", video.substr(0, video.size() / 3), "cut.mp4");
  const auto source = create_source(port, {{"kind", "upload"}, {"name", "cut"}, {"object_id", object}});
  const auto id = start_session(port, {{"source_id", source}, {"pipelines", {"faces"}}});
  const json ended = wait_state(port, id, {"finished", "failed"});
  INFO(ended.dump());
  CHECK(ended["state"] == "failed");
  CHECK(ended["error"].get<std::string>().find("cannot be decoded") != std::string::npos);
}

TEST_CASE("A source larger than its profile allows fails the session, naming the cap", "[integration][live][session]") {
  SqliteBackend backend;
  TempDir dir;
  auto server = TytoProcess::serve(backend.args(live_args()));
  const auto port = server->port();
  const auto big = dir.path() / "big.mp4";
  sh("ffmpeg -y -f lavfi -i color=c=gray:s=2560x1440:r=5:d=1 -c:v libx264 -pix_fmt yuv420p " + big.string());
  const auto object = upload_object(port, "video", "video/mp4", read_file(big), "big.mp4");
  const auto source = create_source(port, {{"kind", "upload"}, {"name", "big"}, {"object_id", object}});
  // cpu-only takes up to 1920x1080; fast takes 2560x1440 and scales it to 1280x720.
  const auto refused = start_session(port, {{"source_id", source}, {"pipelines", {"motion"}}, {"profile", "cpu-only"}});
  const json failed = wait_state(port, refused, {"finished", "failed"});
  INFO(failed.dump());
  CHECK(failed["state"] == "failed");
  CHECK(failed["error"].get<std::string>().find("over the profile's caps") != std::string::npos);
  CHECK(failed["error"].get<std::string>().find("1920x1080") != std::string::npos);
  const auto taken = start_session(port, {{"source_id", source}, {"pipelines", {"motion"}}, {"profile", "fast"}});
  CHECK(wait_state(port, taken, {"finished", "failed"})["state"] == "finished");
}

TEST_CASE("An RTSP session reconnects when the camera dies and recovers, and notices a frozen stream",
          "[integration][live][rtsp]") {
  SqliteBackend backend;
  TempDir dir;
  const auto video = square_video(dir.path());
  const int rtsp_port = free_port();
  RtspServer camera(video, rtsp_port);
  auto server = TytoProcess::serve(backend.args(live_args({"--products-live-read-timeout-ms", "2000"})));
  const auto port = server->port();
  const auto source = create_source(port, {{"kind", "rtsp"}, {"name", "cam"}, {"url", camera.url()}});
  const auto id = start_session(port, {{"source_id", source}, {"pipelines", {"motion"}}, {"profile", "cpu-only"}});
  wait_state(port, id, {"running"});
  auto state_is = [](const std::string& s) { return [s](const json& e) { return e["data"]["state"] == s; }; };
  wait_event(port, id, "source", state_is("connected"));
  wait_event(port, id, "motion", state_is("started"));
  // The browser has no picture of an RTSP session: the instance running it serves its latest analysed frame.
  auto preview = request(port, "GET", "/api/v1/sessions/" + id + "/preview.jpg");
  REQUIRE(preview.status == 200);
  CHECK(preview.body.substr(0, 3) == "\xFF\xD8\xFF");
  CHECK(tyto::vision::decode(preview.body).width == 320);

  // The camera dies: the session says it stalled and retries.
  camera.kill_now();
  wait_event(port, id, "source", state_is("stalled"));
  wait_event(port, id, "source", state_is("reconnecting"));
  CHECK(session(port, id)["state"] == "running");
  // It comes back at the same address: the session recovers by itself.
  camera.start();
  wait_event(port, id, "source", state_is("recovered"), std::chrono::seconds(90));

  // The camera freezes with its connection open: the read timeout notices within seconds.
  std::int64_t before = 0;
  for (const auto& e : events(port, id)) before = std::max(before, e["seq"].get<std::int64_t>());
  camera.signal_it(SIGUSR1);
  const auto frozen = wait_event(port, id, "source", [&](const json& e) {
    return e["data"]["state"] == "stalled" && e["seq"].get<std::int64_t>() > before;
  });
  INFO(frozen.dump());
  CHECK(frozen["data"]["reason"].get<std::string>().find("timeout") != std::string::npos);

  auto stop = api(port, "POST", "/api/v1/sessions/" + id + "/stop");
  REQUIRE(stop.status == 202);
  const json ended = wait_state(port, id, {"stopped", "failed", "finished"}, std::chrono::seconds(60));
  CHECK(ended["state"] == "stopped");
  CHECK(ended["stats"]["source"]["reconnects"].get<int>() >= 1);
  CHECK(request(port, "GET", "/api/v1/sessions/" + id + "/preview.jpg").status == 404);
  const auto metrics = request(port, "GET", "/metrics").body;
  CHECK(metrics.find("tyto_live_reconnects_total{kind=\"rtsp\"}") != std::string::npos);
  CHECK(metrics.find("tyto_live_sessions_running 0") != std::string::npos);
}

TEST_CASE("A webcam that sends faster than the analysis drops frames, counts them and stops on command",
          "[integration][live][webcam]") {
  SqliteBackend backend;
  auto server = TytoProcess::serve(backend.args(live_args()));
  const auto port = server->port();
  const auto source = create_source(port, {{"kind", "webcam"}, {"name", "browser"}});
  const auto id = start_session(port, {{"source_id", source}, {"pipelines", {"faces", "track"}}, {"profile", "fast"}});
  CHECK(session(port, id)["state"] == "queued");  // until a browser connects
  // No picture yet, and no error either: the console keeps polling a session that has not ended.
  const auto waiting = request(port, "GET", "/api/v1/sessions/" + id + "/preview.jpg");
  CHECK(waiting.status == 204);
  CHECK(waiting.body.empty());

  Client ws(port);
  REQUIRE(ws.websocket_upgrade("/ws/stream?session_id=" + id));
  auto first = ws.websocket_read_text();
  REQUIRE(first);
  CHECK(json::parse(*first)["type"] == "snapshot");
  const std::string jpeg = "\x01" + read_file(kPhotos / "messi5.jpg");
  for (int i = 0; i < 120; ++i) REQUIRE(ws.websocket_send_binary(jpeg));  // as fast as the socket takes them
  bool detected = false;
  std::int64_t dropped = -1, queue_max = 0;
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < until && !(detected && dropped > 0)) {
    auto msg = ws.websocket_read_text(std::chrono::seconds(10));
    REQUIRE(msg);
    const json m = json::parse(*msg);
    if (m["type"] == "detection") detected = m["data"]["detections"][0]["label"] == "face";
    if (m["type"] == "metric") {
      dropped = std::max(dropped, m["data"]["dropped_total"].get<std::int64_t>());
      queue_max = std::max(queue_max, m["data"]["queue_depth"].get<std::int64_t>());
    }
  }
  CHECK(detected);
  CHECK(dropped > 0);
  CHECK(queue_max <= 1);
  CHECK(session(port, id)["state"] == "running");
  // Its figures are in /metrics, labelled by session, while it runs.
  const auto metrics = request(port, "GET", "/metrics").body;
  CHECK(metrics.find("tyto_live_session_fps_in{session=\"" + id + "\"}") != std::string::npos);
  CHECK(metrics.find("tyto_live_session_latency_seconds{session=\"" + id + "\",quantile=\"0.95\"}") !=
        std::string::npos);
  ws.websocket_send_text(R"({"type":"stop"})");
  const json ended = wait_state(port, id, {"stopped"}, std::chrono::seconds(20));
  CHECK(ended["stats"]["dropped_total"].get<std::int64_t>() > 0);
  // The browser's frames were not stored anywhere: only events.
  CHECK_FALSE(events(port, id, "detection").empty());
}

TEST_CASE("A session whose instance is killed is resumed by another without repeating its events",
          "[integration][live][resume]") {
  PostgresBackend backend;
  TempDir dir;
  const auto video = read_file(face_video(dir.path(), 12));
  const std::vector<std::string> fast_rescue = {"--jobs-lease-ms",           "3000", "--jobs-heartbeat-ms", "1000",
                                                "--jobs-rescue-interval-ms", "1000"};
  auto first = TytoProcess::serve(backend.args(live_args(fast_rescue)));
  const auto port = first->port();
  const auto object = upload_object(port, "video", "video/mp4", video, "long.mp4");
  const auto source = create_source(port, {{"kind", "upload"}, {"name", "long"}, {"object_id", object}});
  // accurate: every frame is analysed, so the session takes a while.
  const auto id = start_session(port, {{"source_id", source}, {"pipelines", {"faces"}}, {"profile", "accurate"}});
  wait_event(port, id, "detection", [](const json& e) { return e["data"]["frame_index"].get<int>() >= 20; });
  first->signal(SIGKILL);
  first->wait();
  auto second = TytoProcess::serve(backend.args(live_args(fast_rescue)));
  const json done = wait_state(second->port(), id, {"finished", "failed"}, std::chrono::seconds(180));
  REQUIRE(done["state"] == "finished");
  std::set<std::int64_t> frames;
  std::int64_t resumed_after = -2;
  for (const auto& e : events(second->port(), id)) {
    if (e["type"] == "detection") CHECK(frames.insert(e["data"]["frame_index"].get<std::int64_t>()).second);
    if (e["type"] == "session" && e["data"].contains("resumed_after_frame"))
      resumed_after = e["data"]["resumed_after_frame"];
  }
  CHECK(resumed_after > 0);  // the checkpoint the first instance stored (with its events, once a second)
  // 12 s of media, detection events at most 5 a second (products.live.detection_events_per_s), a face in each.
  CHECK(frames.size() >= 50);
}

TEST_CASE(
    "A model replaced while a session runs is reloaded without dropping it, and a broken one leaves the old serving",
    "[integration][live][models]") {
  SqliteBackend backend;
  TempDir dir;
  // The tests' tiny TorchScript YOLOv5 (tests/vision/detect/make_models.py): fixed cats and dogs, and a "new
  // version" whose fixed boxes sit 100 px further right.
  sh("/usr/bin/python3 " + (source_dir() / "tests/vision/detect/make_models.py").string() + " " +
     (dir.path() / "m").string());
  {
    std::ofstream out(dir.path() / "models.json");
    out << R"([{"name": "tiny", "version": "1", "kind": "torchscript", "format": "yolov5", "path": "m/serving.pt",
               "classes": "m/classes.txt", "input_size": [320, 320]}])";
  }
  fs::copy_file(dir.path() / "m/yolov5.pt", dir.path() / "m/serving.pt");
  auto server = TytoProcess::serve(backend.args({"--modules-vision-models-file", (dir.path() / "models.json").string(),
                                                 "--modules-vision-models-poll-ms", "200"}));
  const auto port = server->port();
  const auto source = create_source(port, {{"kind", "webcam"}, {"name", "w"}});
  const auto id =
      start_session(port, {{"source_id", source}, {"pipelines", {"detect"}}, {"models", {{"detect", "tiny"}}}});
  Client ws(port);
  REQUIRE(ws.websocket_upgrade("/ws/stream?session_id=" + id));
  tyto::vision::Image black{320, 320, 3, std::vector<std::uint8_t>(320 * 320 * 3, 0)};
  const std::string frame = "\x01" + tyto::vision::encode_jpeg(black, 90);
  // Sends frames and reads the session's messages until one satisfies `pred`.
  auto pump = [&](auto pred) {
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (std::chrono::steady_clock::now() < until) {
      REQUIRE(ws.websocket_send_binary(frame));
      while (auto msg = ws.websocket_read_text(std::chrono::milliseconds(150))) {
        const json m = json::parse(*msg);
        if (pred(m)) return m;
      }
    }
    FAIL("the session never sent the message expected");
    return json();
  };
  auto cat_x = [](const json& m) {
    for (const auto& d : m["data"]["detections"])
      if (d["label"] == "cat") return d["box"]["x"].get<int>();
    return -1;
  };
  const json before = pump([&](const json& m) { return m["type"] == "detection" && cat_x(m) >= 0; });
  const int x1 = cat_x(before);

  // The new version is copied in beside and renamed over the old file, as a deployment would.
  fs::copy_file(dir.path() / "m/yolov5_moved.pt", dir.path() / "m/next.pt");
  fs::rename(dir.path() / "m/next.pt", dir.path() / "m/serving.pt");
  pump([](const json& m) { return m["type"] == "model" && m["data"]["state"] == "reloaded"; });
  const json after = pump([&](const json& m) { return m["type"] == "detection" && cat_x(m) >= x1 + 90; });
  CHECK(cat_x(after) <= x1 + 110);
  CHECK(session(port, id)["state"] == "running");

  // A broken file: the reload fails, the session is told, and the version in service goes on detecting.
  {
    std::ofstream broken(dir.path() / "m/next.pt", std::ios::binary);
    broken << "not a TorchScript archive";
  }
  fs::rename(dir.path() / "m/next.pt", dir.path() / "m/serving.pt");
  const json failed = pump([](const json& m) { return m["type"] == "model" && m["data"]["state"] == "failed"; });
  CHECK(failed["data"]["model"] == "tiny");
  const json still = pump([&](const json& m) { return m["type"] == "detection" && cat_x(m) >= 0; });
  CHECK(cat_x(still) == cat_x(after));
  CHECK(session(port, id)["state"] == "running");
  auto ready = request(port, "GET", "/ready");
  CHECK(ready.status == 503);
  CHECK(ready.body.find("tiny") != std::string::npos);
}

TEST_CASE("An HTTP stream's session detects, and reopens the stream when it ends", "[integration][live][http]") {
  SqliteBackend backend;
  TempDir dir;
  // A progressive MP4 (its index first, as streaming servers send it) from a small web server.
  const auto plain = face_video(dir.path(), 2);
  const auto streamed = dir.path() / "streamed.mp4";
  sh("ffmpeg -y -i " + plain.string() + " -c copy -movflags +faststart " + streamed.string());
  const std::string bytes = read_file(streamed);
  PageServer web;
  web.route("/cam.mp4", [&](const PageRequest&) { return PageResponse{200, "video/mp4", bytes, {}}; });
  auto server = TytoProcess::serve(backend.args(live_args()));
  const auto port = server->port();
  const auto source = create_source(port, {{"kind", "http"}, {"name", "web"}, {"url", web.url("/cam.mp4")}});
  const auto id = start_session(port, {{"source_id", source}, {"pipelines", {"faces", "track"}}});
  auto state_is = [](const std::string& s) { return [s](const json& e) { return e["data"]["state"] == s; }; };
  wait_event(port, id, "source", state_is("connected"));
  wait_event(port, id, "detection", [](const json& e) { return e["data"]["detections"][0]["label"] == "face"; });
  // The stream's end is a stall for a live source: it is reopened, and recovers.
  wait_event(port, id, "source", state_is("recovered"), std::chrono::seconds(60));
  CHECK(web.hits("/cam.mp4") >= 2);
  REQUIRE(api(port, "POST", "/api/v1/sessions/" + id + "/stop").status == 202);
  CHECK(wait_state(port, id, {"stopped", "failed", "finished"}, std::chrono::seconds(30))["state"] == "stopped");
}
