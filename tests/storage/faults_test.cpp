// The storage paths real disks and networks rarely take, on SQLite and PostgreSQL, through the
// fault-injecting wrapper (tests/support/faulty_database.hpp): writes and commits that fail, commits that
// fail after the server stored everything, and a SQLite file that really fills up.
#include "storage/backends.hpp"
#include "support/faulty_database.hpp"
#include "tyto/core/metrics.hpp"
#include "tyto/events/events.hpp"
#include "tyto/jobs/job_store.hpp"
#include "tyto/jobs/runner.hpp"
#include "tyto/pipeline/pipeline.hpp"
#include "tyto/storage/migrations.hpp"

#include <algorithm>
#include <atomic>
#include <mutex>
#include <thread>

using namespace tyto;
using namespace tyto::test;
using jobs::JobState;
using namespace std::chrono_literals;

namespace {

bool eventually(const std::function<bool()>& fn, std::chrono::milliseconds timeout = 20s) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (fn()) return true;
    std::this_thread::sleep_for(20ms);
  }
  return fn();
}

// The job store over a FaultyDatabase, and a runner for a one-stage pipeline "test.ok".
template <class Backend>
struct Fixture {
  Backend backend;
  std::unique_ptr<storage::Database> real = open_db(backend);
  FaultyDatabase db{*real};
  metrics::Registry registry;
  std::unique_ptr<events::Events> events;
  std::unique_ptr<jobs::JobStore> store;
  pipeline::StageRegistry stages;
  jobs::Runner::Pipelines pipelines;
  std::unique_ptr<jobs::Runner> runner;

  Fixture() {
    storage::MigrationRunner(*real, storage::builtin_migrations(real->dialect())).migrate();
    events = std::make_unique<events::Events>(db, registry);
    events->start();
    store = std::make_unique<jobs::JobStore>(db, *events);
    stages.add({"test.ok", "returns its input", nlohmann::json::object(), nlohmann::json::object(),
                [](pipeline::StageContext&, const nlohmann::json&) {
                  return nlohmann::json{{"ok", true}};
                }});
    auto p = pipeline::parse_pipeline(
        {{"name", "test.ok"}, {"version", 1}, {"stages", {{{"id", "ok"}, {"stage", "test.ok"}}}}}, stages, "test");
    pipelines.emplace(p.name, p);
  }
  ~Fixture() {
    if (runner) runner->stop();
    events->stop();
  }

  void start_runner(std::chrono::milliseconds lease = 30s, std::chrono::milliseconds heartbeat = 10s) {
    jobs::RunnerOptions options;
    options.workers = 2;
    options.poll_interval = 50ms;
    options.lease = lease;
    options.heartbeat_interval = heartbeat;
    options.rescue_interval = 200ms;
    runner = std::make_unique<jobs::Runner>(options, *store, pipelines, registry);
    runner->start();
  }

  jobs::JobSpec spec(std::optional<std::string> idempotency_key = std::nullopt) {
    jobs::JobSpec s;
    s.tenant_id = "t1";
    s.pipeline = "test.ok";
    s.input = nlohmann::json::object();
    s.idempotency_key = std::move(idempotency_key);
    return s;
  }

  std::int64_t jobs_count() { return count_rows(*real, "jobs"); }
  std::int64_t events_of_type(const std::string& id, const std::string& type) {
    return real->query_one("SELECT COUNT(*) FROM events WHERE topic = $1 AND type = $2", {jobs::job_topic(id), type})
        ->get<std::int64_t>(0);
  }
};

}  // namespace

TEMPLATE_TEST_CASE("The fault-injecting database fails the nth matching write and aborts its transaction",
                   "[storage][faults]", SqliteBackend, PostgresBackend) {
  TestType backend;
  std::unique_ptr<storage::Database> real = open_db(backend);
  real->execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)");
  FaultyDatabase db(*real);
  db.fail_write(2, DbFault::kDiskFull, "INSERT INTO t");
  db.execute("INSERT INTO t (id, v) VALUES (1, 'a')");  // the first matching write passes
  {
    auto tx = db.begin();
    tx->execute("UPDATE t SET v = 'b' WHERE id = 1");  // not matching
    const auto e =
        thrown_by<storage::DatabaseUnavailable>([&] { tx->execute("INSERT INTO t (id, v) VALUES (2, 'b')"); });
    CHECK(error_status(e.code()) == 503);
    CHECK_THROWS_AS(tx->execute("INSERT INTO t (id, v) VALUES (3, 'c')"), storage::DatabaseError);
    CHECK_THROWS_AS(tx->commit(), storage::DatabaseError);
  }
  CHECK(db.injected() == 1);
  CHECK(real->query_one("SELECT v FROM t WHERE id = 1")->get<std::string>(0) == "a");  // the update rolled back
  CHECK(count_rows(*real, "t") == 1);

  SECTION("a commit that fails before stores nothing") {
    db.fail_commit(1, CommitPoint::kBefore, DbFault::kConnectionLost);
    auto tx = db.begin();
    tx->execute("INSERT INTO t (id, v) VALUES (5, 'e')");
    CHECK_THROWS_AS(tx->commit(), storage::DatabaseUnavailable);
    CHECK(count_rows(*real, "t") == 1);
  }
  SECTION("a commit that fails after stores everything") {
    db.fail_commit(1, CommitPoint::kAfter, DbFault::kConnectionLost);
    CHECK_THROWS_AS(db.execute("INSERT INTO t (id, v) VALUES (5, 'e')"), storage::DatabaseUnavailable);
    CHECK(count_rows(*real, "t") == 2);
  }
}

