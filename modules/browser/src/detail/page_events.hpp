// What a page's DevTools events tell: requests in flight (network idle), load events, crashes, and the
// outbound guard's decisions on paused requests. Handlers run on the connection's I/O thread; DNS
// look-ups of the guard run on the renderer's guard pool, which answers Chromium with post().
#pragma once

#include "detail/cdp_connection.hpp"
#include "tyto/browser/render.hpp"
#include "tyto/http/outbound_policy.hpp"

#include <boost/asio/thread_pool.hpp>

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace tyto::browser::detail {

using Clock = std::chrono::steady_clock;

// Shared by a Page, its event handlers and guard tasks still running.
struct PageState {
  std::string target_id;  // the page's target, also its main frame's id

  std::mutex mutex;
  std::condition_variable changed;
  // guarded by mutex:
  std::set<std::string> in_flight;  // network request ids
  Clock::time_point last_network = Clock::now();
  std::set<std::string> loaded;  // loader ids of the main frame's documents whose load event fired
  int status = 0;
  std::optional<std::string> crashed;  // why the page or its browser is gone
  std::vector<RefusedRequest> refused;
  std::vector<std::string> child_sessions;  // workers and out-of-process frames attached to
};

struct Guard {
  const http::OutboundPolicy& policy;
  boost::asio::thread_pool& pool;
};

// The handler of one session's events (the page's or a child's).
CdpConnection::EventHandler page_event_handler(std::shared_ptr<PageState> state, std::weak_ptr<CdpConnection> cdp,
                                               Guard guard, std::string session);

// The commands that turn on what the handler relies on, for a page or a child session (posted in order).
void enable_session(CdpConnection& cdp, const std::string& session, bool page);

// Adds a refused request to the page's list (once per URL and reason).
void record_refusal(PageState& state, RefusedRequest refused);

}  // namespace tyto::browser::detail
