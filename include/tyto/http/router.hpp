// The route table: method + path pattern → handler, with the facts the server and the OpenAPI
// document need (body limit, where the handler runs, summary, schemas).
//
// Patterns are '/'-separated segments; "{name}" matches one segment and binds a parameter,
// "{name...}" (last segment only) matches the rest of the path. Literal segments win over
// parameters, so "/jobs/batch" and "/jobs/{id}" coexist. A single trailing slash is ignored.
//
// A path that matches with another method gives 405 with an Allow header; HEAD is served by the
// GET route without a body unless a route is added for HEAD itself (signed upload URLs answer HEAD
// without the GET route's authentication); OPTIONS is answered by the server.
//
// Thread-safety: routes are added during start-up; after Server::start the table is read-only and
// may be read from every thread.
#pragma once

#include "tyto/http/request.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace tyto::http {

class WebSocket;
class ResponseStream;
class RequestBody;

using Handler = std::function<Response(Request&)>;
using WebSocketHandler = std::function<boost::asio::awaitable<void>(Request&, WebSocket&)>;
using StreamHandler = std::function<boost::asio::awaitable<void>(Request&, ResponseStream&)>;
using UploadHandler = std::function<boost::asio::awaitable<Response>(Request&, RequestBody&)>;

// A request body read piece by piece (uploads), so the server never holds it whole. The handler runs
// as a coroutine on the connection's I/O thread: it must not block, and writes what it reads through
// blocking(). Request::body stays empty.
class RequestBody {
 public:
  virtual ~RequestBody() = default;
  // The declared Content-Length; nullopt for a chunked body.
  virtual std::optional<std::uint64_t> content_length() const = 0;
  // The next piece of the body (at most 256 KiB, valid until the next call); empty once the body is
  // complete. Throws Error(kPayloadTooLarge) past the route's body limit and Error(kBadRequest) if the
  // client disconnects or sends a malformed body; the connection is closed after the response then.
  virtual boost::asio::awaitable<std::string_view> read() = 0;
  // Bytes received so far.
  virtual std::uint64_t received() const = 0;
  // Runs fn on the blocking pool and resumes here; rethrows what fn throws.
  virtual boost::asio::awaitable<void> blocking(std::function<void()> fn) = 0;
};

// A response written piece by piece (server-sent events, long downloads). The handler runs as a
// coroutine on the connection's I/O thread: it must not block, and runs blocking work (database)
// through blocking(). Throwing tyto::Error before begin() sends the error envelope; after begin()
// the connection is simply closed.
class ResponseStream {
 public:
  virtual ~ResponseStream() = default;
  // Sends the status line and headers. The body ends when the handler returns (the connection
  // closes). Returns false if the client is gone.
  virtual boost::asio::awaitable<bool> begin(int status, const Headers& headers) = 0;
  virtual boost::asio::awaitable<bool> write(std::string_view chunk) = 0;
  // Runs fn on the blocking pool and resumes here; rethrows what fn throws.
  virtual boost::asio::awaitable<void> blocking(std::function<void()> fn) = 0;
  virtual boost::asio::any_io_executor executor() = 0;
  // Closes the connection at once; pending writes fail. Call on the stream's executor.
  virtual void abort() = 0;
};

enum class RunOn {
  kBlockingPool,  // default: the handler may block (database, files); it never runs on an I/O thread
  kIoThread,      // the handler is quick and never blocks (health, metrics): no thread hop
  // The handler mostly waits for a commit it shares with other requests (job submission's group commit):
  // it runs on a larger pool of its own (http.commit_threads), so that waiting callers neither hold the
  // blocking pool's few threads nor cap how many requests one commit gathers.
  kCommitPool,
};

// How RouteOptions::deferred answers: called once with what makes the response.
using DeferredReply = std::function<void(std::function<Response()> make)>;

// The first member of RouteOptions: nothing converts to it, so a positional brace-init ({true},
// {RunOn::kIoThread, …}) does not compile and every option is named ({.public_route = true}).
struct DesignatedOnly {
  explicit DesignatedOnly() = default;
};

// Checks of a JSON body that RouteDoc::request_schema cannot express (a lookup, a rule across fields).
// Adds {"<field>": "<what is wrong>"} to `fields`; see RouteOptions::body_check.
using BodyCheck = std::function<void(const Request& req, const nlohmann::json& body, nlohmann::json& fields)>;

