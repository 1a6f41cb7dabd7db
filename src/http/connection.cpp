// One HTTP connection: read a request, dispatch it, write the response, repeat while keep-alive.
#include "http/detail/framing.hpp"
#include "http/detail/server_state.hpp"
#include "http/detail/websocket_session.hpp"
#include "tyto/core/error.hpp"
#include "tyto/core/ids.hpp"
#include "tyto/core/logging.hpp"

#include <fmt/format.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket/rfc6455.hpp>

#include <array>
#include <atomic>
#include <charconv>
#include <cmath>
#include <ctime>
#include <memory>
#include <stdexcept>

namespace tyto::http::detail {
namespace {

namespace beast = boost::beast;
namespace bhttp = beast::http;
using asio::use_awaitable;
constexpr auto kTuple = asio::as_tuple(use_awaitable);

// Registers a connection with its loop for the sweep and for shutdown; unregisters on exit.
class ConnectionScope {
 public:
  ConnectionScope(ServerState& state, Loop& loop, Connection& conn) : state_(state), loop_(loop), conn_(conn) {
    loop_.connections.insert(&conn_);
    state_.open_connections.fetch_add(1);
    state_.connections_gauge.inc();
  }
  ~ConnectionScope() {
    loop_.connections.erase(&conn_);
    state_.connections_gauge.dec();
    state_.open_connections.fetch_sub(1);
  }

 private:
  ServerState& state_;
  Loop& loop_;
  Connection& conn_;
};

bool valid_request_id(std::string_view id) {
  if (id.empty() || id.size() > 128) return false;
  for (char c : id) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' || c == ':')) return false;
  }
  return true;
}

// The Date header, formatted once per second per thread.
std::string_view http_date() {
  thread_local std::time_t cached_second = 0;
  thread_local char buffer[64];
  const std::time_t now = std::time(nullptr);
  if (now != cached_second) {
    cached_second = now;
    std::tm tm{};
    gmtime_r(&now, &tm);
    std::strftime(buffer, sizeof buffer, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  }
  return buffer;
}

Response error_response(ErrorCode code, std::string_view message, const nlohmann::json& details = nullptr) {
  return Response::json(error_envelope(code, message, details), error_status(code));
}

Method to_method(bhttp::verb v) {
  switch (v) {
    case bhttp::verb::get:
      return Method::kGet;
    case bhttp::verb::head:
      return Method::kHead;
    case bhttp::verb::post:
      return Method::kPost;
    case bhttp::verb::put:
      return Method::kPut;
    case bhttp::verb::patch:
      return Method::kPatch;
    case bhttp::verb::delete_:
      return Method::kDelete;
    case bhttp::verb::options:
      return Method::kOptions;
    default:
      return Method::kOther;
  }
}

std::string allow_header(const std::vector<Method>& allowed) {
  std::string out;
  for (Method m : allowed) {
    if (!out.empty()) out += ", ";
    out += method_name(m);
  }
  if (!out.empty()) out += ", OPTIONS";
  return out;
}

}  // namespace

Response response_for(const Error& e) {
  if (e.code() == ErrorCode::kInternal || e.code() == ErrorCode::kUnavailable) {
    log::error("request failed", {{"code", error_code_name(e.code())}, {"error", e.what()}});
  }
  if (e.code() == ErrorCode::kInternal) return error_response(e.code(), "internal error");
  Response res = Response::json(e.envelope(), error_status(e.code()));
  if (const auto& d = e.details(); d.is_object() && d.contains("retry_after_s") && d["retry_after_s"].is_number()) {
    res.headers.set("Retry-After", std::to_string(std::max<std::int64_t>(1, d["retry_after_s"].get<std::int64_t>())));
  }
  if (e.code() == ErrorCode::kUnauthorized) res.headers.set("WWW-Authenticate", "Bearer");
  return res;
}

namespace {

void require_role(const Route& route, const auth::Principal& principal) {
  if (!principal.allows(route.options.role)) {
    throw Error(ErrorCode::kForbidden, "your role may not do this",
                {{"role", auth::role_name(principal.role)}, {"required", auth::role_name(route.options.role)}});
  }
}

}  // namespace

void authorize(ServerState& state, const Route& route, Request& req) {
  if (route.options.public_route || !state.authenticator) return;
  auth::Principal principal = state.authenticator->authenticate(req);
  require_role(route, principal);
  state.authenticator->admit(req, principal);
  req.principal = std::move(principal);
  if (route.options.admission) req.admission = route.options.admission(req);
}

namespace {

// Runs fn, turning what it throws into the error envelope (500 for what is not an Error).
template <typename Fn>
auto answer_errors(Fn&& fn) -> decltype(fn()) {
  try {
    return fn();
  } catch (const Error& e) {
    return response_for(e);
  } catch (const std::exception& e) {
    log::error("unhandled exception in handler", {{"error", e.what()}});
    return error_response(ErrorCode::kInternal, "internal error");
  }
}

// Authenticates, then runs the handler, turning exceptions into the error envelope. A caller that
// from_memory or deferred already authenticated and charged keeps its principal.
Response invoke_handler(ServerState& state, const Route& route, Request& req) {
  log::ScopedContext ctx(req.request_id, route.pattern);
  return answer_errors([&] {
    if (!req.principal) authorize(state, route, req);
    check_request_body(route, req);
    return route.handler(req);
  });
}

// Authentication, rate limits and the body's checks on the I/O thread, for RouteOptions::from_memory and
// deferred: false where the caches cannot tell (the request then goes to the pool, and is not charged
// twice). Throws as authorize() does.
bool authorize_from_memory(ServerState& state, const Route& route, Request& req) {
  auto principal = state.authenticator->authenticate_cached(req);
  if (!principal) return false;
  require_role(route, *principal);
  if (!state.authenticator->admit_cached(req, *principal)) return false;
  req.principal = std::move(principal);
  check_request_body(route, req);
  return true;
}

// RouteOptions::from_memory on the I/O thread: nullopt where the caches or the route cannot answer.
std::optional<Response> try_from_memory(ServerState& state, const Route& route, Request& req) {
  log::ScopedContext ctx(req.request_id, route.pattern);
  return answer_errors([&]() -> std::optional<Response> {
    if (!authorize_from_memory(state, route, req)) return std::nullopt;
    return route.options.from_memory(req);
  });
}

// The completion of one RouteOptions::deferred request: resumes the connection's coroutine on its own
// executor with what makes the response. Counted in deferred_in_flight until then, so the server outlives
// every reply. A reply the route dropped uncalled answers 500 rather than leaving the connection hanging.
template <typename Handler>
class DeferredCompletion {
 public:
  DeferredCompletion(ServerState& state, Handler handler) : state_(state), handler_(std::move(handler)) {
    ++state_.deferred_in_flight;
  }
  ~DeferredCompletion() {
    if (!replied_.load()) {
      complete([]() -> Response { throw std::logic_error("a deferred route never replied"); });
    }
  }
  DeferredCompletion(const DeferredCompletion&) = delete;
  DeferredCompletion& operator=(const DeferredCompletion&) = delete;

