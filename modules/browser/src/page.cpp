#include "detail/base64.hpp"
#include "detail/page_impl.hpp"
#include "tyto/core/error.hpp"
#include "tyto/core/logging.hpp"

#include <fmt/format.h>

#include <cmath>
#include <future>
#include <thread>

namespace tyto::browser {
namespace {

using detail::Clock;
using nlohmann::json;
using std::chrono::milliseconds;

milliseconds since(Clock::time_point t) { return std::chrono::duration_cast<milliseconds>(Clock::now() - t); }

json cookie_json(const Cookie& c, const std::string& page_url) {
  json out = {{"name", c.name}, {"value", c.value}, {"path", c.path}, {"secure", c.secure}, {"httpOnly", c.http_only}};
  if (!c.domain.empty())
    out["domain"] = c.domain;
  else
    out["url"] = c.url.empty() ? page_url : c.url;
  return out;
}

}  // namespace

Page::Impl::Impl(detail::BrowserPool::Lease lease_, detail::Guard guard_, RenderRequest request_,
                 milliseconds command_timeout_, Clock::time_point deadline_)
    : lease(std::move(lease_)),
      browser(lease.browser()),
      cdp(browser.cdp),
      guard(guard_),
      request(std::move(request_)),
      command_timeout(command_timeout_),
      deadline(deadline_) {}

Page::Impl::~Impl() {
  browser.proxy->set_sink(nullptr);
  if (!session.empty()) cdp->unsubscribe(session);
  {
    std::lock_guard lock(state->mutex);
    for (const auto& child : state->child_sessions) cdp->unsubscribe(child);
  }
  if (context_id.empty() || browser.broken || !cdp->open()) return;
  try {
    cdp->call("Target.disposeBrowserContext", {{"browserContextId", context_id}}, "", command_timeout);
  } catch (const std::exception& e) {
    log::warn("a browser did not dispose a context; it will be restarted", {{"error", e.what()}});
    browser.broken = true;
    return;
  }
  // The next render need not wait for a context and a renderer process: prepare them while the browser is free.
  browser.spare = std::async(std::launch::async, [cdp = cdp, guard = guard, timeout = command_timeout] {
    return detail::prepare_page(cdp, guard, timeout);
  });
}

namespace detail {

PreparedPage prepare_page(const std::shared_ptr<CdpConnection>& cdp, Guard guard, milliseconds timeout) {
  PreparedPage page;
  page.state = std::make_shared<PageState>();
  page.context_id =
      cdp->call("Target.createBrowserContext", {{"disposeOnDetach", true}}, "", timeout)["browserContextId"];
  page.state->target_id =
      cdp->call("Target.createTarget", {{"url", "about:blank"}, {"browserContextId", page.context_id}}, "",
                timeout)["targetId"]
          .get<std::string>();
  page.session = cdp->call("Target.attachToTarget", {{"targetId", page.state->target_id}, {"flatten", true}}, "",
                           timeout)["sessionId"];
  cdp->subscribe(page.session, page_event_handler(page.state, cdp, guard, page.session));
  enable_session(*cdp, page.session, true);
  cdp->call("Runtime.evaluate", {{"expression", "1"}}, page.session, timeout);  // the renderer answers
  return page;
}

}  // namespace detail

milliseconds Page::Impl::remaining() const {
  return std::max(milliseconds(0), std::chrono::duration_cast<milliseconds>(deadline - Clock::now()));
}

void Page::Impl::check_alive() {
  {
    std::lock_guard lock(state->mutex);
    if (state->crashed) {
      browser.broken = true;
      throw Error(ErrorCode::kUnavailable, *state->crashed, {{"url", request.url}});
    }
  }
  if (Clock::now() >= deadline)
    throw Error(ErrorCode::kTimeout, fmt::format("the render took longer than {} ms", request.timeout.count()),
                {{"url", request.url}});
}

json Page::Impl::call(std::string_view method, json params, bool hang_breaks, std::optional<milliseconds> timeout) {
  check_alive();
  try {
    return cdp->call(method, std::move(params), session, std::min(timeout.value_or(command_timeout), remaining()));
  } catch (const detail::CdpError&) {
    throw;
  } catch (const Error& e) {
    if (e.code() == ErrorCode::kUnavailable || (e.code() == ErrorCode::kTimeout && hang_breaks)) browser.broken = true;
    throw;
  }
}

void Page::Impl::open() {
  detail::PreparedPage page;
  if (browser.spare.valid()) {
    try {
      page = browser.spare.get();
    } catch (const std::exception& e) {
      log::warn("a spare page could not be prepared; preparing one now", {{"error", e.what()}});
    }
  }
  if (!page.state) {
    try {
      page = detail::prepare_page(cdp, guard, std::min(command_timeout, remaining()));
    } catch (const detail::CdpError&) {
      throw;
    } catch (const Error&) {
      browser.broken = true;
      throw;
    }
  }
  context_id = page.context_id;
  session = page.session;
  state = page.state;
  // Connections the guard's proxy refuses while this page holds the browser are this page's.
  browser.proxy->set_sink(
      [state = state](RefusedRequest refused) { detail::record_refusal(*state, std::move(refused)); });

  set_viewport(request.viewport);
  if (!request.user_agent.empty()) call("Emulation.setUserAgentOverride", {{"userAgent", request.user_agent}});
  if (!request.headers.empty()) {
    json headers = json::object();
    for (const auto& [name, value] : request.headers) headers[name] = value;
    call("Network.setExtraHTTPHeaders", {{"headers", headers}});
  }
  if (!request.cookies.empty()) {
    json cookies = json::array();
    for (const auto& c : request.cookies) cookies.push_back(cookie_json(c, request.url));
    call("Network.setCookies", {{"cookies", cookies}});
  }
  navigate(request.url);
  if (!request.actions.empty()) {
    wait_for_network_idle();
    for (const auto& action : request.actions) run(action);
  }
}

void Page::Impl::navigate(const std::string& url) {
  const milliseconds limit = std::min(request.navigation_timeout, remaining());
  const auto navigation_deadline = Clock::now() + limit;
  auto timed_out = [&] {
    return Error(ErrorCode::kTimeout, fmt::format("the page did not load within {} ms", limit.count()), {{"url", url}});
  };
  json answer;
  try {
    answer = call("Page.navigate", {{"url", url}}, false, limit);
  } catch (const Error& e) {
    if (e.code() == ErrorCode::kTimeout) throw timed_out();
    throw;
  }
  if (const std::string error = answer.value("errorText", ""); !error.empty()) {
    if (error == "net::ERR_BLOCKED_BY_CLIENT") {
      std::string why = "refused by the outbound guard";
      std::lock_guard lock(state->mutex);
      for (const auto& r : state->refused)
        if (r.url == url || r.resource_type == "Document") why = r.reason;
      throw Error(ErrorCode::kForbidden, fmt::format("the page {} is not allowed: {}", url, why),
                  {{"url", url}, {"reason", why}});
    }
    throw Error(ErrorCode::kUnavailable, fmt::format("cannot load {}: {}", url, error),
                {{"url", url}, {"reason", error}});
  }
  // The load event of this navigation's document (its loader), not of the blank page before it.
  const std::string loader = answer.value("loaderId", "");
  if (loader.empty()) return;  // a same-document navigation: nothing loads
  std::unique_lock lock(state->mutex);
  const bool loaded = state->changed.wait_until(
      lock, navigation_deadline, [&] { return state->loaded.count(loader) > 0 || state->crashed.has_value(); });
  lock.unlock();
  check_alive();
  if (!loaded) throw timed_out();
}

bool Page::Impl::wait_for_network_idle() {
  const auto limit = Clock::now() + std::min(request.network_idle_timeout, remaining());
  std::unique_lock lock(state->mutex);
  while (!state->crashed) {
    const auto quiet_since = state->last_network + request.network_idle;
    if (state->in_flight.empty() && Clock::now() >= quiet_since) return true;
    if (Clock::now() >= limit) return state->in_flight.empty();
    state->changed.wait_until(lock, std::min(limit, state->in_flight.empty() ? quiet_since : limit));
  }
  return false;
}

json Page::Impl::evaluate(std::string_view expression, milliseconds timeout) {
  const json answer =
      call("Runtime.evaluate",
           {{"expression", expression}, {"awaitPromise", true}, {"returnByValue", true}, {"userGesture", true}}, true,
           timeout);
  if (answer.contains("exceptionDetails")) {
    const json& details = answer["exceptionDetails"];
    std::string text = details.value("text", "exception");
    if (details.contains("exception")) text = details["exception"].value("description", text);
    throw Error(ErrorCode::kValidationFailed, "the script threw: " + text, {{"exception", text}});
  }
  const json& result = answer.contains("result") ? answer["result"] : json::object();
  return result.contains("value") ? result["value"] : json(nullptr);
}

RenderResult Page::Impl::capture() {
  const bool idle = wait_for_network_idle();
  if (request.wait.count() > 0) std::this_thread::sleep_for(std::min(request.wait, remaining()));
  RenderResult out = capture_now();
  out.network_idle = idle;
  return out;
}

RenderResult Page::Impl::capture_now() {
  RenderResult out;
  {
    std::lock_guard lock(state->mutex);
    out.network_idle = state->in_flight.empty();
  }
  check_alive();
  out.url = request.url;
  out.device_scale_factor = request.viewport.device_scale_factor;
  const json where = evaluate("({title: document.title, url: location.href})", command_timeout);
  out.title = where.value("title", "");
  out.final_url = where.value("url", "");

  const json metrics = call("Page.getLayoutMetrics");
  const json& size = metrics.contains("cssContentSize") ? metrics["cssContentSize"] : metrics["contentSize"];
  out.content_width = size.value("width", 0.0);
  out.content_height = size.value("height", 0.0);
  if (request.screenshot) {
    const double width = std::ceil(std::max(out.content_width, 1.0 * request.viewport.width));
    const double height = std::ceil(std::clamp(out.content_height, 1.0, 1.0 * request.max_screenshot_height));
    out.screenshot_png = screenshot({0, 0, width, height});
    std::tie(out.screenshot_width, out.screenshot_height) = detail::png_size(out.screenshot_png);
  }
  if (request.dom) {
    const std::vector<std::string>& styles =
        request.computed_styles.empty() ? default_computed_styles() : request.computed_styles;
    out.dom_snapshot = call("DOMSnapshot.captureSnapshot", {{"computedStyles", styles},
                                                            {"includeDOMRects", true},
                                                            {"includeBlendedBackgroundColors", true},
                                                            {"includeTextColorOpacities", true}});
  }
  if (request.accessibility) out.ax_tree = call("Accessibility.getFullAXTree")["nodes"];
  {
    std::lock_guard lock(state->mutex);
    out.status = state->status;
    out.refused = state->refused;
  }
  out.elapsed = since(started);
  return out;
}

void Page::Impl::set_viewport(const Viewport& v) {
  call("Emulation.setDeviceMetricsOverride",
       {{"width", v.width}, {"height", v.height}, {"deviceScaleFactor", v.device_scale_factor}, {"mobile", v.mobile}});
}

std::string Page::Impl::screenshot(const Box& clip) {
  // optimizeForSpeed: Chromium compresses the PNG less (still lossless); a full-page one encodes in about
  // half the time.
  const json answer =
      call("Page.captureScreenshot",
           {{"format", "png"},
            {"optimizeForSpeed", true},
            {"captureBeyondViewport", true},
            {"clip", {{"x", clip.x}, {"y", clip.y}, {"width", clip.width}, {"height", clip.height}, {"scale", 1}}}});
  auto png = detail::base64_decode(answer.value("data", ""));
  if (!png || detail::png_size(*png).first == 0)
    throw Error(ErrorCode::kInternal, "Chromium returned a screenshot that is not a PNG");
  return std::move(*png);
}

}  // namespace tyto::browser
