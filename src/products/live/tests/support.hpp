// Helpers of the live product's integration tests: media made at test time with Debian's ffmpeg from
// opencv-doc's photos, uploads, sessions waited to an end, events read back, the RTSP test server.
#pragma once

#include "integration/backends.hpp"
#include "support/api_client.hpp"
#include "support/http_client.hpp"
#include "support/process.hpp"
#include "support/test_support.hpp"
#include "tyto/core/hash.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <catch2/catch.hpp>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

namespace tyto::test::live {

using nlohmann::json;
namespace fs = std::filesystem;

inline const fs::path kPhotos = "/usr/share/doc/opencv-doc/examples/data";

inline void sh(const std::string& command) {
  INFO(command);
  REQUIRE(std::system((command + " >/dev/null 2>&1").c_str()) == 0);
}

// A video of messi5.jpg (a face) panning slowly, `seconds` long at 25 fps, H.264 in MP4 with a keyframe every
// second: a face is in every frame and moves a few pixels a frame.
inline fs::path face_video(const fs::path& dir, int seconds = 4, const std::string& name = "faces.mp4") {
  const auto out = dir / name;
  sh("ffmpeg -y -loop 1 -i " + (kPhotos / "messi5.jpg").string() + " -t " + std::to_string(seconds) +
     " -r 25 -vf \"scale=640:400,crop=480:360:x='min(t*20,160)':y=20\" -c:v libx264 -pix_fmt yuv420p -g 25 " +
     out.string());
  return out;
}

// A white square moving over a still photo (for motion: the photo's texture shows the camera is still), H.264
// MP4 that loops well in the RTSP server.
inline fs::path square_video(const fs::path& dir, int seconds = 4) {
  const auto out = dir / "square.mp4";
  const auto d = std::to_string(seconds);
  sh("ffmpeg -y -loop 1 -r 25 -t " + d + " -i " + (kPhotos / "fruits.jpg").string() + " -f lavfi -t " + d +
     " -i color=c=white:s=64x64:r=25 -filter_complex \"[0]scale=320:240[bg];[bg][1]overlay=x='mod(n*6\\,256)':y=80\" "
     "-c:v libx264 -pix_fmt yuv420p -g 25 -t " +
     d + " " + out.string());
  return out;
}

inline std::string create_source(std::uint16_t port, const json& body) {
  auto r = api(port, "POST", "/api/v1/sources", body);
  INFO(r.raw.body);
  REQUIRE(r.status == 201);
  return r.body["id"];
}

inline std::string start_session(std::uint16_t port, const json& body) {
  auto r = api(port, "POST", "/api/v1/sessions", body);
  INFO(r.raw.body);
  REQUIRE(r.status == 202);
  return r.body["session_id"];
}

inline json session(std::uint16_t port, const std::string& id) {
  auto r = api(port, "GET", "/api/v1/sessions/" + id);
  INFO(r.raw.body);
  REQUIRE(r.status == 200);
  return r.body;
}

// Polls the session until its state is one of `states`; fails the test after `limit`.
inline json wait_state(std::uint16_t port, const std::string& id, const std::vector<std::string>& states,
                       std::chrono::seconds limit = std::chrono::seconds(90)) {
  const auto until = std::chrono::steady_clock::now() + limit;
  json s;
  while (std::chrono::steady_clock::now() < until) {
    s = session(port, id);
    for (const auto& st : states)
      if (s["state"] == st) return s;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  FAIL("session " << id << " never reached the state asked; it is " << s.dump());
  return s;
}

// Every stored event of a session (of one type, or all), following the cursor.
inline std::vector<json> events(std::uint16_t port, const std::string& id, const std::string& type = "") {
  std::vector<json> out;
  std::string cursor;
  for (int pages = 0; pages < 200; ++pages) {
    std::string target = "/api/v1/sessions/" + id + "/events?limit=1000";
    if (!type.empty()) target += "&type=" + type;
    if (!cursor.empty()) target += "&cursor=" + cursor;
    auto r = api(port, "GET", target);
    INFO(r.raw.body);
    REQUIRE(r.status == 200);
    for (const auto& e : r.body["items"]) out.push_back(e);
    if (r.body["next_cursor"].is_null()) break;
    cursor = r.body["next_cursor"];
  }
  return out;
}

// Waits until the session has an event matching `pred`; returns it.
template <class Pred>
json wait_event(std::uint16_t port, const std::string& id, const std::string& type, Pred pred,
                std::chrono::seconds limit = std::chrono::seconds(60)) {
  const auto until = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < until) {
    for (const auto& e : events(port, id, type))
      if (pred(e)) return e;
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
  }
  FAIL("no " << type << " event as expected in session " << id << "; events: " << json(events(port, id)).dump());
  return {};
}

// GStreamer's RTSP server (tests/services/rtsp_server.py) serving one file in a loop, on a fixed port so it can
// be killed and started again at the same address.
class RtspServer {
 public:
  RtspServer(fs::path file, int port) : file_(std::move(file)), port_(port) { start(); }
  ~RtspServer() { kill_now(); }

  void start() {
    const std::string script = (source_dir() / "tests/services/rtsp_server.py").string();
    const std::string port = std::to_string(port_);
    int out[2];
    REQUIRE(pipe(out) == 0);
    pid_ = fork();
    REQUIRE(pid_ >= 0);
    if (pid_ == 0) {
      dup2(out[1], 1);
      close(out[0]);
      close(out[1]);
      execl("/usr/bin/python3", "python3", script.c_str(), "--file", file_.c_str(), "--port", port.c_str(), "--name",
            "cam", "--loop", static_cast<char*>(nullptr));
      _exit(127);
    }
    close(out[1]);
    std::string line;
    char c;
    while (read(out[0], &c, 1) == 1 && c != '\n') line.push_back(c);
    close(out[0]);
    INFO(line);
    REQUIRE(line.rfind("READY", 0) == 0);
  }
  void signal_it(int sig) { ::kill(pid_, sig); }
  void kill_now() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }
  std::string url() const { return "rtsp://127.0.0.1:" + std::to_string(port_) + "/cam"; }

 private:
  fs::path file_;
  int port_;
  pid_t pid_ = -1;
};

// A free TCP port on loopback (bound and released; the RTSP server takes it right after).
inline int free_port() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  socklen_t len = sizeof a;
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  close(fd);
  return ntohs(a.sin_port);
}

// The model registry of the source tree, with the models set-up installed (TYTO_MODELS_DIR).
inline std::vector<std::string> live_args(std::vector<std::string> extra = {}) {
  const char* env = std::getenv("TYTO_MODELS_DIR");
  std::vector<std::string> a = {"--outbound-allow",
                                "127.0.0.1/32",
                                "--jobs-workers",
                                "4",
                                "--modules-vision-models-file",
                                (source_dir() / "config/models.json").string(),
                                "--modules-vision-models-dir",
                                env && *env ? std::string(env) : std::string(TYTO_MODELS_DIR)};
  a.insert(a.end(), extra.begin(), extra.end());
  return a;
}

}  // namespace tyto::test::live
