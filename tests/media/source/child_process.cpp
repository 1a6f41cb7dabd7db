#include "media/source/child_process.hpp"

#include "support/test_support.hpp"

#include <catch2/catch.hpp>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

namespace tyto::test::media {

ChildProcess::ChildProcess(std::vector<std::string> argv) {
  int fds[2];
  REQUIRE(::pipe2(fds, O_CLOEXEC) == 0);
  pid_ = ::fork();
  REQUIRE(pid_ >= 0);
  if (pid_ == 0) {
    ::dup2(fds[1], STDOUT_FILENO);
    std::vector<char*> args;
    for (auto& a : argv) args.push_back(a.data());
    args.push_back(nullptr);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  ::close(fds[1]);
  stdout_fd_ = fds[0];
}

ChildProcess::~ChildProcess() {
  kill_and_wait();
  if (stdout_fd_ >= 0) ::close(stdout_fd_);
}

std::string ChildProcess::wait_for_line(const std::string& marker, std::chrono::milliseconds timeout) {
  const auto until = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    for (auto nl = buffered_.find('\n'); nl != std::string::npos; nl = buffered_.find('\n')) {
      std::string line = buffered_.substr(0, nl);
      buffered_.erase(0, nl + 1);
      if (line.find(marker) != std::string::npos) return line;
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - std::chrono::steady_clock::now());
    if (left.count() <= 0) FAIL("no line with '" << marker << "' from the child process in time");
    pollfd p{stdout_fd_, POLLIN, 0};
    const int r = ::poll(&p, 1, static_cast<int>(left.count()));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) continue;
    char buf[4096];
    const auto n = ::read(stdout_fd_, buf, sizeof buf);
    if (n <= 0) FAIL("the child process closed its stdout before printing '" << marker << "'");
    buffered_.append(buf, static_cast<std::size_t>(n));
  }
}

void ChildProcess::signal(int sig) {
  if (pid_ > 0) ::kill(pid_, sig);
}

void ChildProcess::kill_and_wait() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  int status = 0;
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
}

bool ChildProcess::running() {
  if (pid_ <= 0) return false;
  int status = 0;
  return ::waitpid(pid_, &status, WNOHANG) == 0;
}

namespace {

std::vector<std::string> rtsp_argv(const std::filesystem::path& file, const std::string& name, bool loop,
                                   const std::filesystem::path& control_file) {
  // Debian's python3, which has python3-gi (a python3 earlier on PATH may not).
  std::vector<std::string> argv{"/usr/bin/python3", (source_dir() / "tests/services/rtsp_server.py").string(),
                                "--file",           file.string(),
                                "--name",           name,
                                "--port",           "0"};
  if (loop) argv.emplace_back("--loop");
  if (!control_file.empty()) {
    argv.emplace_back("--control-file");
    argv.push_back(control_file.string());
  }
  return argv;
}

}  // namespace

RtspServer::RtspServer(const std::filesystem::path& file, const std::string& name, bool loop,
                       const std::filesystem::path& control_file)
    : process_(rtsp_argv(file, name, loop, control_file)) {
  const auto line = process_.wait_for_line("READY ");
  url_ = line.substr(line.find("rtsp://"));
}

}  // namespace tyto::test::media
