#include "tyto/events/events.hpp"

#include "tyto/core/logging.hpp"
#include "tyto/core/metrics.hpp"
#include "tyto/core/time.hpp"

#include <fmt/format.h>

#include <condition_variable>
#include <map>
#include <mutex>
#include <set>
#include <thread>

namespace tyto::events {
namespace {

using nlohmann::json;

constexpr std::string_view kChannel = "tyto_events";

constexpr std::string_view kReadTopic =
    "SELECT id, tenant_id, topic, type, data, created_at FROM events "
    "WHERE tenant_id = $1 AND topic = $2 AND id > $3 ORDER BY id LIMIT $4";
constexpr std::string_view kLastIdOfTopic =
    "SELECT COALESCE(MAX(id), 0) FROM events WHERE tenant_id = $1 AND topic = $2";
// PostgreSQL: whole batches in one round trip each, through arrays.
constexpr std::string_view kTopicLocks =
    "SELECT pg_advisory_xact_lock(hashtextextended(t, 7)) FROM unnest($1::text[]) AS t ORDER BY t";
constexpr std::string_view kNotifyAll = "SELECT pg_notify($1, k) FROM unnest($2::text[]) AS k";
constexpr std::string_view kInsertMany =
    "INSERT INTO events (tenant_id, topic, type, data, created_at) "
    "SELECT tenant_id, topic, type, data, $5 FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) "
    "AS e(tenant_id, topic, type, data) RETURNING id";
constexpr std::string_view kDeleteOld = "DELETE FROM events WHERE created_at < $1";
constexpr std::string_view kEventExists = "SELECT 1 FROM events WHERE id = $1";

Event from_row(const storage::Row& r) {
  return {r.get<std::int64_t>(0),
          r.get<std::string>(1),
          r.get<std::string>(2),
          r.get<std::string>(3),
          json::parse(r.get<std::string>(4)),
          r.get<std::int64_t>(5)};
}

// A PostgreSQL array literal of text: {"a","b\"c"}.
std::string pg_text_array(const std::vector<std::string>& items) {
  std::string out = "{";
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i) out.push_back(',');
    out.push_back('"');
    for (char c : items[i]) {
      if (c == '"' || c == '\\') out.push_back('\\');
      out.push_back(c);
    }
    out.push_back('"');
  }
  out.push_back('}');
  return out;
}

std::string topic_key(std::string_view tenant, std::string_view topic) {
  std::string k(tenant);
  k.push_back('\n');
  k.append(topic);
  return k;
}

}  // namespace

json Event::to_json() const {
  return {{"type", type}, {"seq", id}, {"topic", topic}, {"time", format_rfc3339(created_at)}, {"data", data}};
}

struct Events::Subscription::State {
  Events::Impl* impl = nullptr;
  std::string key;
  std::shared_ptr<Callback> callback;
};

class Events::Impl {
 public:
  Impl(storage::Database& db, metrics::Registry& registry)
      : db_(db),
        poke_mode_(db.dialect() == storage::Dialect::kPostgres),
        events_total_(registry.counter("tyto_events_total", "Events appended to the log").with({})),
        delivered_total_(registry.counter("tyto_events_delivered_total", "Event deliveries to subscribers").with({})),
        subscribers_(registry.gauge("tyto_event_subscribers", "Live event subscriptions").with({})) {}

  ~Impl() { stop(); }

  void start() {
    if (!poke_mode_) return;
    listener_ = db_.listen({std::string(kChannel)});
    running_ = true;
    listen_thread_ = std::thread([this] { listen_loop(); });
    deliver_thread_ = std::thread([this] { deliver_loop(); });
  }

  void stop() {
    if (!running_.exchange(false)) return;
    if (listener_) listener_->interrupt();
    cv_.notify_all();
    if (listen_thread_.joinable()) listen_thread_.join();
    if (deliver_thread_.joinable()) deliver_thread_.join();
  }