  // Null `make`: the route did not take the request.
  void complete(std::function<Response()> make) {
    if (replied_.exchange(true)) return;
    auto ex = asio::get_associated_executor(handler_);
    asio::post(ex, [handler = std::move(handler_), make = std::move(make)]() mutable { handler(std::move(make)); });
    --state_.deferred_in_flight;
  }

 private:
  ServerState& state_;
  Handler handler_;
  std::atomic<bool> replied_{false};
};

// RouteOptions::deferred: authorised from memory and started on the I/O thread, resumed when the route
// replies. nullopt where the caches or the route leave the request to the pool.
asio::awaitable<std::optional<Response>> try_deferred(ServerState& state, const Route& route, Request& req) {
  {
    log::ScopedContext ctx(req.request_id, route.pattern);
    bool ready = false;
    auto refused = answer_errors([&]() -> std::optional<Response> {
      ready = authorize_from_memory(state, route, req);
      return std::nullopt;
    });
    if (refused || !ready) co_return refused;  // a refusal, or the caches could not tell: the pool
  }
  auto make = co_await asio::async_initiate<decltype(use_awaitable), void(std::function<Response()>)>(
      [&state, &route, &req](auto handler) {
        auto completion = std::make_shared<DeferredCompletion<decltype(handler)>>(state, std::move(handler));
        DeferredReply reply = [completion](std::function<Response()> make) { completion->complete(std::move(make)); };
        log::ScopedContext ctx(req.request_id, route.pattern);
        try {
          if (!route.options.deferred(req, reply)) completion->complete(nullptr);
        } catch (...) {
          completion->complete([error = std::current_exception()]() -> Response { std::rethrow_exception(error); });
        }
      },
      use_awaitable);
  if (!make) co_return std::nullopt;
  log::ScopedContext ctx(req.request_id, route.pattern);
  co_return answer_errors(make);
}

asio::awaitable<Response> run_handler(ServerState& state, Connection& conn, const Route& route, Request& req) {
  // Authenticating may read the database, so a route that needs it runs on the pool even if it is quick.
  const bool on_io = route.options.run_on == RunOn::kIoThread && (route.options.public_route || !state.authenticator);
  if (on_io) co_return invoke_handler(state, route, req);
  const bool from_caches = state.authenticator && !route.options.public_route && !route.options.admission;
  if (route.options.from_memory && from_caches) {
    if (auto res = try_from_memory(state, route, req)) co_return std::move(*res);
  }
  conn.clear_deadline();  // handlers are not bound by the read timeout
  if (route.options.deferred && from_caches) {
    if (auto res = co_await try_deferred(state, route, req)) co_return std::move(*res);
  }
  // A plain post to the pool and back: no coroutine frame for the hop, which keeps this hot path cheap.
  Response res;
  auto& pool = route.options.run_on == RunOn::kCommitPool ? *state.commit_pool : *state.blocking_pool;
  co_await asio::async_initiate<decltype(use_awaitable), void()>(
      [&state, &route, &req, &res, &pool](auto handler) {
        asio::post(pool, [&state, &route, &req, &res, handler = std::move(handler)]() mutable {
          res = invoke_handler(state, route, req);
          auto ex = asio::get_associated_executor(handler);
          asio::post(ex, std::move(handler));
        });
      },
      use_awaitable);
  co_return res;
}

// Header names and values must not smuggle in a line break (response splitting).
bool safe_header_text(std::string_view s) { return s.find_first_of("\r\n") == std::string_view::npos; }

// A streamed response on the connection's socket: head without Content-Length, body until close.
class SocketResponseStream final : public ResponseStream {
 public:
  SocketResponseStream(ServerState& state, Connection& conn, tcp::socket& socket, const Request& req, unsigned version)
      : state_(state), conn_(conn), socket_(socket), req_(req), version_(version) {}

