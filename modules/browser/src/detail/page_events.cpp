#include "detail/page_events.hpp"

#include "detail/request_guard.hpp"

#include <boost/asio/post.hpp>

namespace tyto::browser::detail {

using nlohmann::json;

void record_refusal(PageState& state, RefusedRequest refused) {
  std::lock_guard lock(state.mutex);
  for (const auto& r : state.refused)
    if (r.url == refused.url && r.reason == refused.reason) return;  // a retry of the same request
  state.refused.push_back(std::move(refused));
}

namespace {

// Decides a paused request off the I/O thread and lets Chromium go on (or fail it).
void decide(const std::shared_ptr<PageState>& state, const std::weak_ptr<CdpConnection>& weak, Guard guard,
            const std::string& session, const json& params) {
  boost::asio::post(
      guard.pool, [state, weak, guard, session, request_id = params.value("requestId", ""),
                   url = params["request"].value("url", ""), type = params.value("resourceType", "Other")] {
        const auto why = refusal(guard.policy, url);
        auto cdp = weak.lock();
        if (!cdp) return;
        if (why) {
          record_refusal(*state, {url, *why, type});
          cdp->post("Fetch.failRequest", {{"requestId", request_id}, {"errorReason", "BlockedByClient"}}, session);
        } else {
          cdp->post("Fetch.continueRequest", {{"requestId", request_id}}, session);
        }
      });
}

// The network is quiet since the last of the page's requests started or ended. Events of no request the page
// sent do not count: DevTools' own loads (CSS.enable fetches the document again for its inline styles, a
// response with no requestWillBeSent) and policy updates.
void network_event(PageState& state, const std::string& method, const json& params) {
  std::lock_guard lock(state.mutex);
  const std::string id = params.value("requestId", "");
  if (method == "Network.requestWillBeSent") {
    state.in_flight.insert(id);
    state.last_network = Clock::now();
  } else if (method == "Network.loadingFinished" || method == "Network.loadingFailed") {
    if (state.in_flight.erase(id) > 0) state.last_network = Clock::now();
  } else if (method == "Network.responseReceived") {
    const json& response = params.contains("response") ? params["response"] : json::object();
    if (params.value("type", "") == "Document" && params.value("frameId", "") == state.target_id)
      state.status = response.value("status", 0);
  }
}

}  // namespace

void enable_session(CdpConnection& cdp, const std::string& session, bool page) {
  cdp.post("Network.enable", json::object(), session);
  cdp.post("Fetch.enable", {{"patterns", json::array({{{"urlPattern", "*"}, {"requestStage", "Request"}}})}}, session);
  cdp.post("Target.setAutoAttach", {{"autoAttach", true}, {"waitForDebuggerOnStart", true}, {"flatten", true}},
           session);
  if (page) cdp.post("Page.enable", json::object(), session);
  if (page) cdp.post("Page.setLifecycleEventsEnabled", {{"enabled", true}}, session);
  if (!page) cdp.post("Runtime.runIfWaitingForDebugger", json::object(), session);
}

CdpConnection::EventHandler page_event_handler(std::shared_ptr<PageState> state, std::weak_ptr<CdpConnection> cdp,
                                               Guard guard, std::string session) {
  return [state, cdp, guard, session](const std::string& method, const json& params) {
    if (method == "Fetch.requestPaused") {
      decide(state, cdp, guard, session, params);
      return;
    }
    if (method.starts_with("Network.")) {
      network_event(*state, method, params);
    } else if (method == "Page.lifecycleEvent") {
      if (params.value("name", "") != "load" || params.value("frameId", "") != state->target_id) return;
      std::lock_guard lock(state->mutex);
      state->loaded.insert(params.value("loaderId", ""));
    } else if (method == "Inspector.targetCrashed") {
      std::lock_guard lock(state->mutex);
      state->crashed = "the page's renderer crashed";
    } else if (method == "Tyto.connectionClosed") {
      std::lock_guard lock(state->mutex);
      state->crashed = "the browser closed its DevTools connection (it crashed or was killed)";
    } else if (method == "Target.attachedToTarget") {
      // A worker or an out-of-process frame: its requests pass the guard too before it may run.
      const std::string child = params.value("sessionId", "");
      auto connection = cdp.lock();
      if (!connection || child.empty()) return;
      {
        std::lock_guard lock(state->mutex);
        state->child_sessions.push_back(child);
      }
      connection->subscribe(child, page_event_handler(state, cdp, guard, child));
      enable_session(*connection, child, false);
      return;
    } else {
      return;
    }
    state->changed.notify_all();
  };
}

}  // namespace tyto::browser::detail