  std::vector<Event> commit(storage::Transaction& tx, const std::vector<NewEvent>& pending) {
    if (poke_mode_) {
      auto events = append(tx, pending);
      std::set<std::string> keys;
      for (const auto& e : events) keys.insert(topic_key(e.tenant_id, e.topic));
      try {
        tx.commit();
      } catch (...) {
        poke(keys);  // the commit may have happened: the delivery thread reads only what did
        throw;
      }
      poke(keys);
      return events;
    }
    std::lock_guard order(order_mutex_);  // commit order = delivery order
    auto events = append(tx, pending);
    try {
      tx.commit();
    } catch (...) {
      // A commit that fails may still have stored everything; subscribers must not miss those events.
      if (committed_anyway(events)) deliver_direct(events);
      throw;
    }
    deliver_direct(events);
    return events;
  }

  bool committed_anyway(const std::vector<Event>& events) noexcept {
    if (events.empty()) return false;
    try {
      return db_.query_one(kEventExists, {events.front().id}).has_value();
    } catch (const std::exception&) {
      return false;  // cannot tell: a reconnecting client still reads them from the log
    }
  }

  std::vector<Event> append(storage::Session& tx, const std::vector<NewEvent>& pending) {
    if (pending.empty()) return {};
    auto out = poke_mode_ ? append_postgres(tx, pending) : append_sqlite(tx, pending);
    events_total_.inc(static_cast<double>(out.size()));
    return out;
  }

  // Multi-row INSERTs without RETURNING: SQLite gathers a RETURNING statement's rows in a temporary table
  // of their own, which cost more than the insert itself. Under the single writer, AUTOINCREMENT gives the
  // rows of one statement consecutive ids, so the last one (last_insert_rowid) tells them all.
  std::vector<Event> append_sqlite(storage::Session& tx, const std::vector<NewEvent>& pending) {
    std::vector<Event> out;
    out.reserve(pending.size());
    const auto now = now_micros();
    for (std::size_t first = 0; first < pending.size();) {
      // A few fixed sizes keep the prepared statements few.
      const std::size_t left = pending.size() - first;
      const std::size_t n = left >= 32 ? 32 : left >= 8 ? 8 : 1;
      storage::Params params;
      params.reserve(1 + 4 * n);
      params.emplace_back(now);
      for (std::size_t i = first; i < first + n; ++i) {
        const auto& e = pending[i];
        params.emplace_back(e.tenant_id);
        params.emplace_back(e.topic);
        params.emplace_back(e.type);
        params.emplace_back(e.data.dump(-1, ' ', false, json::error_handler_t::replace));
      }
      tx.execute(sqlite_insert(n), params);
      const auto last = tx.query_one("SELECT last_insert_rowid()")->get<std::int64_t>(0);
      for (std::size_t i = 0; i < n; ++i) {
        const auto& e = pending[first + i];
        out.push_back({last - static_cast<std::int64_t>(n - 1 - i), e.tenant_id, e.topic, e.type, e.data, now});
      }
      first += n;
    }
    return out;
  }

  static const std::string& sqlite_insert(std::size_t rows) {
    static const auto make = [](std::size_t n) {
      std::string sql = "INSERT INTO events (tenant_id, topic, type, data, created_at) VALUES ";
      for (std::size_t i = 0; i < n; ++i) {
        sql += fmt::format("{}(${}, ${}, ${}, ${}, $1)", i ? ", " : "", 2 + 4 * i, 3 + 4 * i, 4 + 4 * i, 5 + 4 * i);
      }
      return sql;
    };
    static const std::string one = make(1), eight = make(8), many = make(32);
    return rows == 32 ? many : rows == 8 ? eight : one;
  }