  asio::awaitable<bool> begin(int status, const Headers& headers) override {
    if (begun_) co_return false;
    begun_ = true;
    std::string head = fmt::format(
        "HTTP/1.{} {} {}\r\nServer: tyto\r\nDate: {}\r\nX-Request-Id: {}\r\n", version_ == 10 ? 0 : 1, status,
        std::string_view(bhttp::obsolete_reason(static_cast<bhttp::status>(status))), http_date(), req_.request_id);
    for (const auto& [name, value] : headers) {
      if (safe_header_text(name) && safe_header_text(value)) head += name + ": " + value + "\r\n";
    }
    head += "Connection: close\r\n\r\n";
    co_return co_await write(head);
  }

  asio::awaitable<bool> write(std::string_view chunk) override {
    conn_.expire_after(state_.config.write_timeout);
    auto [ec, n] = co_await asio::async_write(socket_, asio::buffer(chunk.data(), chunk.size()), kTuple);
    conn_.clear_deadline();
    co_return !ec;
  }

  asio::awaitable<void> blocking(std::function<void()> fn) override { co_await run_blocking(state_, std::move(fn)); }

  asio::any_io_executor executor() override { return socket_.get_executor(); }

  void abort() override {
    boost::system::error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_both, ignored);
    socket_.close(ignored);
  }

  bool begun() const { return begun_; }

