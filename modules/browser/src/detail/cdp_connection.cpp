#include "detail/cdp_connection.hpp"

#include "tyto/core/logging.hpp"

#include <fmt/format.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/websocket.hpp>

#include <atomic>
#include <deque>
#include <future>
#include <map>
#include <mutex>
#include <thread>

namespace tyto::browser::detail {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = net::ip::tcp;
using nlohmann::json;
constexpr auto kTuple = net::as_tuple(net::use_awaitable);
// A DOM snapshot or a full-page screenshot of a long page is one message of tens of megabytes.
constexpr std::size_t kMaxMessageBytes = std::size_t{512} << 20;

Error closed_error() { return Error(ErrorCode::kUnavailable, "the browser's DevTools connection is closed"); }

}  // namespace

CdpError::CdpError(std::string method, int cdp_code, std::string message)
    : Error(ErrorCode::kInternal, fmt::format("{}: {}", method, message),
            {{"method", method}, {"cdp_code", cdp_code}, {"cdp_message", message}}),
      cdp_code_(cdp_code) {}

struct CdpConnection::Impl {
  net::io_context ioc{1};
  websocket::stream<beast::tcp_stream> ws{ioc};
  std::thread thread;
  std::atomic<bool> closed{false};
  std::atomic<std::int64_t> next_id{1};
  std::deque<std::string> outbox;  // I/O thread only
  bool writing = false;            // I/O thread only

  std::mutex mutex;
  std::map<std::int64_t, std::shared_ptr<std::promise<json>>> pending;  // guarded by mutex
  std::map<std::string, EventHandler, std::less<>> handlers;            // guarded by mutex

  net::awaitable<void> run(std::uint16_t port, std::string path, std::chrono::milliseconds timeout,
                           std::shared_ptr<std::promise<void>> connected) {
    auto& stream = beast::get_lowest_layer(ws);
    stream.expires_after(timeout);
    auto [ec] = co_await stream.async_connect(tcp::endpoint(net::ip::address_v4::loopback(), port), kTuple);
    if (!ec) std::tie(ec) = co_await ws.async_handshake(fmt::format("127.0.0.1:{}", port), path, kTuple);
    if (ec) {
      closed = true;
      connected->set_exception(std::make_exception_ptr(
          Error(ErrorCode::kUnavailable, fmt::format("cannot connect to Chromium's DevTools: {}", ec.message()))));
      co_return;
    }
    stream.expires_never();
    ws.read_message_max(kMaxMessageBytes);
    connected->set_value();
    beast::flat_buffer buffer;
    for (;;) {
      auto [read_ec, n] = co_await ws.async_read(buffer, kTuple);
      if (read_ec) break;
      dispatch(beast::buffers_to_string(buffer.data()));
      buffer.consume(buffer.size());
    }
    shut_down();
  }

  void dispatch(const std::string& text) {
    json message = json::parse(text, nullptr, false);
    if (!message.is_object()) return;
    if (message.contains("id")) {
      std::shared_ptr<std::promise<json>> waiter;
      {
        std::lock_guard lock(mutex);
        auto it = pending.find(message["id"].get<std::int64_t>());
        if (it == pending.end()) return;  // its caller gave up, or a post()
        waiter = std::move(it->second);
        pending.erase(it);
      }
      waiter->set_value(std::move(message));
      return;
    }
    const std::string session = message.value("sessionId", "");
    EventHandler handler;
    {
      std::lock_guard lock(mutex);
      auto it = handlers.find(session);
      if (it == handlers.end()) return;
      handler = it->second;
    }
    try {
      handler(message.value("method", ""), message.contains("params") ? message["params"] : json::object());
    } catch (const std::exception& e) {
      log::warn("browser event handler failed", {{"error", e.what()}});
    }
  }

  // Every caller still waiting learns that the connection is gone, and every subscriber gets a last event.
  void shut_down() {
    closed = true;
    std::map<std::int64_t, std::shared_ptr<std::promise<json>>> waiting;
    std::vector<EventHandler> subscribers;
    {
      std::lock_guard lock(mutex);
      waiting.swap(pending);
      for (auto& [session, handler] : handlers) subscribers.push_back(handler);
    }
    for (auto& [id, waiter] : waiting) waiter->set_exception(std::make_exception_ptr(closed_error()));
    for (auto& handler : subscribers) handler("Tyto.connectionClosed", json::object());
  }

