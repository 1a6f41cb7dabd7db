#include "api/detail/event_stream.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <deque>
#include <mutex>

namespace tyto::api::detail {
namespace {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

// What one queued message is charged besides its text: its deque slot and its share of bookkeeping.
constexpr std::size_t kEntryOverhead = 64;

std::size_t cost(const StreamMessage& m) { return m.json.size() + m.type.size() + kEntryOverhead; }

// Shared between the subscription callback (delivery thread) and the stream coroutine.
struct Mailbox {
  std::mutex mutex;
  std::deque<SharedMessage> queue;      // guarded by mutex
  std::size_t pending = 0;              // guarded by mutex: messages queued or taken and not yet sent
  std::size_t pending_bytes = 0;        // guarded by mutex: their cost
  bool overflow = false;                // guarded by mutex
  bool wake_posted = false;             // guarded by mutex
  bool sending = false;                 // touched on the executor only
  Clock::time_point send_started;       // touched on the executor only
  asio::steady_timer* timer = nullptr;  // touched on the executor only; null once the stream ended
  std::function<void()> abort;          // touched on the executor only

  void sent(const StreamMessage& m) {
    std::lock_guard lock(mutex);
    --pending;
    pending_bytes -= cost(m);
  }
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

// Sends one message, marking the mailbox as sending so the watchdog can see a send that stalls.
asio::awaitable<bool> timed_send(Mailbox& box, StreamIo& io, const StreamMessage& m) {
  box.sending = true;
  box.send_started = Clock::now();
  const bool ok = co_await io.send(m);
  box.sending = false;
  co_return ok;
}

// Cuts the client off when one send has been blocked longer than send_timeout: a client that reads
// nothing would otherwise hold its queue until the idle timeout.
struct Watchdog {
  explicit Watchdog(const asio::any_io_executor& ex) : timer(ex) {}
  asio::steady_timer timer;
  bool stop = false;
  bool done = false;
};

asio::awaitable<void> watch(Watchdog& wd, Mailbox& box, std::chrono::milliseconds send_timeout) {
  const auto tick = std::clamp<std::chrono::milliseconds>(send_timeout / 4, std::chrono::milliseconds(50),
                                                          std::chrono::milliseconds(1000));
  while (!wd.stop) {
    wd.timer.expires_after(tick);
    co_await wd.timer.async_wait(kTuple);
    if (wd.stop) break;
    if (box.sending && Clock::now() - box.send_started > send_timeout) {
      {
        std::lock_guard lock(box.mutex);
        box.overflow = true;
      }
      if (box.abort) box.abort();
      break;
    }
  }
  wd.done = true;
}

}  // namespace

SharedMessage shared_message(const events::Event& e) {
  thread_local SharedMessage last;
  if (!last || last->id != e.id) {
    last = std::make_shared<const StreamMessage>(
        StreamMessage{e.id, e.type, e.to_json().dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)});
  }
  return last;
}

asio::awaitable<StreamEnd> stream_events(events::Events& events, const std::string& tenant, const std::string& topic,
                                         std::int64_t after, StreamIo io, std::function<bool()> stop) {
  auto box = std::make_shared<Mailbox>();
  asio::steady_timer timer(io.executor);
  box->timer = &timer;
  box->abort = io.abort;
  const std::size_t max_queue = io.max_queue;
  const std::size_t max_bytes = io.max_queue_bytes;
  if (io.waker) *io.waker = [&timer] { timer.cancel(); };
  const auto ex = io.executor;

  // Subscribe before reading the backlog: whatever commits meanwhile arrives live (and is skipped
  // below if the backlog already had it).
  events::Events::Subscription sub;
  co_await io.blocking([&] {
    sub = events.subscribe(tenant, topic, [box, ex, max_queue, max_bytes](const events::Event& e) {
      SharedMessage m = shared_message(e);
      bool post = false;
      {
        std::lock_guard lock(box->mutex);
        if (box->overflow) return;
        const std::size_t c = cost(*m);
        if (box->pending >= max_queue || box->pending_bytes + c > max_bytes) {
          box->overflow = true;
        } else {
          box->queue.push_back(std::move(m));
          ++box->pending;
          box->pending_bytes += c;
        }
        if (!box->wake_posted) post = box->wake_posted = true;
      }
      if (post) wake(box, ex);
    });
  });

  Watchdog wd(ex);
  asio::co_spawn(ex, watch(wd, *box, io.send_timeout), asio::detached);

  std::int64_t cursor = after;
  StreamEnd end = StreamEnd::kStopped;
  bool gone = false;
  // Backlog, in pages.
  while (!gone) {
    std::vector<events::Event> page;
    co_await io.blocking([&] { page = events.read(tenant, topic, cursor, 500); });
    for (const auto& e : page) {
      const StreamMessage m{e.id, e.type, e.to_json().dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)};
      if (!co_await timed_send(*box, io, m)) {
        gone = true;
        break;
      }
      cursor = e.id;
    }
    if (page.size() < 500) break;
  }

  while (!gone) {
    if (stop && stop()) break;
    std::deque<SharedMessage> batch;
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
      auto [ec] = co_await timer.async_wait(kTuple);
      if (!ec && io.keep_alive && !co_await io.keep_alive()) gone = true;
      continue;
    }
    while (!batch.empty()) {
      const SharedMessage m = std::move(batch.front());
      batch.pop_front();  // dropped as soon as sent, so a long batch does not pin what was sent
      bool ok = true;
      if (m->id > cursor) ok = co_await timed_send(*box, io, *m);  // else already sent with the backlog
      box->sent(*m);
      if (!ok) {
        gone = true;
        break;
      }
      cursor = std::max(cursor, m->id);
    }
  }
  if (gone) {
    std::lock_guard lock(box->mutex);
    end = box->overflow ? StreamEnd::kTooSlow : StreamEnd::kClientGone;
  }
  box->timer = nullptr;
  box->abort = nullptr;
  if (io.waker) *io.waker = nullptr;
  // The watchdog refers to this frame: wait for it to finish.
  wd.stop = true;
  wd.timer.cancel();
  while (!wd.done) co_await asio::post(ex, asio::use_awaitable);
  co_return end;
}

}  // namespace tyto::api::detail
