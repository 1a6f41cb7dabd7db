// One headless Chromium process with a fresh temporary profile, in its own process group so that
// killing it takes its renderers, GPU and utility processes along.
//
// The DevTools endpoint is read from the DevToolsActivePort file Chromium writes into the profile once
// it listens (port 0: the kernel picks a free port, so many processes never collide).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace tyto::browser::detail {

struct ChromiumLaunch {
  std::string executable;  // RendererOptions::executable
  std::vector<std::string> extra_args;
  std::chrono::milliseconds startup_timeout{30'000};
};

class ChromiumProcess {
 public:
  // Starts Chromium and waits until it listens. Throws Error(kUnavailable) with the end of Chromium's
  // output when it cannot be started or does not listen within the startup timeout.
  explicit ChromiumProcess(const ChromiumLaunch& launch);
  // Kills the process group and removes the profile.
  ~ChromiumProcess();
  ChromiumProcess(const ChromiumProcess&) = delete;
  ChromiumProcess& operator=(const ChromiumProcess&) = delete;

  pid_t pid() const noexcept { return pid_; }
  std::uint16_t port() const noexcept { return port_; }
  const std::string& websocket_path() const noexcept { return path_; }  // "/devtools/browser/<id>"
  // False once the main process has exited (reaps it).
  bool running();
  // SIGKILL to the whole group, then reaps the main process. Idempotent.
  void kill();

  // The arguments Chromium is started with (besides extra_args and the profile).
  static std::vector<std::string> default_args();

 private:
  std::string output_tail() const;

  std::filesystem::path profile_;
  pid_t pid_ = -1;
  bool exited_ = false;
  bool killed_ = false;
  std::uint16_t port_ = 0;
  std::string path_;
};

}  // namespace tyto::browser::detail