 private:
  ServerState& state_;
  Connection& conn_;
  tcp::socket& socket_;
  const Request& req_;
  unsigned version_;
  bool begun_ = false;
};

struct ReadOutcome {
  enum Kind { kOk, kClosed, kRespondAndClose } kind = kOk;
  Response response;  // for kRespondAndClose
};

ReadOutcome parse_error_outcome(ServerState& state, const boost::system::error_code& ec) {
  if (ec == bhttp::error::end_of_stream || ec == asio::error::eof || ec == asio::error::connection_reset ||
      ec == asio::error::operation_aborted || ec == asio::error::bad_descriptor) {
    return {ReadOutcome::kClosed, {}};
  }
  state.protocol_errors.inc();
  if (ec == bhttp::error::header_limit) {
    return {ReadOutcome::kRespondAndClose, error_response(ErrorCode::kHeaderTooLarge, "request header too large")};
  }
  if (ec == bhttp::error::buffer_overflow) {  // the head fits (it was read whole first): this is body framing
    return {ReadOutcome::kRespondAndClose,
            error_response(ErrorCode::kBadRequest, "malformed HTTP request",
                           {{"reason", "a chunk-size line or the trailer section is too long"}})};
  }
  if (ec == bhttp::error::body_limit) {
    return {ReadOutcome::kRespondAndClose, error_response(ErrorCode::kPayloadTooLarge, "request body too large")};
  }
  if (ec.category() == bhttp::make_error_code(bhttp::error::bad_target).category()) {  // a parse error
    return {ReadOutcome::kRespondAndClose,
            error_response(ErrorCode::kBadRequest, "malformed HTTP request", {{"reason", ec.message()}})};
  }
  return {ReadOutcome::kClosed, {}};
}

// A request whose head or framing must be refused (see framing.hpp); counted as a protocol error.
Response framing_error(ServerState& state, const std::string& why) {
  state.protocol_errors.inc();
  return error_response(ErrorCode::kBadRequest, "malformed HTTP request", {{"reason", why}});
}

void fill_request(Request& req, const bhttp::request<bhttp::string_body>& msg, const std::string& remote,
                  const HttpConfig& config) {
  req.method = to_method(msg.method());
  req.target = std::string(msg.target());
  const auto q = req.target.find('?');
  req.path = req.target.substr(0, q);
  if (q != std::string::npos) req.query_string = req.target.substr(q + 1);
  for (const auto& field : msg) req.headers.add(std::string(field.name_string()), std::string(field.value()));
  if (auto id = req.headers.get("X-Request-Id"); id && valid_request_id(*id)) {
    req.request_id = std::string(*id);
  } else {
    req.request_id = new_uuid_v7();
  }
  req.remote_address = remote;
  req.max_json_depth = config.max_json_depth;
}

void append_int(std::string& out, std::size_t v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

// The status line and headers of res; the body is sent from res.body without a copy.
void serialize_head(std::string& out, const Request& req, const Response& res, bool keep_alive, unsigned version) {
  out.clear();
  out.append(version == 10 ? "HTTP/1.0 " : "HTTP/1.1 ");
  append_int(out, static_cast<std::size_t>(res.status));
  out.push_back(' ');
  out.append(bhttp::obsolete_reason(static_cast<bhttp::status>(res.status)));
  out.append("\r\nServer: tyto\r\nDate: ");
  out.append(http_date());
  if (!req.request_id.empty()) out.append("\r\nX-Request-Id: ").append(req.request_id);
  for (const auto& [name, value] : res.headers) {
    if (!safe_header_text(name) || !safe_header_text(value) || iequals(name, "Content-Length")) continue;
    out.append("\r\n").append(name).append(": ").append(value);
  }
  const bool bodiless = res.status < 200 || res.status == 204 || res.status == 304;
  if (!bodiless) {
    out.append("\r\nContent-Length: ");
    append_int(out, res.body.size());
  }
  if (!keep_alive)
    out.append("\r\nConnection: close");
  else if (version == 10)
    out.append("\r\nConnection: keep-alive");
  out.append("\r\n\r\n");
}

// Writes res; returns false if the connection broke.
asio::awaitable<bool> write_response(ServerState& state, Connection& conn, tcp::socket& socket, std::string& head,
                                     const Request& req, Response& res, bool keep_alive, unsigned version) {
  serialize_head(head, req, res, keep_alive, version);
  const bool send_body = req.method != Method::kHead && res.status >= 200 && res.status != 204 && res.status != 304;
  const std::array<asio::const_buffer, 2> buffers = {asio::buffer(head),
                                                     send_body ? asio::buffer(res.body) : asio::const_buffer()};
  conn.expire_after(state.config.write_timeout);
  auto [ec, n] = co_await asio::async_write(socket, buffers, kTuple);
  co_return !ec;
}

// Sends an error to a client whose request could not be read, then closes the connection.
asio::awaitable<void> reject(ServerState& state, Connection& conn, tcp::socket& socket, std::string& head,
                             Response res) {
  Request req;
  req.request_id = new_uuid_v7();
  log::warn("rejected malformed request", {{"status", res.status}, {"request_id", req.request_id}});
  co_await write_response(state, conn, socket, head, req, res, false, 11);
}

metrics::Counter& status_counter(ServerState& state, Loop& loop, const Route* route, Method method, int status) {
  const std::uint64_t key = (reinterpret_cast<std::uintptr_t>(route) << 16) ^
                            (static_cast<std::uint64_t>(method) << 10) ^ static_cast<std::uint64_t>(status);
  auto& slot = loop.status_counters[key];
  if (!slot) {
    const std::string status_text = std::to_string(status);
    slot = &state.requests_total.with(
        {route ? std::string_view(route->pattern) : "unmatched", method_name(method), status_text});
  }
  return *slot;
}

void record(ServerState& state, Loop& loop, const Route* route, const Request& req, int status, Clock::time_point start,
            std::size_t bytes_out) {
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  const RouteMetrics& rm = route ? state.route_metrics.at(route) : state.unmatched_metrics;
  rm.duration->observe(seconds);
  status_counter(state, loop, route, req.method, status).inc();
  if (state.config.access_log && log::enabled(log::Level::kInfo)) {
    log::ScopedContext ctx(req.request_id, route ? std::string_view(route->pattern) : std::string_view("unmatched"));
    log::info("request", {{"method", method_name(req.method)},
                          {"path", req.path},
                          {"status", status},
                          {"duration_ms", std::round(seconds * 1e6) / 1e3},
                          {"bytes_out", bytes_out},
                          {"remote_addr", req.remote_address}});
  }
}

// Everything between a complete request and the response to send.
asio::awaitable<Response> dispatch(ServerState& state, Connection& conn, Request& req, const Match& match) {
  if (state.cors.enabled() && CorsPolicy::is_preflight(req)) co_return state.cors.preflight(req, match.allowed);
  if (!match.route) {
    if (match.allowed.empty()) {
      co_return error_response(ErrorCode::kNotFound, "no such route", {{"path", req.path.substr(0, 256)}});
    }
    if (req.method == Method::kOptions) {
      Response res = Response::no_content();
      res.headers.set("Allow", allow_header(match.allowed));
      co_return res;
    }
    Response res = error_response(ErrorCode::kMethodNotAllowed, "method not allowed on this route",
                                  {{"method", method_name(req.method)}});
    res.headers.set("Allow", allow_header(match.allowed));
    co_return res;
  }
  req.route = match.route->pattern;
  req.params = match.params;
  if (match.route->websocket_handler) {
    co_return error_response(ErrorCode::kBadRequest, "this route needs a WebSocket upgrade");
  }
  co_return co_await run_handler(state, conn, *match.route, req);
}

}  // namespace

asio::awaitable<void> run_blocking(ServerState& state, std::function<void()> fn) {
  // Capture by reference only: GCC 12 double-destroys by-value captures of coroutine lambdas that
  // co_spawn moves. fn lives in this frame until the spawned coroutine completes.
  co_await asio::co_spawn(
      *state.blocking_pool,
      [&fn]() -> asio::awaitable<void> {
        fn();
        co_return;
      },
      use_awaitable);
}

namespace {

// A streamed route: the handler writes the response itself; the connection closes afterwards.
asio::awaitable<void> serve_stream(ServerState& state, Loop& loop, Connection& conn, tcp::socket& socket,
                                   std::string& head, Request& req, const Route& route, unsigned version,
                                   Clock::time_point start) {
  conn.idle = false;
  conn.clear_deadline();
  boost::system::error_code ignored_ec;
  socket.set_option(asio::socket_base::send_buffer_size(64 * 1024), ignored_ec);  // see websocket.cpp
  SocketResponseStream stream(state, conn, socket, req, version);
  conn.on_shutdown = [&stream] { stream.abort(); };
  std::optional<Response> error;
  try {
    if (!route.options.public_route && state.authenticator) {
      co_await run_blocking(state, [&] { authorize(state, route, req); });
    }
    co_await route.stream_handler(req, stream);
  } catch (const Error& e) {
    error = response_for(e);
  } catch (const std::exception& e) {
    log::ScopedContext ctx(req.request_id, route.pattern);
    log::error("unhandled exception in stream handler", {{"error", e.what()}});
    error = error_response(ErrorCode::kInternal, "internal error");
  }
  conn.on_shutdown = nullptr;
  if (error && !stream.begun()) {
    if (state.cors.enabled()) state.cors.decorate(req, *error);
    co_await write_response(state, conn, socket, head, req, *error, false, version);
    record(state, loop, &route, req, error->status, start, error->body.size());
  } else {
    record(state, loop, &route, req, 200, start, 0);
  }
  boost::system::error_code ignored;
  socket.shutdown(tcp::socket::shutdown_both, ignored);
  socket.close(ignored);
}

// The body of an upload route, read from the socket piece by piece as the handler asks for it.
class SocketRequestBody final : public RequestBody {
 public:
  SocketRequestBody(ServerState& state, Connection& conn, tcp::socket& socket, beast::flat_buffer& buffer,
                    bhttp::request_parser<bhttp::buffer_body>& parser)
      : state_(state), conn_(conn), socket_(socket), buffer_(buffer), parser_(parser), chunk_(kChunk) {}

