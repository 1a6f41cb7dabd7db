#include "support/process.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <csignal>
#include <fstream>
#include <sstream>
#include <thread>

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

namespace tyto::test {
namespace {

int spawn(const std::vector<std::string>& args, const std::map<std::string, std::string>& env,
          const std::filesystem::path& cwd, const std::filesystem::path& out, const std::filesystem::path& err) {
  const std::string binary = tyto_binary().string();
  write_file(out, "");  // exist before the child runs, so readers never race its open()
  write_file(err, "");
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ::setpgid(0, 0);
    if (::chdir(cwd.c_str()) != 0) ::_exit(127);
    const int o = ::open(out.c_str(), O_WRONLY | O_APPEND);
    const int e = ::open(err.c_str(), O_WRONLY | O_APPEND);
    const int in = ::open("/dev/null", O_RDONLY);
    ::dup2(in, 0);
    ::dup2(o, 1);
    ::dup2(e, 2);
    for (const auto& [k, v] : env) ::setenv(k.c_str(), v.c_str(), 1);
    std::vector<char*> argv;
    argv.push_back(const_cast<char*>(binary.c_str()));
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    ::execv(binary.c_str(), argv.data());
    ::_exit(127);
  }
  return pid;
}

int decode_status(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

}  // namespace

TytoProcess::TytoProcess(std::vector<std::string> args, std::map<std::string, std::string> env) {
  pid_ = spawn(args, env, dir_.path(), dir_.path() / "stdout.log", dir_.path() / "stderr.log");
}

TytoProcess::~TytoProcess() {
  if (!status_ && pid_ > 0) {
    ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
  }
}

std::unique_ptr<TytoProcess> TytoProcess::serve(std::vector<std::string> extra_args,
                                                std::map<std::string, std::string> env) {
  std::vector<std::string> args = {"serve", "--listen", "127.0.0.1:0", "--data-dir", "data"};
  args.insert(args.end(), extra_args.begin(), extra_args.end());
  env.try_emplace("TYTO_AUTH_BOOTSTRAP_API_KEY", kAdminKey);
  env.try_emplace("TYTO_AUTH_ADMIN_PASSWORD", kAdminPassword);
  auto p = std::make_unique<TytoProcess>(args, env);
  const auto line = nlohmann::json::parse(p->wait_for_log("listening"));
  p->port_ = line["port"].get<std::uint16_t>();
  return p;
}

std::string TytoProcess::stderr_text() const { return read_file(dir_.path() / "stderr.log"); }
std::string TytoProcess::stdout_text() const { return read_file(dir_.path() / "stdout.log"); }

std::string TytoProcess::wait_for_log(const std::string& msg, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  const std::string needle = "\"msg\":\"" + msg + "\"";
  while (std::chrono::steady_clock::now() < deadline) {
    std::istringstream lines(stderr_text());
    for (std::string line; std::getline(lines, line);) {
      if (line.find(needle) != std::string::npos) return line;
    }
    if (!running())
      FAIL("tyto exited (status " << *status_ << ") before logging \"" << msg << "\":\n" << stderr_text());
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  FAIL("tyto did not log \"" << msg << "\" in time:\n" << stderr_text());
  return {};
}

void TytoProcess::signal(int sig) {
  if (!status_) ::kill(pid_, sig);
}

bool TytoProcess::running() {
  if (status_) return false;
  int status = 0;
  if (::waitpid(pid_, &status, WNOHANG) == pid_) {
    status_ = decode_status(status);
    return false;
  }
  return true;
}

std::optional<int> TytoProcess::wait(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (running()) {
    if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return status_;
}

RunResult run_tyto(std::vector<std::string> args, std::map<std::string, std::string> env,
                   const std::optional<std::filesystem::path>& cwd) {
  TempDir dir;
  const auto work = cwd.value_or(dir.path());
  const int pid = spawn(args, env, work, dir.path() / "out", dir.path() / "err");
  int status = 0;
  ::waitpid(pid, &status, 0);
  return {decode_status(status), read_file(dir.path() / "out"), read_file(dir.path() / "err")};
}

}  // namespace tyto::test
