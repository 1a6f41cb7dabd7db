#include "tyto/browser/renderer.hpp"

#include "detail/page_impl.hpp"
#include "tyto/core/error.hpp"
#include "tyto/http/outbound_client.hpp"

#include <fmt/format.h>

namespace tyto::browser {

struct Renderer::Impl {
  Impl(RendererOptions options_, const http::OutboundPolicy& policy_)
      : options(std::move(options_)),
        policy(policy_),
        guard_pool(static_cast<std::size_t>(std::max(1, options.guard_threads))),
        pool(detail::ChromiumLaunch{options.executable, options.extra_args, options.startup_timeout}, options.pool_size,
             policy_) {}
  ~Impl() { guard_pool.join(); }

  RendererOptions options;
  const http::OutboundPolicy& policy;
  boost::asio::thread_pool guard_pool;
  detail::BrowserPool pool;
};

namespace {

void validate(const RenderRequest& request) {
  // http(s) only, no user information: throws kValidationFailed. Or an HTML document given inline (a data:
  // URL: the accessibility product's scans of an uploaded DOM snapshot); its requests pass the guard as usual.
  if (!request.url.starts_with("data:text/html")) http::parse_outbound_url(request.url);
  const Viewport& v = request.viewport;
  if (v.width < 1 || v.width > 8192 || v.height < 1 || v.height > 8192)
    throw validation_error("bad viewport", {{"viewport", "width and height must be 1..8192"}});
  if (!(v.device_scale_factor >= 0.5 && v.device_scale_factor <= 4))
    throw validation_error("bad viewport", {{"viewport", "device_scale_factor must be 0.5..4"}});
  if (request.timeout.count() <= 0) throw validation_error("bad timeout", {{"timeout_ms", "must be positive"}});
}

}  // namespace

Renderer::Renderer(RendererOptions options, const http::OutboundPolicy& policy)
    : impl_(std::make_unique<Impl>(std::move(options), policy)) {}

Renderer::~Renderer() = default;

std::unique_ptr<Page> Renderer::open(const RenderRequest& request) {
  validate(request);
  const auto now = detail::Clock::now();
  const auto deadline = now + request.timeout;
  auto lease = impl_->pool.acquire(std::min(deadline, now + impl_->options.acquire_timeout));
  auto page = std::make_unique<Page::Impl>(std::move(lease), detail::Guard{impl_->policy, impl_->guard_pool}, request,
                                           impl_->options.command_timeout, deadline);
  page->open();
  return std::make_unique<Page>(std::move(page));
}

RenderResult Renderer::render(const RenderRequest& request) { return open(request)->capture(); }

void Renderer::warm_up() { impl_->pool.warm_up(); }

int Renderer::pool_size() const noexcept { return impl_->pool.size(); }

std::vector<int> Renderer::browser_pids() const {
  std::vector<int> out;
  for (pid_t pid : impl_->pool.pids()) out.push_back(static_cast<int>(pid));
  return out;
}

int Renderer::restarts() const noexcept { return impl_->pool.restarts(); }

}  // namespace tyto::browser
