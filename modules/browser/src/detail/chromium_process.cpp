#include "detail/chromium_process.hpp"

#include "tyto/core/error.hpp"

#include <fmt/format.h>

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <condition_variable>
#include <cstdlib>
#include <deque>
#include <fstream>
#include <functional>
#include <future>
#include <mutex>
#include <sstream>
#include <thread>

extern char** environ;

namespace tyto::browser::detail {
namespace {

std::filesystem::path make_profile_dir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "tyto-chromium-XXXXXX").string();
  if (!::mkdtemp(pattern.data()))
    throw Error(ErrorCode::kUnavailable, "cannot create a temporary Chromium profile directory");
  return pattern;
}

}  // namespace

std::vector<std::string> ChromiumProcess::default_args() {
  std::vector<std::string> args = {
      "--headless=new",
      "--remote-debugging-port=0",
      "--no-first-run",
      "--no-default-browser-check",
      "--disable-gpu",
      "--disable-dev-shm-usage",  // containers give /dev/shm 64 MiB
      "--disable-extensions",
      "--disable-component-extensions-with-background-pages",
      "--disable-background-networking",
      "--disable-background-timer-throttling",
      "--disable-backgrounding-occluded-windows",
      "--disable-renderer-backgrounding",
      "--disable-breakpad",
      "--disable-component-update",
      "--disable-default-apps",
      "--disable-domain-reliability",
      "--disable-sync",
      "--disable-client-side-phishing-detection",
      // The WebUI omnibox popups: headless Chromium builds them (two WebUI pages in a renderer process of their
      // own) for every window, so for every browser context a render opens: ~0.5 s of CPU each on 2 cores.
      "--disable-features=Translate,MediaRouter,OptimizationHints,AutofillServerCommunication,"
      "InterestFeedContentSuggestions,CalculateNativeWinOcclusion,DialMediaRouteProvider,"
      "WebUIOmniboxPopup,WebUIOmniboxAimPopup,WebUIOmniboxFullPopup",
      "--metrics-recording-only",
      "--password-store=basic",
      "--use-mock-keychain",
      "--mute-audio",
      "--hide-scrollbars",
      "--font-render-hinting=none",
      // The outbound guard: no QUIC (UDP that no proxy sees), WebRTC only through the proxy (no UDP at all).
      "--disable-quic",
      "--force-webrtc-ip-handling-policy=disable_non_proxied_udp",
      "--enable-features=WebRtcHideLocalIpsWithMdns",
  };
  if (::geteuid() == 0) args.push_back("--no-sandbox");  // Chromium's sandbox refuses to run as root
  return args;
}

namespace {

// Runs fork on one thread that lives as long as the process: PR_SET_PDEATHSIG fires when the thread that forked
// ends, not the process, and renders come from threads that end (std::async, per-request threads). The state is
// never destroyed, so the thread may still wait on it while the process exits.
pid_t on_launcher_thread(const std::function<pid_t()>& fork_child) {
  struct Launcher {
    std::mutex mutex;
    std::condition_variable wake;
    std::deque<std::packaged_task<pid_t()>> tasks;  // guarded by mutex
  };
  static Launcher* const launcher = [] {
    auto* l = new Launcher;
    std::thread([l] {
      for (;;) {
        std::unique_lock lock(l->mutex);
        l->wake.wait(lock, [l] { return !l->tasks.empty(); });
        auto task = std::move(l->tasks.front());
        l->tasks.pop_front();
        lock.unlock();
        task();
      }
    }).detach();
    return l;
  }();
  std::packaged_task<pid_t()> task(fork_child);
  auto forked = task.get_future();
  {
    std::lock_guard lock(launcher->mutex);
    launcher->tasks.push_back(std::move(task));
  }
  launcher->wake.notify_one();
  return forked.get();
}

}  // namespace