// The wrapper throws what the driver throws: here SQLite really runs out of pages.
TEST_CASE("A SQLite database that is full answers 503 unavailable, not 500", "[storage][faults]") {
  SqliteBackend backend;
  auto db = open_db(backend);
  db->execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v BLOB)");
  {
    // max_page_count is per connection: set it on the single writer, which every write uses.
    auto tx = db->begin();
    const auto pages = tx->query_one("PRAGMA page_count")->get<std::int64_t>(0);
    tx->query("PRAGMA max_page_count = " + std::to_string(pages + 2));
    tx->commit();
  }
  const std::string big(64 * 1024, 'x');
  const auto e = thrown_by<storage::DatabaseError>([&] {
    for (int i = 0; i < 10; ++i) db->execute("INSERT INTO t (v) VALUES ($1)", {storage::Blob{big}});
  });
  INFO(e.what());
  CHECK(e.code() == ErrorCode::kUnavailable);
  CHECK(error_status(e.code()) == 503);
  CHECK(std::string(e.what()).find("full") != std::string::npos);
}

TEMPLATE_TEST_CASE("A job whose enqueue commit fails before storing is absent, and a retry enqueues it once",
                   "[storage][jobs][faults]", SqliteBackend, PostgresBackend) {
  Fixture<TestType> f;
  f.db.fail_commit(1, CommitPoint::kBefore, DbFault::kConnectionLost, "INSERT INTO jobs");
  const auto e = thrown_by<storage::DatabaseUnavailable>([&] { f.store->enqueue({f.spec("key-1")}); });
  CHECK(error_status(e.code()) == 503);
  CHECK(f.jobs_count() == 0);  // no phantom

  const auto retried = f.store->enqueue({f.spec("key-1")}).front();
  CHECK(retried.outcome == jobs::EnqueueResult::Outcome::kCreated);
  CHECK(f.jobs_count() == 1);
  CHECK(f.events_of_type(retried.job.id, "queued") == 1);
}

TEMPLATE_TEST_CASE("A job whose enqueue commit fails after storing exists once when retried with its idempotency key",
                   "[storage][jobs][faults]", SqliteBackend, PostgresBackend) {
  Fixture<TestType> f;
  f.db.fail_commit(1, CommitPoint::kAfter, DbFault::kConnectionLost, "INSERT INTO jobs");
  const auto e = thrown_by<storage::DatabaseUnavailable>([&] { f.store->enqueue({f.spec("key-1")}); });
  CHECK(error_status(e.code()) == 503);
  CHECK(f.jobs_count() == 1);  // stored, though the caller heard otherwise

  const auto retried = f.store->enqueue({f.spec("key-1")}).front();
  CHECK(retried.outcome == jobs::EnqueueResult::Outcome::kIdempotentReplay);
  CHECK(f.jobs_count() == 1);  // no duplicate
  CHECK(f.events_of_type(retried.job.id, "queued") == 1);
}

TEMPLATE_TEST_CASE("A finish whose commit fails is recorded by the runner's next try and reported once",
                   "[storage][jobs][faults]", SqliteBackend, PostgresBackend) {
  Fixture<TestType> f;
  const auto point = GENERATE(CommitPoint::kBefore, CommitPoint::kAfter);
  INFO((point == CommitPoint::kBefore ? "commit fails before" : "commit fails after"));
  f.db.fail_commit(1, point, DbFault::kConnectionLost, "state = 'succeeded'");
  const auto job = f.store->enqueue({f.spec()}).front().job;

  // A live subscriber must see the final event even when its commit reported a failure.
  std::mutex mutex;
  std::vector<std::string> seen;
  auto subscription = f.events->subscribe("t1", jobs::job_topic(job.id), [&](const events::Event& e) {
    std::lock_guard lock(mutex);
    seen.push_back(e.type);
  });
  f.start_runner();
  REQUIRE(eventually([&] { return f.store->get("t1", job.id)->state == JobState::kSucceeded; }));
  CHECK(f.db.injected() == 1);
  CHECK(f.store->get("t1", job.id)->attempts == 1);
  CHECK(f.events_of_type(job.id, "succeeded") == 1);
  CHECK(eventually(
      [&] {
        std::lock_guard lock(mutex);
        return std::count(seen.begin(), seen.end(), "succeeded") == 1;
      },
      5s));
}

TEMPLATE_TEST_CASE("A runner whose finishes fail for longer than its retries records them once the database recovers",
                   "[storage][jobs][faults]", SqliteBackend, PostgresBackend) {
  Fixture<TestType> f;
  f.db.fail_write(1, DbFault::kDiskFull, "state = 'succeeded'", FaultyDatabase::kForever);
  const auto job = f.store->enqueue({f.spec()}).front().job;
  f.start_runner(1s, 200ms);  // a short lease: without the heartbeat, a rescue would come within a second
  // The runner tries 51 times, 100 ms apart, before it sets the outcome aside; the lease outlives that.
  REQUIRE(eventually([&] { return f.db.injected() >= 51; }, 30s));
  std::this_thread::sleep_for(1500ms);
  CHECK(f.store->get("t1", job.id)->state == JobState::kRunning);
  f.db.clear();
  // Dropping the outcome would leave the job running for ever: the heartbeat keeps renewing its lease.
  CHECK(eventually([&] { return f.store->get("t1", job.id)->state == JobState::kSucceeded; }, 15s));
  CHECK(f.store->get("t1", job.id)->attempts == 1);
  CHECK(f.events_of_type(job.id, "succeeded") == 1);
}
