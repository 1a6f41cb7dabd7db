// Starts the real `tyto` binary as a child process for integration tests.
#pragma once

#include "support/test_support.hpp"

#include <chrono>
#include <csignal>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace tyto::test {

class TytoProcess {
 public:
  // Runs `tyto <args>` in a fresh working directory with the given extra environment. stdout and
  // stderr go to files there. Does not wait for anything.
  TytoProcess(std::vector<std::string> args, std::map<std::string, std::string> env = {});
  ~TytoProcess();  // SIGKILL if still running
  TytoProcess(const TytoProcess&) = delete;
  TytoProcess& operator=(const TytoProcess&) = delete;

  // `tyto serve` on 127.0.0.1:0 with its own data dir, waiting until it logs "listening".
  static std::unique_ptr<TytoProcess> serve(std::vector<std::string> extra_args = {},
                                            std::map<std::string, std::string> env = {});

  // Waits until stderr holds a JSON line whose msg is `msg`; returns that line. Fails on timeout
  // or if the process exits first.
  std::string wait_for_log(const std::string& msg, std::chrono::milliseconds timeout = std::chrono::seconds(20));

  std::uint16_t port() const { return port_; }
  int pid() const { return pid_; }
  const std::filesystem::path& dir() const { return dir_.path(); }
  std::string stderr_text() const;
  std::string stdout_text() const;

  void signal(int sig);
  // Waits for exit and returns the exit status (128 + signal if killed). nullopt on timeout.
  std::optional<int> wait(std::chrono::milliseconds timeout = std::chrono::seconds(20));
  bool running();

 private:
  TempDir dir_;
  int pid_ = -1;
  std::optional<int> status_;
  std::uint16_t port_ = 0;
};

// Runs `tyto <args>` to completion; returns exit status and stdout + stderr.
struct RunResult {
  int status;
  std::string out;
  std::string err;
};
RunResult run_tyto(std::vector<std::string> args, std::map<std::string, std::string> env = {},
                   const std::optional<std::filesystem::path>& cwd = std::nullopt);

}  // namespace tyto::test