  std::optional<std::uint64_t> content_length() const override {
    if (auto n = parser_.content_length()) return *n;
    return std::nullopt;
  }

  asio::awaitable<std::string_view> read() override {
    if (failed_) throw Error(ErrorCode::kBadRequest, "the request body was not received whole");
    if (parser_.is_done()) co_return std::string_view();
    parser_.get().body().data = chunk_.data();
    parser_.get().body().size = chunk_.size();
    conn_.expire_after(state_.config.read_timeout);
    auto [ec, n] = co_await bhttp::async_read_some(socket_, buffer_, parser_, kTuple);
    conn_.clear_deadline();
    if (ec == bhttp::error::need_buffer) ec = {};
    if (ec) {
      failed_ = true;
      if (ec == bhttp::error::body_limit) throw Error(ErrorCode::kPayloadTooLarge, "request body too large");
      throw Error(ErrorCode::kBadRequest, "the request body was not received whole", {{"reason", ec.message()}});
    }
    const std::size_t got = chunk_.size() - parser_.get().body().size;
    received_ += got;
    if (got == 0 && !parser_.is_done()) co_return co_await read();  // only framing was read (chunk headers)
    co_return std::string_view(chunk_.data(), got);
  }

  std::uint64_t received() const override { return received_; }

  asio::awaitable<void> blocking(std::function<void()> fn) override { co_await run_blocking(state_, std::move(fn)); }

  bool complete() const { return !failed_ && parser_.is_done(); }

