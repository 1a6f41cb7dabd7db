// Events: an append-only log in the database plus live delivery to in-process subscribers.
//
// Every event has a monotonic id, a tenant, a topic ("job:<id>", …), a type and JSON data. Writers
// append events inside their own write transaction and commit through Events::commit, which
// appends, commits and delivers as one step, so subscribers never see an event that was rolled back.
//
// Ordering, the guarantee streams build on: for one topic, subscribers receive events in id order,
// each once. SQLite has one writer, and commit + delivery run under one lock, so delivery order is
// commit order. On PostgreSQL, append takes a transaction-scoped advisory lock on each topic it
// writes (ids on a topic follow commit order) and sends NOTIFY tyto_events with the topic; every
// instance LISTENs, and one delivery thread per instance reads each poked topic from the log after
// the last id it delivered. Local commits poke the same thread, so events written on instance A
// reach subscribers on instance B in order, with no gap and no duplicate.
//
// Streams subscribe first, then read the backlog after their cursor from the log, then take live
// events, skipping ids at or below the last one they sent.
#pragma once

#include "tyto/storage/database.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace tyto::metrics {
class Registry;
}

namespace tyto::events {

struct Event {
  std::int64_t id = 0;
  std::string tenant_id;
  std::string topic;
  std::string type;
  nlohmann::json data;
  std::int64_t created_at = 0;  // µs since the epoch

  // The wire form: {"type":…, "seq": id, "topic":…, "time": RFC 3339, "data":…}
  nlohmann::json to_json() const;
};

struct NewEvent {
  std::string tenant_id;
  std::string topic;
  std::string type;
  nlohmann::json data;
};

class Events {
 public:
  using Callback = std::function<void(const Event&)>;

  // Unsubscribes when destroyed. Movable.
  class Subscription {
   public:
    Subscription();
    ~Subscription();
    Subscription(Subscription&&) noexcept;
    Subscription& operator=(Subscription&&) noexcept;
    struct State;

   private:
    friend class Events;
    std::shared_ptr<State> state_;
  };

  // The database must outlive this object.
  Events(storage::Database& db, metrics::Registry& registry);
  ~Events();

  // PostgreSQL: opens the LISTEN connection and starts the delivery thread. No-op on SQLite.
  void start();
  void stop();

  // Appends `pending` in tx, commits tx and delivers the events. Returns them with ids and times.
  std::vector<Event> commit(storage::Transaction& tx, const std::vector<NewEvent>& pending);

  // Subscribes to one topic of one tenant. The callback runs on a delivery thread (the committing
  // thread on SQLite) and must be quick and never block: push into a bounded queue and wake.
  Subscription subscribe(const std::string& tenant_id, const std::string& topic, Callback callback);

  // Events of a topic with id > after_id, oldest first, at most `limit`.
  std::vector<Event> read(std::string_view tenant_id, std::string_view topic, std::int64_t after_id, int limit = 1000);

  // Deletes events older than `before_micros`; returns how many.
  std::int64_t delete_older_than(std::int64_t before_micros);

  std::size_t subscriber_count() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace tyto::events
