// Database::listen: PostgreSQL's LISTEN/NOTIFY on a connection of the listener's own, and SQLite's
// absence of it.
#include "storage/backends.hpp"
#include "support/private_postgres.hpp"

#include <fmt/format.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <thread>

using namespace tyto;
using namespace tyto::storage;
using namespace tyto::test;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

constexpr std::string_view kNotifySql = "SELECT pg_notify($1, $2)";

int backend_pid(Session& session) { return session.query_one("SELECT pg_backend_pid()")->get<int>(0); }

// Calls wait() until `count` notifications have arrived or `patience` has passed.
std::vector<Notification> receive(Listener& listener, std::size_t count, std::chrono::milliseconds patience = 10s) {
  std::vector<Notification> received;
  const auto deadline = Clock::now() + patience;
  while (received.size() < count && Clock::now() < deadline) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    for (Notification& n : listener.wait(left)) received.push_back(std::move(n));
  }
  return received;
}

std::vector<std::string> payloads(const std::vector<Notification>& notifications) {
  std::vector<std::string> out;
  for (const Notification& n : notifications) out.push_back(n.payload);
  return out;
}

}  // namespace

TEST_CASE("A PostgreSQL listener receives a committed notification with its channel, payload and sender",
          "[storage][listen]") {
  PostgresBackend backend;
  std::unique_ptr<Database> db = open_db(backend);
  std::unique_ptr<Listener> listener = db->listen({"jobs", "Odd \"Channel\".name"});
  REQUIRE(listener != nullptr);
  CHECK(listener->own_pid() != 0);

  int sender = db->transact([](Transaction& tx) {
    tx.query(kNotifySql, {"jobs", "job 42 done"});
    return backend_pid(tx);
  });
  std::vector<Notification> received = receive(*listener, 1);
  REQUIRE(received.size() == 1);
  CHECK(received[0].channel == "jobs");
  CHECK(received[0].payload == "job 42 done");
  CHECK(received[0].sender_pid == sender);
  CHECK(received[0].sender_pid != listener->own_pid());

  // The name is quoted, not folded to lower case or split at the dot.
  db->execute(std::string(kNotifySql), {"Odd \"Channel\".name", ""});
  received = receive(*listener, 1);
  REQUIRE(received.size() == 1);
  CHECK(received[0].channel == "Odd \"Channel\".name");
  CHECK(received[0].payload.empty());
  CHECK_FALSE(listener->reconnected());
}

TEST_CASE("A PostgreSQL listener never receives a rolled-back notification or another channel's", "[storage][listen]") {
  PostgresBackend backend;
  std::unique_ptr<Database> db = open_db(backend);
  std::unique_ptr<Listener> listener = db->listen({"jobs"});

  auto rolled_back = db->begin();
  rolled_back->query(kNotifySql, {"jobs", "rolled back"});
  rolled_back->rollback();
  db->execute(std::string(kNotifySql), {"elsewhere", "not listened to"});
  // Notifications arrive in commit order, so once the marker is here the others never will be.
  db->execute(std::string(kNotifySql), {"jobs", "marker"});

  std::vector<Notification> received = receive(*listener, 1);
  CHECK(payloads(received) == std::vector<std::string>{"marker"});
  CHECK(listener->wait(0ms).empty());
}

TEST_CASE("A PostgreSQL listener receives several notifications of one transaction in order", "[storage][listen]") {
  PostgresBackend backend;
  std::unique_ptr<Database> db = open_db(backend);
  std::unique_ptr<Listener> listener = db->listen({"jobs", "events"});

  db->transact([](Transaction& tx) {
    tx.query(kNotifySql, {"jobs", "1"});
    tx.query(kNotifySql, {"events", "2"});
    tx.query(kNotifySql, {"jobs", "3"});
    tx.query(kNotifySql, {"jobs", "4"});
  });
  std::vector<Notification> received = receive(*listener, 4);
  CHECK(payloads(received) == std::vector<std::string>{"1", "2", "3", "4"});
  REQUIRE(received.size() == 4);
  CHECK(received[1].channel == "events");
}

TEST_CASE("A PostgreSQL listener's wait returns empty after its timeout when nothing is sent", "[storage][listen]") {
  PostgresBackend backend;
  std::unique_ptr<Database> db = open_db(backend);
  std::unique_ptr<Listener> listener = db->listen({"jobs"});

  auto started = Clock::now();
  CHECK(listener->wait(500ms).empty());
  auto elapsed = Clock::now() - started;
  CHECK(elapsed >= 250ms);
  CHECK(elapsed < 8s);
}

