// The outbound guard at the connection level: a SOCKS5 proxy on loopback through which one Chromium
// process makes every TCP connection (--proxy-server=socks5://…, loopback included).
//
// Chromium hands the proxy the host NAME (SOCKS5 resolves remotely); the proxy resolves it once, refuses
// the connection when any address is refused by the policy, and otherwise connects to exactly the
// addresses it checked. So DNS rebinding (a name that resolves to a public address for the Fetch guard's
// look-up and to a private one for Chromium's) cannot reach a refused address, and neither can what the
// Fetch domain never sees: WebSockets, service workers, preconnects.
//
// Thread-safety: set_sink may be called from any thread; sessions run on the proxy's own I/O thread.
#pragma once

#include "detail/page_events.hpp"

#include <functional>
#include <memory>

namespace tyto::browser::detail {

class GuardProxy {
 public:
  // Listens on 127.0.0.1 (port chosen by the kernel). Throws Error(kUnavailable) if it cannot. The policy
  // must outlive the proxy.
  explicit GuardProxy(const http::OutboundPolicy& policy);
  ~GuardProxy();  // closes every tunnel
  GuardProxy(const GuardProxy&) = delete;
  GuardProxy& operator=(const GuardProxy&) = delete;

  std::uint16_t port() const noexcept;
  // Where refused connections are reported (the page being rendered); empty: nowhere.
  void set_sink(std::function<void(RefusedRequest)> sink);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace tyto::browser::detail