  net::awaitable<void> write_queued() {
    while (!outbox.empty()) {
      ws.text(true);
      auto [ec, n] = co_await ws.async_write(net::buffer(outbox.front()), kTuple);
      if (ec) {
        outbox.clear();
        boost::system::error_code ignored;
        beast::get_lowest_layer(ws).socket().close(ignored);
        break;
      }
      outbox.pop_front();
    }
    writing = false;
  }

  void send(std::string text) {
    net::post(ioc, [this, text = std::move(text)]() mutable {
      outbox.push_back(std::move(text));
      if (writing) return;
      writing = true;
      net::co_spawn(ioc, write_queued(), net::detached);
    });
  }
};

CdpConnection::CdpConnection(std::uint16_t port, const std::string& path, std::chrono::milliseconds timeout)
    : impl_(std::make_shared<Impl>()) {
  auto connected = std::make_shared<std::promise<void>>();
  auto ready = connected->get_future();
  net::co_spawn(impl_->ioc, impl_->run(port, path, timeout, connected), net::detached);
  impl_->thread = std::thread([impl = impl_.get()] { impl->ioc.run(); });
  try {
    ready.get();
  } catch (...) {
    impl_->thread.join();
    throw;
  }
}

CdpConnection::~CdpConnection() {
  net::post(impl_->ioc, [impl = impl_.get()] {
    boost::system::error_code ignored;
    beast::get_lowest_layer(impl->ws).socket().shutdown(tcp::socket::shutdown_both, ignored);
    beast::get_lowest_layer(impl->ws).socket().close(ignored);
  });
  impl_->thread.join();
}

json CdpConnection::call(std::string_view method, json params, std::string_view session,
                         std::chrono::milliseconds timeout) {
  if (impl_->closed) throw closed_error();
  const std::int64_t id = impl_->next_id++;
  json message = {{"id", id}, {"method", method}, {"params", std::move(params)}};
  if (!session.empty()) message["sessionId"] = session;
  auto waiter = std::make_shared<std::promise<json>>();
  auto answer = waiter->get_future();
  {
    std::lock_guard lock(impl_->mutex);
    impl_->pending.emplace(id, waiter);
  }
  if (impl_->closed) {  // closed between the check and the registration: shut_down may have missed it
    std::lock_guard lock(impl_->mutex);
    impl_->pending.erase(id);
    throw closed_error();
  }
  impl_->send(message.dump());
  if (answer.wait_for(timeout) != std::future_status::ready) {
    std::lock_guard lock(impl_->mutex);
    impl_->pending.erase(id);
    throw Error(ErrorCode::kTimeout, fmt::format("Chromium did not answer {} within {} ms", method, timeout.count()),
                {{"method", method}});
  }
  json reply = answer.get();  // rethrows the closed connection
  if (reply.contains("error")) {
    const json& e = reply["error"];
    throw CdpError(std::string(method), e.value("code", 0), e.value("message", std::string("unknown error")));
  }
  return reply.contains("result") ? std::move(reply["result"]) : json::object();
}

void CdpConnection::post(std::string_view method, json params, std::string_view session) {
  if (impl_->closed) return;
  json message = {{"id", impl_->next_id++}, {"method", method}, {"params", std::move(params)}};
  if (!session.empty()) message["sessionId"] = session;
  impl_->send(message.dump());
}

void CdpConnection::subscribe(const std::string& session, EventHandler handler) {
  std::lock_guard lock(impl_->mutex);
  impl_->handlers[session] = std::move(handler);
}

void CdpConnection::unsubscribe(const std::string& session) {
  std::lock_guard lock(impl_->mutex);
  impl_->handlers.erase(session);
}

bool CdpConnection::open() const noexcept { return !impl_->closed; }

}  // namespace tyto::browser::detail
