// A helper program the media tests start (the RTSP test server, an HTTP server), with its stdout read line by
// line, killed with SIGKILL when the object dies.
#pragma once

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

namespace tyto::test::media {

class ChildProcess {
 public:
  explicit ChildProcess(std::vector<std::string> argv);
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  // The first line of stdout that contains `marker`; fails the test (REQUIRE) on timeout or exit first.
  std::string wait_for_line(const std::string& marker, std::chrono::milliseconds timeout = std::chrono::seconds(20));

  void signal(int sig);
  void kill_and_wait();  // SIGKILL, then reaps it
  bool running();
  int pid() const { return pid_; }

 private:
  int pid_ = -1;
  int stdout_fd_ = -1;
  std::string buffered_;
};

// The RTSP test server (tests/services/rtsp_server.py) serving `file` at rtsp://127.0.0.1:<free port>/<name>.
class RtspServer {
 public:
  RtspServer(const std::filesystem::path& file, const std::string& name, bool loop,
             const std::filesystem::path& control_file = {});
  const std::string& url() const { return url_; }
  ChildProcess& process() { return process_; }

 private:
  ChildProcess process_;
  std::string url_;
};

}  // namespace tyto::test::media