 private:
  static constexpr std::size_t kChunk = 256 * 1024;
  ServerState& state_;
  Connection& conn_;
  tcp::socket& socket_;
  beast::flat_buffer& buffer_;
  bhttp::request_parser<bhttp::buffer_body>& parser_;
  std::vector<char> chunk_;
  std::uint64_t received_ = 0;
  bool failed_ = false;
};

// An upload route: authenticate, then hand the unread body to the handler. Returns whether the
// connection may carry another request (only if the handler consumed the whole body).
asio::awaitable<bool> serve_upload(ServerState& state, Loop& loop, Connection& conn, tcp::socket& socket,
                                   beast::flat_buffer& buffer, bhttp::request_parser<bhttp::string_body>& header,
                                   std::string& head, Request& req, const Route& route, unsigned version,
                                   std::size_t limit, Clock::time_point start) {
  conn.clear_deadline();
  const bool keep_alive_requested = header.get().keep_alive();
  const bool expects_continue = bhttp::token_list(header.get()[bhttp::field::expect]).exists("100-continue");
  bhttp::request_parser<bhttp::buffer_body> parser(std::move(header));
  parser.body_limit(limit);
  ChunkExtensionCheck check_extensions;  // the converted parser lost the header parser's callback
  parser.on_chunk_header(check_extensions);
  SocketRequestBody body(state, conn, socket, buffer, parser);
  std::optional<Response> res;
  try {
    if (!route.options.public_route && state.authenticator) {
      co_await run_blocking(state, [&] { authorize(state, route, req); });
    }
    if (expects_continue && !parser.is_done()) {
      static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
      co_await asio::async_write(socket, asio::buffer(kContinue), kTuple);
    }
    log::ScopedContext ctx(req.request_id, route.pattern);
    res = co_await route.upload_handler(req, body);
  } catch (const Error& e) {
    log::ScopedContext ctx(req.request_id, route.pattern);
    res = response_for(e);
  } catch (const std::exception& e) {
    log::ScopedContext ctx(req.request_id, route.pattern);
    log::error("unhandled exception in upload handler", {{"error", e.what()}});
    res = error_response(ErrorCode::kInternal, "internal error");
  }
  if (state.cors.enabled()) state.cors.decorate(req, *res);
  const bool keep_alive = keep_alive_requested && body.complete() && !state.stopping.load(std::memory_order_relaxed);
  const int status = res->status;
  const std::size_t bytes_out = res->body.size();
  const bool ok = co_await write_response(state, conn, socket, head, req, *res, keep_alive, version);
  record(state, loop, &route, req, status, start, bytes_out);
  co_return ok&& keep_alive;
}

// One connection's requests, one after another, in two halves. Reading (read_request and what it calls)
// takes a request off the socket: the head under the header limit and the framing checks, the route it
// matches, then the body under that route's limit. Dispatch (respond and what it calls) runs the kind of
// handler the route has, with authorization, and writes the response. A step that ends the connection
// has already sent whatever answer it owed.
class ConnectionSession {
 public:
  ConnectionSession(ServerState& state, Loop& loop, Connection& conn, tcp::socket& socket, bool monitoring_only);

  asio::awaitable<void> run();

 private:
  using HeadParser = bhttp::request_parser<bhttp::string_body>;

  // What the connection does once a request has been answered.
  enum class Next {
    kRequest,   // read the next one (keep-alive)
    kShutdown,  // shut down the sending side, then close
    kEnd,       // nothing more: the socket was closed, handed over, or is dropped as it is
  };

  // One request, as reading fills it in.
  struct Exchange {
    HeadParser parser;
    Request req;
    Match match;
    unsigned version = 11;
    Clock::time_point start;
  };

  // Reading. Each returns false when the connection ends there.
  asio::awaitable<bool> read_request(Exchange& x);
  asio::awaitable<bool> wait_for_request();
  asio::awaitable<bool> read_head(HeadParser& parser);
  asio::awaitable<bool> read_body(Exchange& x);
  std::size_t body_limit(const Match& match) const;

  // Dispatch.
  asio::awaitable<Next> respond(Exchange& x);
  asio::awaitable<Next> respond_upgrade(Exchange& x);
  asio::awaitable<Next> respond_plain(Exchange& x);
  // Answers x with res on a connection that ends after it; bytes_out is what its metrics and log record.
  asio::awaitable<void> answer_last(Exchange& x, Response& res, std::size_t bytes_out);