  // Three round trips whatever the batch size: lock the topics (sorted, so concurrent writers take
  // them in one order), insert every event, notify every topic.
  std::vector<Event> append_postgres(storage::Session& tx, const std::vector<NewEvent>& pending) {
    std::set<std::string> topics;
    std::set<std::string> keys;
    std::vector<std::string> tenants, topic_col, types, datas;
    for (const auto& e : pending) {
      topics.insert(e.topic);
      keys.insert(topic_key(e.tenant_id, e.topic));
      tenants.push_back(e.tenant_id);
      topic_col.push_back(e.topic);
      types.push_back(e.type);
      datas.push_back(e.data.dump(-1, ' ', false, json::error_handler_t::replace));
    }
    tx.query(kTopicLocks, {pg_text_array({topics.begin(), topics.end()})});
    const auto now = now_micros();
    auto rows = tx.query(kInsertMany, {pg_text_array(tenants), pg_text_array(topic_col), pg_text_array(types),
                                       pg_text_array(datas), now});
    tx.query(kNotifyAll, {std::string(kChannel), pg_text_array({keys.begin(), keys.end()})});
    std::vector<Event> out;
    out.reserve(pending.size());
    for (std::size_t i = 0; i < pending.size(); ++i) {
      const std::int64_t id = i < rows.rows.size() ? rows.rows[i].get<std::int64_t>(0) : 0;
      out.push_back({id, pending[i].tenant_id, pending[i].topic, pending[i].type, pending[i].data, now});
    }
    return out;
  }

  Subscription subscribe(const std::string& tenant, const std::string& topic, Callback callback) {
    Subscription sub;
    sub.state_ = std::make_shared<Subscription::State>();
    sub.state_->impl = this;
    sub.state_->key = topic_key(tenant, topic);
    sub.state_->callback = std::make_shared<Callback>(std::move(callback));
    // The cursor of a topic nobody watched yet starts at its newest event; the subscriber reads
    // older ones from the log itself.
    std::optional<std::int64_t> last;
    {
      std::lock_guard lock(mutex_);
      if (!topics_.count(sub.state_->key)) last = 0;
    }
    if (last && poke_mode_) last = db_.query_one(kLastIdOfTopic, {tenant, topic})->get<std::int64_t>(0);
    std::lock_guard lock(mutex_);
    auto& t = topics_[sub.state_->key];
    if (t.subscribers.empty() && last) t.delivered = std::max(t.delivered, *last);
    t.subscribers.insert(sub.state_.get());
    t.tenant = tenant;
    t.topic = topic;
    subscribers_.inc();
    return sub;
  }

  void unsubscribe(Subscription::State* s) {
    std::lock_guard lock(mutex_);
    auto it = topics_.find(s->key);
    if (it == topics_.end()) return;
    if (it->second.subscribers.erase(s)) subscribers_.dec();
    if (it->second.subscribers.empty()) topics_.erase(it);
  }

  storage::Database& db() { return db_; }

  std::size_t subscriber_count() const {
    std::lock_guard lock(mutex_);
    std::size_t n = 0;
    for (const auto& [k, t] : topics_) n += t.subscribers.size();
    return n;
  }

 private:
  struct Topic {
    std::string tenant;
    std::string topic;
    std::int64_t delivered = 0;  // highest id delivered to this topic's subscribers
    std::set<Subscription::State*> subscribers;
  };

  // SQLite: events arrive in commit order, under order_mutex_.
  void deliver_direct(const std::vector<Event>& events) {
    for (const auto& e : events) {
      std::vector<std::shared_ptr<Callback>> targets;
      {
        std::lock_guard lock(mutex_);
        auto it = topics_.find(topic_key(e.tenant_id, e.topic));
        if (it == topics_.end() || e.id <= it->second.delivered) continue;
        it->second.delivered = e.id;
        for (auto* s : it->second.subscribers) targets.push_back(s->callback);
      }
      for (const auto& cb : targets) (*cb)(e);
      delivered_total_.inc(static_cast<double>(targets.size()));
    }
  }

  void poke(const std::set<std::string>& keys) {
    std::lock_guard lock(mutex_);
    for (const auto& k : keys) {
      if (topics_.count(k)) poked_.insert(k);
    }
    if (!poked_.empty()) cv_.notify_one();
  }

  // PostgreSQL: one thread reads each poked topic after its cursor and delivers in id order.
  void deliver_loop() {
    while (running_) {
      std::set<std::string> keys;
      {
        std::unique_lock lock(mutex_);
        cv_.wait_for(lock, std::chrono::seconds(1), [&] { return !poked_.empty() || !running_; });
        keys.swap(poked_);
      }
      for (const auto& k : keys) {
        try {
          drain_topic(k);
        } catch (const std::exception& e) {
          log::warn("event delivery failed; retrying", {{"error", e.what()}});
          std::lock_guard lock(mutex_);
          poked_.insert(k);
        }
      }
    }
  }

