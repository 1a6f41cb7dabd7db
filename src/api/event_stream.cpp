#include "api/detail/event_stream.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <deque>
#include <mutex>

namespace tyto::api::detail {
namespace {

namespace asio = boost::asio;

// Shared between the subscription callback (delivery thread) and the stream coroutine.
struct Mailbox {
  std::mutex mutex;
  std::deque<events::Event> queue;  // guarded by mutex
  bool overflow = false;            // guarded by mutex
  bool wake_posted = false;         // guarded by mutex
  bool sending = false;             // touched on the executor only
  asio::steady_timer* timer = nullptr;  // touched on the executor only; null once the stream ended
  std::function<void()> abort;          // touched on the executor only
};

void wake(const std::shared_ptr<Mailbox>& box, const asio::any_io_executor& ex) {
  asio::post(ex, [box] {
    {
      std::lock_guard lock(box->mutex);
      box->wake_posted = false;
    }
    if (!box->timer) return;
    bool overflow;
    {
      std::lock_guard lock(box->mutex);
      overflow = box->overflow;
    }
    // A client that stopped reading leaves us stuck in a send: cut it off there.
    if (overflow && box->sending && box->abort) box->abort();
    box->timer->cancel();
  });
}

}  // namespace

asio::awaitable<StreamEnd> stream_events(events::Events& events, const std::string& tenant, const std::string& topic,
                                         std::int64_t after, StreamIo io, std::function<bool()> stop) {
  auto box = std::make_shared<Mailbox>();
  asio::steady_timer timer(io.executor);
  box->timer = &timer;
  box->abort = io.abort;
  const std::size_t max_queue = io.max_queue;
  if (io.waker) *io.waker = [&timer] { timer.cancel(); };
  const auto ex = io.executor;

  // Subscribe before reading the backlog: whatever commits meanwhile arrives live (and is skipped
  // below if the backlog already had it).
  events::Events::Subscription sub;
  co_await io.blocking([&] {
    sub = events.subscribe(tenant, topic, [box, ex, max_queue](const events::Event& e) {
      bool post = false;
      {
        std::lock_guard lock(box->mutex);
        if (box->overflow) return;
        if (box->queue.size() >= max_queue) {
          box->overflow = true;
        } else {
          box->queue.push_back(e);
        }
        if (!box->wake_posted) post = box->wake_posted = true;
      }
      if (post) wake(box, ex);
    });
  });

  std::int64_t cursor = after;
  StreamEnd end = StreamEnd::kStopped;
  // Backlog, in pages.
  for (;;) {
    std::vector<events::Event> page;
    co_await io.blocking([&] { page = events.read(tenant, topic, cursor, 500); });
    for (const auto& e : page) {
      if (!co_await io.send(e)) {
        box->timer = nullptr;
        if (io.waker) *io.waker = nullptr;
        co_return StreamEnd::kClientGone;
      }
      cursor = e.id;
    }
    if (page.size() < 500) break;
  }

  for (;;) {
    if (stop && stop()) break;
    std::deque<events::Event> batch;
    bool overflow;
    {
      std::lock_guard lock(box->mutex);
      batch.swap(box->queue);
      overflow = box->overflow;
    }
    if (overflow) {
      end = StreamEnd::kTooSlow;
      break;
    }
    if (batch.empty()) {
      timer.expires_after(std::chrono::seconds(15));
      auto [ec] = co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
      if (!ec && io.keep_alive && !co_await io.keep_alive()) {
        end = StreamEnd::kClientGone;
        break;
      }
      continue;
    }
    bool gone = false;
    for (const auto& e : batch) {
      if (e.id <= cursor) continue;  // already sent with the backlog
      box->sending = true;
      const bool ok = co_await io.send(e);
      box->sending = false;
      if (!ok) {
        gone = true;
        break;
      }
      cursor = e.id;
    }
    if (gone) {
      std::lock_guard lock(box->mutex);
      end = box->overflow ? StreamEnd::kTooSlow : StreamEnd::kClientGone;
      break;
    }
  }
  box->timer = nullptr;
  box->abort = nullptr;
  if (io.waker) *io.waker = nullptr;
  co_return end;
}

}  // namespace tyto::api::detail
