#include "tyto/http/websocket.hpp"
#include "http/detail/websocket_session.hpp"
#include "tyto/core/logging.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket.hpp>

namespace tyto::http::detail {
namespace {

namespace beast = boost::beast;
namespace websocket = beast::websocket;
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

class BeastWebSocket final : public WebSocket {
 public:
  BeastWebSocket(websocket::stream<tcp::socket>& ws, ServerState& state) : ws_(ws), state_(state) {}

  asio::awaitable<std::optional<std::string>> receive() override {
    if (closed_) co_return std::nullopt;
    beast::flat_buffer buffer;
    auto [ec, n] = co_await ws_.async_read(buffer, kTuple);
    if (ec) {
      closed_ = true;
      co_return std::nullopt;
    }
    co_return beast::buffers_to_string(buffer.data());
  }

  asio::awaitable<bool> send(std::string_view text) override {
    if (closed_) co_return false;
    ws_.text(true);
    auto [ec, n] = co_await ws_.async_write(asio::buffer(text.data(), text.size()), kTuple);
    if (ec) closed_ = true;
    co_return !ec;
  }

  asio::awaitable<void> close(int code, std::string_view reason) override {
    if (closed_) co_return;
    closed_ = true;
    websocket::close_reason cr(static_cast<websocket::close_code>(code), std::string(reason.substr(0, 120)));
    co_await ws_.async_close(cr, kTuple);
  }

  asio::any_io_executor executor() override { return ws_.get_executor(); }

  asio::awaitable<void> blocking(std::function<void()> fn) override { co_await run_blocking(state_, std::move(fn)); }

  void abort() override {
    closed_ = true;
    boost::system::error_code ignored;
    ws_.next_layer().shutdown(tcp::socket::shutdown_both, ignored);
    ws_.next_layer().close(ignored);
  }

  bool closed() const noexcept { return closed_; }

 private:
  websocket::stream<tcp::socket>& ws_;
  ServerState& state_;
  bool closed_ = false;
};

}  // namespace

asio::awaitable<void> serve_websocket(ServerState& state, Connection& conn, tcp::socket& socket,
                                      boost::beast::http::request<boost::beast::http::string_body> upgrade, Request req,
                                      const Route& route) {
  websocket::stream<tcp::socket> ws(std::move(socket));
  // Streams are long-lived: a modest kernel buffer bounds memory per client and lets a client that
  // stops reading be noticed (and cut off) after a bounded backlog.
  boost::system::error_code ignored_ec;
  ws.next_layer().set_option(asio::socket_base::send_buffer_size(64 * 1024), ignored_ec);
  conn.socket = &ws.next_layer();
  conn.clear_deadline();  // the WebSocket layer has its own handshake and idle timeouts
  conn.idle = false;
  conn.on_shutdown = [&ws] {
    boost::system::error_code ignored;
    ws.next_layer().shutdown(tcp::socket::shutdown_both, ignored);
    ws.next_layer().close(ignored);
  };

  websocket::stream_base::timeout timeouts{};
  timeouts.handshake_timeout = state.config.read_timeout;
  timeouts.idle_timeout = state.config.idle_timeout;
  timeouts.keep_alive_pings = true;  // a ping at half the idle timeout; no pong by the end closes
  ws.set_option(timeouts);
  ws.read_message_max(route.options.max_body_bytes.value_or(WebSocket::kMaxMessageBytes));
  // No compression: permessage-deflate would keep a zlib state (hundreds of KiB) per connection.
  websocket::permessage_deflate no_deflate;
  no_deflate.server_enable = false;
  ws.set_option(no_deflate);
  ws.set_option(websocket::stream_base::decorator([id = req.request_id](websocket::response_type& res) {
    res.set(beast::http::field::server, "tyto");
    res.set("X-Request-Id", id);
  }));

  auto [ec] = co_await ws.async_accept(upgrade, kTuple);
  if (ec) co_return;

  BeastWebSocket socket_view(ws, state);
  {
    log::ScopedContext ctx(req.request_id, route.pattern);
    log::debug("websocket opened");
  }
  bool failed = false;
  try {
    co_await route.websocket_handler(req, socket_view);
  } catch (const std::exception& e) {
    log::ScopedContext ctx(req.request_id, route.pattern);
    log::error("websocket handler failed", {{"error", e.what()}});
    failed = true;
  }
  if (failed) co_await socket_view.close(1011, "internal error");
  if (!socket_view.closed()) co_await socket_view.close(1000, "");
  conn.on_shutdown = nullptr;
}

}  // namespace tyto::http::detail