  void drain_topic(const std::string& key) {
    for (;;) {
      std::string tenant, topic;
      std::int64_t after = 0;
      {
        std::lock_guard lock(mutex_);
        auto it = topics_.find(key);
        if (it == topics_.end()) return;
        tenant = it->second.tenant;
        topic = it->second.topic;
        after = it->second.delivered;
      }
      auto rows = db_.query(kReadTopic, {tenant, topic, after, 500});
      if (rows.rows.empty()) return;
      for (const auto& r : rows.rows) {
        Event e = from_row(r);
        std::vector<std::shared_ptr<Callback>> targets;
        {
          std::lock_guard lock(mutex_);
          auto it = topics_.find(key);
          if (it == topics_.end()) return;
          if (e.id <= it->second.delivered) continue;
          it->second.delivered = e.id;
          for (auto* s : it->second.subscribers) targets.push_back(s->callback);
        }
        for (const auto& cb : targets) (*cb)(e);
        delivered_total_.inc(static_cast<double>(targets.size()));
      }
      if (rows.rows.size() < 500) return;
    }
  }

  void listen_loop() {
    while (running_) {
      auto notes = listener_->wait(std::chrono::seconds(1));
      std::set<std::string> keys;
      for (const auto& n : notes) keys.insert(n.payload);
      if (listener_->reconnected()) {
        // Notifications sent while disconnected are lost: re-read every watched topic.
        std::lock_guard lock(mutex_);
        for (const auto& [k, t] : topics_) keys.insert(k);
      }
      if (!keys.empty()) poke(keys);
    }
  }

  storage::Database& db_;
  const bool poke_mode_;
  metrics::Counter& events_total_;
  metrics::Counter& delivered_total_;
  metrics::Gauge& subscribers_;

  std::mutex order_mutex_;  // SQLite: held across append, commit and delivery
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  std::map<std::string, Topic> topics_;  // guarded by mutex_
  std::set<std::string> poked_;          // guarded by mutex_

  std::unique_ptr<storage::Listener> listener_;
  std::atomic<bool> running_{false};
  std::thread listen_thread_;
  std::thread deliver_thread_;
};

Events::Subscription::Subscription() = default;
Events::Subscription::~Subscription() {
  if (state_ && state_->impl) state_->impl->unsubscribe(state_.get());
}
Events::Subscription::Subscription(Subscription&&) noexcept = default;
Events::Subscription& Events::Subscription::operator=(Subscription&& o) noexcept {
  if (this != &o) {
    if (state_ && state_->impl) state_->impl->unsubscribe(state_.get());
    state_ = std::move(o.state_);
  }
  return *this;
}

Events::Events(storage::Database& db, metrics::Registry& registry) : impl_(std::make_unique<Impl>(db, registry)) {}
Events::~Events() = default;

void Events::start() { impl_->start(); }
void Events::stop() { impl_->stop(); }

std::vector<Event> Events::commit(storage::Transaction& tx, const std::vector<NewEvent>& pending) {
  return impl_->commit(tx, pending);
}

Events::Subscription Events::subscribe(const std::string& tenant_id, const std::string& topic, Callback callback) {
  return impl_->subscribe(tenant_id, topic, std::move(callback));
}

std::vector<Event> Events::read(std::string_view tenant_id, std::string_view topic, std::int64_t after_id, int limit) {
  std::vector<Event> out;
  auto result = impl_->db().query(kReadTopic, {tenant_id, topic, after_id, limit});
  out.reserve(result.rows.size());
  for (const auto& r : result.rows) out.push_back(from_row(r));
  return out;
}

std::int64_t Events::delete_older_than(std::int64_t before_micros) {
  return impl_->db().execute(kDeleteOld, {before_micros});
}

std::size_t Events::subscriber_count() const { return impl_->subscriber_count(); }

}  // namespace tyto::events