  ServerState& state_;
  Loop& loop_;
  Connection& conn_;
  tcp::socket& socket_;
  const bool monitoring_only_;
  // Bounded: what the parser has not consumed yet (a head, a chunk-size line, trailers) can never
  // grow past the header limit plus a little, whatever a client sends.
  beast::flat_buffer buffer_;
  const std::size_t read_chunk_;
  std::string remote_;
  std::string head_;                      // serialized response head, reused across requests
  ChunkExtensionCheck check_extensions_;  // Beast keeps a reference: it outlives every parser
};

ConnectionSession::ConnectionSession(ServerState& state, Loop& loop, Connection& conn, tcp::socket& socket,
                                     bool monitoring_only)
    : state_(state),
      loop_(loop),
      conn_(conn),
      socket_(socket),
      monitoring_only_(monitoring_only),
      buffer_(state.config.max_header_bytes + kFramingSlack),
      read_chunk_(std::min<std::size_t>(8192, buffer_.max_size())) {
  buffer_.reserve(read_chunk_);
  boost::system::error_code ec;
  auto ep = socket_.remote_endpoint(ec);
  if (!ec) remote_ = ep.address().to_string();
}

asio::awaitable<void> ConnectionSession::run() {
  Next next = Next::kRequest;
  while (next == Next::kRequest && !state_.stopping.load(std::memory_order_relaxed)) {
    Exchange x;
    if (!co_await read_request(x)) co_return;
    next = co_await respond(x);
  }
  if (next == Next::kEnd) co_return;
  boost::system::error_code ignored;
  socket_.shutdown(tcp::socket::shutdown_send, ignored);
  socket_.close(ignored);
}

// The route is matched while reading because it sets the body limit and says whether an upload handler
// reads the body itself.
asio::awaitable<bool> ConnectionSession::read_request(Exchange& x) {
  if (!co_await wait_for_request()) co_return false;
  if (!co_await read_head(x.parser)) co_return false;
  x.start = Clock::now();
  fill_request(x.req, x.parser.get(), remote_, state_.config);
  x.version = x.parser.get().version();
  if (x.req.path.empty() || x.req.path.front() != '/') {
    co_await reject(state_, conn_, socket_, head_,
                    error_response(ErrorCode::kBadRequest, "request target must be a path"));
    co_return false;
  }
  x.match = state_.router.match(x.req.method, x.req.path);
  if (monitoring_only_ && !(x.match.route && x.match.route->options.monitoring)) {  // the reserve is for health checks
    state_.connections_refused.with({"monitoring_reserve"}).inc();
    Response res = overloaded_response("connections");
    co_await answer_last(x, res, res.body.size());
    co_return false;
  }
  co_return co_await read_body(x);
}

// Idle: waits for the first byte of the next request under the idle timeout.
asio::awaitable<bool> ConnectionSession::wait_for_request() {
  conn_.idle = true;
  conn_.expire_after(state_.config.idle_timeout);
  if (buffer_.size() == 0) {
    auto [ec, n] = co_await socket_.async_read_some(buffer_.prepare(read_chunk_), kTuple);
    if (ec) co_return false;
    buffer_.commit(n);
  }
  conn_.idle = false;
  conn_.expire_after(state_.config.read_timeout);
  co_return true;
}

asio::awaitable<bool> ConnectionSession::read_head(HeadParser& parser) {
  // The whole head before parsing, so its raw bytes can be checked for what Beast would fold away.
  std::size_t end = std::string_view::npos;
  for (;;) {
    const std::string_view data(static_cast<const char*>(buffer_.data().data()), buffer_.size());
    end = head_end(data);
    if (end != std::string_view::npos || data.size() >= state_.config.max_header_bytes) break;
    auto [ec, n] = co_await socket_.async_read_some(
        buffer_.prepare(std::min(read_chunk_, buffer_.max_size() - buffer_.size())), kTuple);
    if (ec) co_return false;
    buffer_.commit(n);
  }
  if (end == std::string_view::npos || end > state_.config.max_header_bytes + 4) {
    state_.protocol_errors.inc();
    co_await reject(state_, conn_, socket_, head_,
                    error_response(ErrorCode::kHeaderTooLarge, "request header too large"));
    co_return false;
  }
  if (auto why = head_problem(std::string_view(static_cast<const char*>(buffer_.data().data()), end))) {
    co_await reject(state_, conn_, socket_, head_, framing_error(state_, *why));
    co_return false;
  }

  parser.header_limit(static_cast<std::uint32_t>(state_.config.max_header_bytes));
  // No body limit while reading the header: Beast would refuse a Content-Length over it before the route
  // (and its own limit) is known. read_body applies the route's limit.
  parser.body_limit(boost::none);
  if (auto [ec, n] = co_await bhttp::async_read_header(socket_, buffer_, parser, kTuple); ec) {
    auto outcome = parse_error_outcome(state_, ec);
    if (outcome.kind == ReadOutcome::kRespondAndClose)
      co_await reject(state_, conn_, socket_, head_, std::move(outcome.response));
    co_return false;
  }
  if (auto why = framing_problem(parser.get().base(), parser.get().version())) {
    co_await reject(state_, conn_, socket_, head_, framing_error(state_, *why));
    co_return false;
  }
  co_return true;
}

std::size_t ConnectionSession::body_limit(const Match& match) const {
  return match.route && match.route->options.max_body_bytes ? *match.route->options.max_body_bytes
                                                            : state_.config.max_body_bytes;
}

// The body, under the limit of the matched route; an upload route's handler reads it itself.
asio::awaitable<bool> ConnectionSession::read_body(Exchange& x) {
  const std::size_t limit = body_limit(x.match);
  if (auto length = x.parser.content_length(); length && *length > limit) {
    state_.protocol_errors.inc();
    Response res = error_response(ErrorCode::kPayloadTooLarge, "request body too large", {{"limit", limit}});
    co_await answer_last(x, res, 0);
    co_return false;
  }
  x.parser.body_limit(limit);
  x.parser.on_chunk_header(check_extensions_);
  if (x.match.route && x.match.route->upload_handler) co_return true;
  if (!x.parser.is_done()) {
    if (bhttp::token_list(x.parser.get()[bhttp::field::expect]).exists("100-continue")) {
      static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
      co_await asio::async_write(socket_, asio::buffer(kContinue), kTuple);
    }
    if (auto [ec, n] = co_await bhttp::async_read(socket_, buffer_, x.parser, kTuple); ec) {
      auto outcome = parse_error_outcome(state_, ec);
      if (outcome.kind == ReadOutcome::kRespondAndClose) co_await answer_last(x, outcome.response, 0);
      co_return false;
    }
  }
  x.req.body = std::move(x.parser.get().body());
  co_return true;
}

asio::awaitable<ConnectionSession::Next> ConnectionSession::respond(Exchange& x) {
  const Route* route = x.match.route;
  if (route && route->upload_handler) {
    x.req.route = route->pattern;
    x.req.params = x.match.params;
    state_.in_flight.inc();
    const bool keep = co_await serve_upload(state_, loop_, conn_, socket_, buffer_, x.parser, head_, x.req, *route,
                                            x.version, body_limit(x.match), x.start);
    state_.in_flight.dec();
    co_return keep ? Next::kRequest : Next::kShutdown;
  }
  if (route && route->stream_handler) {
    x.req.route = route->pattern;
    x.req.params = x.match.params;
    co_await serve_stream(state_, loop_, conn_, socket_, head_, x.req, *route, x.version, x.start);
    co_return Next::kEnd;
  }
  if (route && route->websocket_handler && beast::websocket::is_upgrade(x.parser.get())) {
    co_return co_await respond_upgrade(x);
  }
  co_return co_await respond_plain(x);
}

// A WebSocket route: authorize, then hand the connection to the WebSocket session.
asio::awaitable<ConnectionSession::Next> ConnectionSession::respond_upgrade(Exchange& x) {
  const Route& route = *x.match.route;
  x.req.route = route.pattern;
  x.req.params = x.match.params;
  if (!route.options.public_route && state_.authenticator) {
    std::optional<Response> refused;
    co_await run_blocking(state_, [&] {
      try {
        authorize(state_, route, x.req);
      } catch (const Error& e) {
        refused = response_for(e);
      }
    });
    if (refused) {
      if (state_.cors.enabled()) state_.cors.decorate(x.req, *refused);
      co_await answer_last(x, *refused, refused->body.size());
      co_return Next::kEnd;
    }
  }
  record(state_, loop_, &route, x.req, 101, x.start, 0);
  co_await serve_websocket(state_, conn_, socket_, x.parser.release(), std::move(x.req), route);
  co_return Next::kEnd;
}

// Any other request, or none matched: dispatch() answers it.
asio::awaitable<ConnectionSession::Next> ConnectionSession::respond_plain(Exchange& x) {
  state_.in_flight.inc();
  Response res = co_await dispatch(state_, conn_, x.req, x.match);
  state_.in_flight.dec();
  if (state_.cors.enabled()) state_.cors.decorate(x.req, res);
  const bool keep_alive = x.parser.get().keep_alive() && !state_.stopping.load(std::memory_order_relaxed);
  const int status = res.status;
  const std::size_t bytes_out = x.req.method == Method::kHead ? 0 : res.body.size();
  const bool ok = co_await write_response(state_, conn_, socket_, head_, x.req, res, keep_alive, x.version);
  record(state_, loop_, x.match.route, x.req, status, x.start, bytes_out);
  co_return (ok && keep_alive) ? Next::kRequest : Next::kShutdown;
}

asio::awaitable<void> ConnectionSession::answer_last(Exchange& x, Response& res, std::size_t bytes_out) {
  co_await write_response(state_, conn_, socket_, head_, x.req, res, false, x.version);
  record(state_, loop_, x.match.route, x.req, res.status, x.start, bytes_out);
}

}  // namespace

asio::awaitable<void> serve_connection(ServerState& state, Loop& loop, tcp::socket socket, bool monitoring_only) {
  Connection conn;
  conn.socket = &socket;
  ConnectionScope scope(state, loop, conn);
  ConnectionSession session(state, loop, conn, socket, monitoring_only);
  co_await session.run();
}

}  // namespace tyto::http::detail
