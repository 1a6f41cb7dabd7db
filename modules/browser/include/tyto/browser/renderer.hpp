// The headless renderer: a supervised pool of Chromium processes driven over the DevTools protocol.
//
//   browser::Renderer renderer(options, outbound_policy);
//   browser::RenderResult r = renderer.render({.url = "https://example.org/"});   // one call
//
//   auto page = renderer.open(request);      // or keep the page to work on it
//   page->evaluate("document.title");       // any script, its JSON result
//   page->press("Tab");                     // keyboard, element screenshots…
//   browser::RenderResult r = page->capture();
//
// Every render gets a fresh browser context (cookies, storage, cache), disposed when its Page ends; each
// browser prepares the next one in the background meanwhile.
// At most pool_size renders run at once; a caller waits for a free browser up to acquire_timeout.
// A browser that crashed, or that did not answer a command in time (hung), is killed and replaced.
//
// The outbound guard, twice: every request of the page (the document, redirects, subresources, frames
// and workers) is paused through the DevTools Fetch domain and its host resolved and checked against the
// OutboundPolicy before Chromium may send it (refused ones fail with ERR_BLOCKED_BY_CLIENT and are listed
// in RenderResult::refused with their URL); and every TCP connection Chromium makes goes through a SOCKS5
// proxy of Tyto's that resolves the name once, checks it and connects to exactly the checked addresses
// (DNS rebinding, WebSockets, anything Fetch does not see; listed as "host:port", type "Connection").
// What remains: docs/modules/browser.md.
//
// Errors (tyto::Error): kValidationFailed for a bad request or an action whose selector matches
// nothing, or a script that throws; kForbidden when the page's own URL is refused by the guard;
// kTimeout when the page does not load within navigation_timeout or the render exceeds its timeout, or
// a wait_for action times out; kUnavailable when no browser is free before acquire_timeout, Chromium
// cannot be started, the page cannot be loaded (DNS, connection refused, TLS) or the browser crashed.
//
// Thread-safety: Renderer may be used from many threads at once; one Page from one thread at a time.
// Every call blocks: call from job threads, never from an I/O thread.
#pragma once

#include "tyto/browser/render.hpp"

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace tyto::http {
class OutboundPolicy;
}

namespace tyto::browser {

struct RendererOptions {
  int pool_size = 2;
  std::string executable = "/usr/lib/chromium/chromium-headless-shell";
  std::chrono::milliseconds acquire_timeout{60'000};  // waiting for a free browser
  std::chrono::milliseconds startup_timeout{30'000};  // Chromium start-up
  std::chrono::milliseconds command_timeout{15'000};  // one DevTools command; longer means the browser hung
  int guard_threads = 4;                              // DNS look-ups of the outbound guard in parallel
  std::vector<std::string> extra_args;                // more Chromium flags
};

class Page;

class Renderer {
 public:
  // The policy must outlive the renderer. No browser starts before the first render (or warm_up).
  Renderer(RendererOptions options, const http::OutboundPolicy& policy);
  ~Renderer();  // kills every browser; Pages must have ended before
  Renderer(const Renderer&) = delete;
  Renderer& operator=(const Renderer&) = delete;

  // Waits for a browser, opens a fresh context, applies the request's settings, loads the URL, waits for
  // the load event and network idle, and runs the actions. The Page holds its browser until destroyed.
  std::unique_ptr<Page> open(const RenderRequest& request);
  // open(), then Page::capture().
  RenderResult render(const RenderRequest& request);

  // Starts every browser that is not running yet (the first render then does not pay for it).
  void warm_up();
  int pool_size() const noexcept;
  // The main process of every running browser.
  std::vector<int> browser_pids() const;
  // Browsers replaced after a crash or a hang since the renderer started.
  int restarts() const noexcept;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// A loaded page in its own browser context. Methods throw like Renderer::open.
class Page {
 public:
  ~Page();  // disposes the browser context and returns the browser to the pool
  Page(const Page&) = delete;
  Page& operator=(const Page&) = delete;

  // Waits for network idle and the request's wait, then captures what the request asks for.
  RenderResult capture();
  // The two halves of capture(). wait_for_network_idle waits until no request has been in flight for the
  // request's network_idle, at most network_idle_timeout, and says whether none is in flight now.
  // capture_now captures at once, whatever the network does (network_idle: none in flight at that moment):
  // a caller that captures early, while the page goes quiet, and checks afterwards that nothing changed.
  bool wait_for_network_idle();
  RenderResult capture_now();

  // Runs a script in the page's main frame and returns its result as JSON (a promise is awaited; DOM
  // nodes and functions come back as {} or null). A script that throws is Error(kValidationFailed)
  // with details.exception.
  nlohmann::json evaluate(std::string_view expression, std::chrono::milliseconds timeout = std::chrono::seconds(30));

  // Presses a key, optionally with modifiers: "Tab", "Shift+Tab", "Enter", "Escape", "ArrowDown", "a".
  void press(std::string_view key);
  void click(std::string_view selector);
  void type(std::string_view selector, std::string_view text);
  void wait_for(std::string_view selector, std::chrono::milliseconds timeout);
  void run(const Action& action);

  // Forces CSS pseudo-classes ("focus", "focus-visible", "hover", "active", "focus-within", "target") on every
  // element of the main frame's document that the selector matches, as DevTools' "force element state" does:
  // the page is styled as if the elements were in that state, though no event fires and the document's focus
  // does not move. Each call first clears what the previous one forced; empty classes only clear. Returns
  // how many elements are forced. A selector the page cannot parse is Error(kValidationFailed).
  int force_state(std::string_view selector, const std::vector<std::string>& pseudo_classes);
  // A PNG of a region of the page (CSS pixels, page coordinates), at the device scale factor.
  std::string screenshot(const Box& clip);
  // Resizes the page's viewport as a user resizing (or zooming) the window would: the page is not loaded
  // again, its media queries and resize listeners apply. Layout settles by the next animation frame.
  void set_viewport(const Viewport& viewport);
  // The requests refused so far.
  std::vector<RefusedRequest> refused() const;

  struct Impl;
  explicit Page(std::unique_ptr<Impl> impl);

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace tyto::browser