// Build with designated initialisers only: RouteOptions{.role = auth::Role::kAdmin}.
struct RouteOptions {
  [[no_unique_address]] DesignatedOnly designated_initialisers_only{};
  RunOn run_on = RunOn::kBlockingPool;
  // Overrides the server's default for this route; on a WebSocket route, the largest message taken from
  // the client (default WebSocket::kMaxMessageBytes).
  std::optional<std::size_t> max_body_bytes;
  // Authentication is on by default: the server authenticates the caller before the handler runs
  // (401 without valid credentials), refuses a role below `role` (403) and applies rate limits (429).
  // Public routes (health, login, signed URLs) say so here, and see no principal.
  bool public_route = false;
  // The least role that may call the route: a ladder role (auth::Role::kUser), or a product role the product
  // declared (auth::Role::product("tailor"), which throws at install for an undeclared name), held by the
  // caller's role or granted to it (auth/roles.hpp). Listed as x-tyto-role in the OpenAPI document.
  auth::Role role = auth::Role::kViewer;
  // Health checks and metrics: these may also use the few connections kept in reserve above
  // http.max_connections, so monitoring still gets answers when the server is full.
  bool monitoring = false;
  // Long-lived routes (WebSocket, streams) of authenticated callers: called after authentication and
  // rate limits, before the upgrade or the first byte, on the blocking pool. Returns a token the server
  // keeps in Request::admission until the connection ends (release what it counts in the token's
  // deleter), or throws Error (429 too_many_streams) to refuse. Must be thread-safe. Empty: none.
  std::function<std::shared_ptr<void>(const Request&)> admission;
  // Runs after the body passed or failed RouteDoc::request_schema, before the handler, on the handler's
  // thread; what it adds to `fields` comes in the same 422 as the schema's violations, so one answer names
  // every bad field. It sees members of any type (the schema may have failed): check types before use.
  // Must be thread-safe. Empty: none.
  BodyCheck body_check;
  // An answer from memory, tried on the I/O thread before the handler's pool: after authentication and
  // rate limits that needed no database (Authenticator::authenticate_cached, admit_cached), it returns the
  // response, or nullopt to run the handler on its pool as usual (the caller is not charged twice). It
  // must not block and must be thread-safe; errors it throws get the envelope. Not for routes with an
  // admission. Empty: none.
  std::function<std::optional<Response>(Request&)> from_memory;
  // An answer that another thread gives later, started on the I/O thread: after authentication and rate
  // limits from memory (as from_memory), it returns false to run the handler on its pool as usual, or hands
  // the work on (job submission: to the group commit) and returns true; the server then frees the I/O thread
  // and answers when `reply` is called. Call `reply` exactly once, from any thread, with what makes the
  // response: it runs on the connection's I/O thread, must not block, and what it throws gets the envelope,
  // as does what `deferred` throws. `req` stays valid until then. Not for routes with an admission. Empty: none.
  std::function<bool(Request& req, DeferredReply reply)> deferred;
};

// Identifies callers and applies rate limits for the server. Called on the blocking pool (it may read
// the database) before every handler of a route that is not public; the *_cached pair, on an I/O thread,
// for routes with RouteOptions::from_memory or deferred. Thread-safe.
class Authenticator {
 public:
  virtual ~Authenticator() = default;
  // The caller of req from "Authorization: Bearer <token>" (a JWT access token or an API key), or on
  // WebSocket and SSE routes, whose browser clients cannot set headers, from "?access_token=".
  // Throws Error(kUnauthorized) when there are no credentials or they are not valid.
  virtual auth::Principal authenticate(const Request& req) = 0;
  // Charges the request to the caller's rate limits. Throws Error(kRateLimited) with
  // details.retry_after_s (the server sends it as Retry-After) when a bucket is empty.
  virtual void admit(const Request& req, const auth::Principal& principal) = 0;
  // The same two from memory only, for RouteOptions::from_memory and deferred on an I/O thread: nullopt
  // (false) where the answer needs the database; throws as above where memory already says no.
  virtual std::optional<auth::Principal> authenticate_cached(const Request&) { return std::nullopt; }
  virtual bool admit_cached(const Request&, const auth::Principal&) { return false; }
};

// What the OpenAPI document says about a route. The request schema is also a contract the router
// enforces (see check_request_body).
struct RouteDoc {
  std::string summary;
  std::string tag;                 // groups operations in the document ("system", "jobs", …)
  nlohmann::json request_schema;   // JSON Schema of the request body; null if none
  nlohmann::json response_schema;  // JSON Schema of the success response body; null if none
  int success_status = 200;
  std::string success_content_type = "application/json";
  bool request_body_optional = false;  // an empty body stands for {} (checked against request_schema as such)
};

struct Route {
  Method method;
  std::string pattern;
  Handler handler;                     // set for HTTP routes
  WebSocketHandler websocket_handler;  // set for WebSocket routes (method GET, upgrade required)
  StreamHandler stream_handler;        // set for streamed responses
  UploadHandler upload_handler;        // set for streamed request bodies
  RouteOptions options;
  RouteDoc doc;
};

struct Match {
  const Route* route = nullptr;  // null: no route for this method (see allowed) or path
  std::vector<std::pair<std::string, std::string>> params;
  std::vector<Method> allowed;  // methods that do match the path, for 405 and OPTIONS
};

// What the router does with a request body before a plain (non-streaming) handler runs, after
// authentication: on a route with a RouteDoc::request_schema it parses the body (Request::json(): 415 for
// a non-JSON Content-Type, 400 invalid_json), checks it against the schema and RouteOptions::body_check,
// and throws validation_error (422 validation_failed) with details.fields naming each bad field ("email",
// "input.ms", "jobs.3.priority"; "(root)" for the body itself). A body that passes is kept in
// req.checked_body, so the handler's req.json() does not parse it again. Routes without a schema: nothing.
void check_request_body(const Route& route, Request& req);

class Router {
 public:
  Router();
  ~Router();
  Router(Router&&) noexcept;
  Router& operator=(Router&&) noexcept;

  // Adds a route. Throws std::logic_error on a duplicate method + pattern or a malformed pattern.
  Route& add(Method method, std::string pattern, Handler handler, RouteDoc doc = {}, RouteOptions options = {});
  Route& websocket(std::string pattern, WebSocketHandler handler, RouteDoc doc = {}, RouteOptions options = {});
  Route& stream(Method method, std::string pattern, StreamHandler handler, RouteDoc doc = {},
                RouteOptions options = {});
  Route& upload(Method method, std::string pattern, UploadHandler handler, RouteDoc doc = {},
                RouteOptions options = {});

  // Matches a decoded path. Percent-decoding happens per segment before matching, so "%2F" inside
  // a segment stays inside the parameter.
  Match match(Method method, std::string_view raw_path) const;

  const std::vector<std::unique_ptr<Route>>& routes() const noexcept { return routes_; }

 private:
  struct Node;
  struct Walk;
  static bool walk(const Node* node, std::size_t i, Walk& w);

  std::unique_ptr<Node> root_;
  std::vector<std::unique_ptr<Route>> routes_;
};

}  // namespace tyto::http
