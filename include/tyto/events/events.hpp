// Events: an append-only log in the database plus live delivery to subscribers.
//
// Every event has a monotonic id, a tenant, a topic ("job:<id>", …), a type and JSON data. Writers
// append events inside their own transaction (EventLog::append) and, after the commit, publish them
// (EventBus::publish), so subscribers never see an event that was rolled back.
//
// Ordering: ids are assigned by the database. Within one topic, ids follow commit order: SQLite has
// a single writer, and on PostgreSQL append takes a transaction-scoped advisory lock on the topic,
// so a reader can never see id n+1 committed while id n is still to come.
//
// Across instances (PostgreSQL), append also sends NOTIFY tyto_events; every instance LISTENs and
// publishes the events it did not write itself (EventBus::start_listening), so a subscriber on
// instance B sees events written on instance A.
//
// Streams (WebSocket, SSE) subscribe first, then read the backlog after their cursor from the log,
// then deliver live events, skipping ids already sent: no gap, no duplicate.
#pragma once

#include "tyto/storage/database.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace tyto::events {

struct Event {
  std::int64_t id = 0;
  std::string tenant_id;
  std::string topic;
  std::string type;
  nlohmann::json data;
  std::int64_t created_at = 0;  // µs since the epoch

  // {"type":…, "seq": id, "topic":…, "time": RFC 3339, "data":…}
  nlohmann::json to_json() const;
};

struct NewEvent {
  std::string tenant_id;
  std::string topic;
  std::string type;
  nlohmann::json data;
};

// The durable log. Stateless; safe from any thread.
class EventLog {
 public:
  explicit EventLog(storage::Database& db) : db_(db) {}

  // Inserts the events in `tx` and returns them with ids and times. Publish them after commit.
  std::vector<Event> append(storage::Session& tx, const std::vector<NewEvent>& events);

  // Events of a topic with id > after_id, oldest first, at most `limit`.
  std::vector<Event> read(std::string_view tenant_id, std::string_view topic, std::int64_t after_id,
                          int limit = 1000);

  // Events with id > after_id on any topic (the cross-instance tailer).
  std::vector<Event> read_all(std::int64_t after_id, int limit = 1000);

  std::int64_t last_id();

  // Deletes events older than `before_micros`; returns how many.
  std::int64_t delete_older_than(std::int64_t before_micros);

 private:
  storage::Database& db_;
};

// In-process fan-out. Subscriptions are callbacks invoked on the publishing thread: they must be
// quick and never block (typically: push into a bounded queue and wake a connection). Thread-safe.
class EventBus {
 public:
  using Callback = std::function<void(const Event&)>;

  class Subscription {
   public:
    Subscription() = default;
    Subscription(EventBus* bus, std::uint64_t id) : bus_(bus), id_(id) {}
    ~Subscription();
    Subscription(Subscription&& o) noexcept;
    Subscription& operator=(Subscription&& o) noexcept;
    Subscription(const Subscription&) = delete;
    Subscription& operator=(const Subscription&) = delete;

   private:
    EventBus* bus_ = nullptr;
    std::uint64_t id_ = 0;
  };

  // Subscribes to one topic of one tenant. The subscription ends when the handle is destroyed.
  Subscription subscribe(std::string tenant_id, std::string topic, Callback callback);

  // Delivers to matching subscribers, each event once per bus (an id seen before is skipped, so
  // the local publish and the cross-instance tailer can both deliver without duplicates).
  void publish(const std::vector<Event>& events);

  std::size_t subscriber_count() const;

 private:
  void unsubscribe(std::uint64_t id);

  struct Entry {
    std::string tenant_id;
    std::string topic;
    std::shared_ptr<Callback> callback;
  };
  mutable std::mutex mutex_;
  std::uint64_t next_id_ = 1;                               // guarded by mutex_
  std::map<std::uint64_t, Entry> subscribers_;              // guarded by mutex_
  std::multimap<std::string, std::uint64_t> by_topic_;      // guarded by mutex_
  std::int64_t high_water_ = 0;                             // guarded by mutex_: ids ≤ this were delivered
  std::vector<std::int64_t> recent_above_;                  // guarded by mutex_: delivered ids > high_water_
};

}  // namespace tyto::events