ChromiumProcess::ChromiumProcess(const ChromiumLaunch& launch) : profile_(make_profile_dir()) {
  std::vector<std::string> args = {launch.executable};
  for (auto& a : default_args()) args.push_back(std::move(a));
  for (const auto& a : launch.extra_args) args.push_back(a);
  args.push_back("--user-data-dir=" + profile_.string());
  args.push_back("about:blank");
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);

  const std::string log = (profile_ / "chromium.log").string();
  // fork + exec rather than posix_spawn, for PR_SET_PDEATHSIG: Chromium is killed when Tyto dies, however it
  // dies (SIGKILL, a crash, the OOM killer), instead of living on as an orphan that holds memory and inotify
  // instances. The signal follows the thread that forked, so every fork happens on one
  // launcher thread (below), which lives as long as the process. Between fork and exec only async-signal-safe calls.
  const pid_t parent = ::getpid();
  const char* executable = launch.executable.c_str();
  const pid_t child = on_launcher_thread([&] {
    const pid_t forked = ::fork();
    if (forked < 0) return static_cast<pid_t>(-errno);  // errno is the launcher thread's
    if (forked > 0) return forked;
    ::setpgid(0, 0);  // its own group: a kill of the group takes Chromium's children too
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);  // Tyto died before the line above
    const int in = ::open("/dev/null", O_RDONLY);
    const int out = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    if (in < 0 || out < 0 || ::dup2(in, 0) < 0 || ::dup2(out, 1) < 0 || ::dup2(out, 2) < 0) ::_exit(127);
    ::execve(executable, argv.data(), environ);
    ::_exit(127);
  });
  const int rc = child < 0 ? -child : 0;
  pid_ = child;
  if (rc != 0) {
    pid_ = -1;
    std::error_code ignored;
    std::filesystem::remove_all(profile_, ignored);
    throw Error(ErrorCode::kUnavailable, fmt::format("cannot start {}: {}", launch.executable,
                                                     std::error_code(rc, std::generic_category()).message()));
  }

  // DevToolsActivePort holds "<port>\n<path>\n" once Chromium listens.
  const auto deadline = std::chrono::steady_clock::now() + launch.startup_timeout;
  const auto port_file = profile_ / "DevToolsActivePort";
  while (true) {
    std::ifstream in(port_file);
    std::string port_line, path_line;
    if (in && std::getline(in, port_line) && std::getline(in, path_line) && !path_line.empty()) {
      port_ = static_cast<std::uint16_t>(std::atoi(port_line.c_str()));
      path_ = path_line;
      if (port_ != 0) return;
    }
    std::string why;
    if (!running())
      why = "exited";
    else if (std::chrono::steady_clock::now() > deadline)
      why = "did not listen in time";
    if (!why.empty()) {
      const std::string tail = output_tail();
      kill();
      std::error_code ignored;
      std::filesystem::remove_all(profile_, ignored);
      throw Error(ErrorCode::kUnavailable, fmt::format("Chromium {} at start-up: {}", why, tail));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

ChromiumProcess::~ChromiumProcess() {
  kill();
  std::error_code ignored;
  std::filesystem::remove_all(profile_, ignored);
}

bool ChromiumProcess::running() {
  if (exited_ || pid_ <= 0) return false;
  int status = 0;
  const pid_t r = ::waitpid(pid_, &status, WNOHANG);
  if (r == pid_ || (r < 0 && errno == ECHILD)) exited_ = true;
  return !exited_;
}

void ChromiumProcess::kill() {
  if (pid_ <= 0 || killed_) return;
  killed_ = true;
  ::kill(-pid_, SIGKILL);  // the group: renderers and helpers too (they may outlive the main process)
  if (!exited_) {
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    exited_ = true;
  }
}

std::string ChromiumProcess::output_tail() const {
  std::ifstream in(profile_ / "chromium.log");
  std::stringstream text;
  text << in.rdbuf();
  std::string all = text.str();
  if (all.size() > 2000) all = all.substr(all.size() - 2000);
  return all;
}

}  // namespace tyto::browser::detail
