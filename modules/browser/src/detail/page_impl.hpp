// Page's implementation, shared by renderer.cpp (which opens pages) and page.cpp (what a page does).
#pragma once

#include "detail/browser_pool.hpp"
#include "detail/page_events.hpp"
#include "tyto/browser/renderer.hpp"

#include <memory>
#include <string>

namespace tyto::browser {

struct Page::Impl {
  using Clock = detail::Clock;

  Impl(detail::BrowserPool::Lease lease, detail::Guard guard, RenderRequest request,
       std::chrono::milliseconds command_timeout, Clock::time_point deadline);
  // Disposes the context and starts preparing the browser's next page; a browser that does not answer is
  // marked broken.
  ~Impl();

  // Takes the browser's spare page (or prepares one), applies the request's settings, navigates and runs
  // the actions.
  void open();
  void navigate(const std::string& url);
  bool wait_for_network_idle();
  RenderResult capture();
  RenderResult capture_now();
  std::string screenshot(const Box& clip);
  void set_viewport(const Viewport& viewport);
  // The actions (page_actions.cpp).
  void run(const Action& action);
  void click(std::string_view selector);
  void type(std::string_view selector, std::string_view text);
  void wait_for(std::string_view selector, std::chrono::milliseconds timeout);
  void press(std::string_view key);
  int force_state(std::string_view selector, const std::vector<std::string>& pseudo_classes);

  // A command on the page's session. A command not answered within the command timeout (or the render's
  // deadline) marks the browser broken unless hang_breaks is false; a closed connection marks it too.
  nlohmann::json call(std::string_view method, nlohmann::json params = nlohmann::json::object(),
                      bool hang_breaks = true, std::optional<std::chrono::milliseconds> timeout = std::nullopt);
  // Throws kTimeout when the render's deadline has passed, kUnavailable when the page crashed.
  void check_alive();
  std::chrono::milliseconds remaining() const;
  nlohmann::json evaluate(std::string_view expression, std::chrono::milliseconds timeout);

  detail::BrowserPool::Lease lease;
  detail::Browser& browser;
  std::shared_ptr<detail::CdpConnection> cdp;
  detail::Guard guard;
  RenderRequest request;
  std::chrono::milliseconds command_timeout;
  Clock::time_point started = Clock::now();
  Clock::time_point deadline;
  std::string context_id;
  std::string session;
  std::shared_ptr<detail::PageState> state = std::make_shared<detail::PageState>();
  // force_state: the nodes forced now (DOM domain ids), and whether the DOM and CSS domains are on for it.
  std::vector<int> forced_nodes;
  bool css_domain = false;
};

}  // namespace tyto::browser