TEST_CASE("interrupt() from another thread wakes a PostgreSQL listener's wait promptly", "[storage][listen]") {
  PostgresBackend backend;
  std::unique_ptr<Database> db = open_db(backend);
  std::unique_ptr<Listener> listener = db->listen({"jobs"});

  std::thread interrupter([&] {
    std::this_thread::sleep_for(100ms);
    listener->interrupt();
  });
  auto started = Clock::now();
  CHECK(listener->wait(10s).empty());
  CHECK(Clock::now() - started < 5s);
  interrupter.join();

  // The wake-up was used up: the next wait runs its course.
  started = Clock::now();
  CHECK(listener->wait(300ms).empty());
  CHECK(Clock::now() - started >= 150ms);

  // An interrupt() with no wait() running is kept for the next one.
  listener->interrupt();
  started = Clock::now();
  CHECK(listener->wait(10s).empty());
  CHECK(Clock::now() - started < 5s);
}

TEST_CASE("A PostgreSQL listener whose session is terminated reconnects and listens again", "[storage][listen]") {
  PostgresBackend backend;
  std::unique_ptr<Database> db = open_db(backend);
  std::unique_ptr<Listener> listener = db->listen({"jobs"});
  int old_pid = listener->own_pid();
  REQUIRE(db->query_one("SELECT pg_terminate_backend($1)", {old_pid})->get<bool>(0));

  bool reconnected = false;
  for (int i = 0; i < 50 && !reconnected; ++i) {
    listener->wait(200ms);
    reconnected = listener->reconnected();
  }
  REQUIRE(reconnected);
  CHECK_FALSE(listener->reconnected());
  CHECK(listener->own_pid() != 0);
  CHECK(listener->own_pid() != old_pid);

  db->execute(std::string(kNotifySql), {"jobs", "after"});
  CHECK(payloads(receive(*listener, 1)) == std::vector<std::string>{"after"});
}

TEST_CASE("A PostgreSQL listener reconnects after the server restarts and receives what is sent then",
          "[storage][listen]") {
  PrivatePostgres server;
  DatabaseOptions options;
  options.url = server.url();
  std::unique_ptr<Database> db = open_database(options);
  std::unique_ptr<Listener> listener = db->listen({"jobs"});
  int old_pid = listener->own_pid();

  // The listener keeps waiting while the server goes down and comes back, as a real one would.
  std::atomic<bool> restart_done{false};
  bool restart_ok = false;
  std::thread restarter([&] {
    restart_ok = server.restart();
    restart_done = true;
  });
  bool reconnected = false;
  bool threw = false;
  int tries_after_restart = 0;
  for (int i = 0; i < 600 && !reconnected && tries_after_restart < 50; ++i) {
    bool was_done = restart_done;
    try {
      listener->wait(200ms);
    } catch (const std::exception&) {
      threw = true;
    }
    reconnected = listener->reconnected();
    if (was_done) ++tries_after_restart;
  }
  restarter.join();
  REQUIRE(restart_ok);
  CHECK_FALSE(threw);
  REQUIRE(reconnected);
  CHECK_FALSE(listener->reconnected());
  CHECK(listener->own_pid() != 0);
  CHECK(listener->own_pid() != old_pid);

  db->execute(std::string(kNotifySql), {"jobs", "after the restart"});
  CHECK(payloads(receive(*listener, 1)) == std::vector<std::string>{"after the restart"});
}

TEST_CASE("A PostgreSQL listener whose server is gone waits out its timeouts without throwing", "[storage][listen]") {
  PrivatePostgres server;
  DatabaseOptions options;
  options.url = server.url();
  std::unique_ptr<Database> db = open_database(options);
  std::unique_ptr<Listener> listener = db->listen({"jobs"});
  REQUIRE(server.stop());

  for (int i = 0; i < 3; ++i) {
    auto started = Clock::now();
    std::vector<Notification> received;
    CHECK_NOTHROW(received = listener->wait(300ms));
    CHECK(received.empty());
    CHECK(Clock::now() - started >= 150ms);  // sleeps between attempts instead of spinning
    CHECK_FALSE(listener->reconnected());
    CHECK(listener->own_pid() == 0);
  }

  std::thread interrupter([&] {
    std::this_thread::sleep_for(100ms);
    listener->interrupt();
  });
  auto started = Clock::now();
  CHECK_NOTHROW(listener->wait(10s));
  CHECK(Clock::now() - started < 5s);
  interrupter.join();

  // A new listener has no later call to retry in: it fails like the pool does.
  CHECK_THROWS_AS(db->listen({"jobs"}), DatabaseUnavailable);
}

TEST_CASE("A PostgreSQL listener rejects a channel name the server would not match", "[storage][listen]") {
  PostgresBackend backend;
  std::unique_ptr<Database> db = open_db(backend);
  for (std::string name : {std::string(), std::string(64, 'c'), std::string("a\0b", 3)}) {
    auto error = thrown_by<Error>([&] { db->listen({"jobs", name}); });
    CHECK(error.code() == ErrorCode::kValidationFailed);
  }
  CHECK(db->listen({std::string(63, 'c')}) != nullptr);
}

TEST_CASE("SQLite has no listener", "[storage][listen]") {
  SqliteBackend backend;
  std::unique_ptr<Database> db = open_db(backend);
  CHECK(db->listen({"jobs"}) == nullptr);
}
