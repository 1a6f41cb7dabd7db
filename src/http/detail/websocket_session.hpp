// The WebSocket half of a connection, entered after an upgrade request was read. Private.
#pragma once

#include "http/detail/server_state.hpp"
#include "tyto/http/request.hpp"

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

namespace tyto::http::detail {

// Completes the handshake on `socket` (taking it over), runs the route's WebSocket handler, and
// closes the connection when the handler returns.
asio::awaitable<void> serve_websocket(ServerState& state, Connection& conn, tcp::socket& socket,
                                      boost::beast::http::request<boost::beast::http::string_body> upgrade, Request req,
                                      const Route& route);

}  // namespace tyto::http::detail
