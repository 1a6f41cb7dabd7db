// The pool's supervision: a killed browser is replaced, a page that never loads is a timeout, a page
// that hangs the renderer gets its browser restarted, and no more renders run at once than browsers.
#include "browser/page_server.hpp"
#include "tyto/browser/renderer.hpp"
#include "tyto/core/error.hpp"
#include "tyto/http/outbound_policy.hpp"

#include <catch2/catch.hpp>

#include <signal.h>

#include <algorithm>
#include <condition_variable>
#include <future>

using namespace tyto;
using namespace tyto::browser;
using tyto::test::PageRequest;
using tyto::test::PageResponse;
using tyto::test::PageServer;
using namespace std::chrono_literals;

namespace {

const http::OutboundPolicy& loopback_policy() {
  static const http::OutboundPolicy policy({"127.0.0.1/32"});
  return policy;
}

ErrorCode code_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.code();
  }
  FAIL("no error");
  return ErrorCode::kInternal;
}

// Waits (up to 30 s) until pred holds.
template <class Pred>
bool eventually(Pred pred) {
  for (int i = 0; i < 3000 && !pred(); ++i) std::this_thread::sleep_for(10ms);
  return pred();
}

}  // namespace

TEST_CASE("A browser killed in the middle of a render is replaced, and the next render works", "[browser]") {
  PageServer server;
  server.page("/plain", "<title>Plain</title><p>ok</p>");
  server.page("/slow", "<title>Slow</title><img src=\"/slow.png\">");
  server.route("/slow.png", [&](const PageRequest&) {
    server.hold(30s);
    return PageResponse{.content_type = "image/png", .body = ""};
  });
  Renderer renderer({.pool_size = 1}, loopback_policy());
  renderer.warm_up();
  const auto pids = renderer.browser_pids();
  REQUIRE(pids.size() == 1);

  auto render = std::async(std::launch::async, [&] { return renderer.render({.url = server.url("/slow")}); });
  REQUIRE(eventually([&] { return server.hits("/slow.png") == 1; }));
  ::kill(pids[0], SIGKILL);
  CHECK(code_of([&] { render.get(); }) == ErrorCode::kUnavailable);
  server.release();

  const RenderResult r = renderer.render({.url = server.url("/plain")});
  CHECK(r.title == "Plain");
  CHECK(renderer.restarts() == 1);
  REQUIRE(renderer.browser_pids().size() == 1);
  CHECK(renderer.browser_pids()[0] != pids[0]);
}

TEST_CASE("A page that never finishes loading times out with a typed error and leaves the browser usable",
          "[browser]") {
  PageServer server;
  server.page("/plain", "<title>Plain</title>");
  server.route("/hang", [&](const PageRequest&) {
    server.hold(60s);
    return PageResponse{.body = "late"};
  });
  server.page("/hanging-image", "<title>Image</title><img src=\"/hang\">");
  Renderer renderer({.pool_size = 1}, loopback_policy());
  RenderRequest request{.url = server.url("/hang")};
  request.navigation_timeout = 1500ms;
  CHECK(code_of([&] { renderer.render(request); }) == ErrorCode::kTimeout);
  request.url = server.url("/hanging-image");  // the document arrives, its load event never does
  CHECK(code_of([&] { renderer.render(request); }) == ErrorCode::kTimeout);
  CHECK(renderer.render({.url = server.url("/plain")}).title == "Plain");
  CHECK(renderer.restarts() == 0);
}

TEST_CASE("A page that hangs its renderer past the deadline gets its browser killed and restarted", "[browser]") {
  PageServer server;
  server.page("/plain", "<title>Plain</title>");
  Renderer renderer({.pool_size = 1, .command_timeout = 5s}, loopback_policy());
  {
    auto page = renderer.open({.url = server.url("/plain")});
    CHECK(code_of([&] { page->evaluate("while (true) {}", 1s); }) == ErrorCode::kTimeout);
  }
  CHECK(renderer.restarts() == 1);
  CHECK(renderer.render({.url = server.url("/plain")}).title == "Plain");
}

TEST_CASE("No more renders run at once than the pool has browsers, and a caller waits for a free one", "[browser]") {
  PageServer server;
  std::mutex mutex;
  std::condition_variable changed;
  int running = 0, most = 0, arrived = 0;
  constexpr int kRenders = 5;
  server.page("/page", "<title>Blocking</title><img src=\"/block.png\">");
  server.route("/block.png", [&](const PageRequest&) {
    std::unique_lock lock(mutex);
    most = std::max(most, ++running);
    ++arrived;
    changed.notify_all();
    // Hold the images until two renders have been at this point together (or no other can come), so that
    // renders overlap as much as the pool lets them, however slow the machine.
    changed.wait_for(lock, 20s, [&] { return most >= 2 || arrived == kRenders; });
    --running;
    return PageResponse{.content_type = "image/png", .body = ""};
  });
  Renderer renderer({.pool_size = 2}, loopback_policy());
  std::vector<std::future<RenderResult>> renders;
  for (int i = 0; i < kRenders; ++i)
    renders.push_back(std::async(std::launch::async, [&] { return renderer.render({.url = server.url("/page")}); }));
  for (auto& r : renders) CHECK(r.get().title == "Blocking");
  CHECK(server.hits("/block.png") == kRenders);
  CHECK(most == 2);

  // With every browser taken, a caller gives up after acquire_timeout.
  Renderer single({.pool_size = 1, .acquire_timeout = 300ms}, loopback_policy());
  auto held = single.open({.url = server.url("/page")});
  CHECK(code_of([&] { single.render({.url = server.url("/page")}); }) == ErrorCode::kUnavailable);
}
