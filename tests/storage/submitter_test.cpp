// The JobSubmitter on SQLite and PostgreSQL: group commit under concurrent calls (nothing lost, nothing
// doubled, a failing call fails alone), sequential semantics inside a group, and quotas.
#include "tyto/jobs/submitter.hpp"
#include "storage/backends.hpp"
#include "support/faulty_database.hpp"
#include "tyto/core/metrics.hpp"
#include "tyto/events/events.hpp"
#include "tyto/storage/migrations.hpp"

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <set>
#include <thread>

using namespace tyto;
using namespace tyto::test;
using Outcome = jobs::EnqueueResult::Outcome;

namespace {

jobs::Runner::Pipelines test_pipelines() {
  jobs::Runner::Pipelines out;
  out["builtin.noop"].name = "builtin.noop";
  out["builtin.noop"].version = 3;
  out["platform.chore"].name = "platform.chore";
  out["platform.chore"].internal = true;
  return out;
}

void wait_until(const std::function<bool()>& done) {
  while (!done()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
}

// The first admission (the first group's) blocks until released, so the calls made meanwhile queue up
// and commit together as the second group.
struct Gate {
  std::mutex mutex;
  std::condition_variable cv;
  bool open = false;
  std::atomic<int> admissions{0};

  void admit() {
    if (admissions++ > 0) return;
    std::unique_lock lock(mutex);
    cv.wait(lock, [&] { return open; });
  }
  void release() {
    std::lock_guard lock(mutex);
    open = true;
    cv.notify_all();
  }
};

template <class Backend>
struct Fixture {
  Backend backend;
  std::unique_ptr<FaultyDatabase> db = std::make_unique<FaultyDatabase>(open_db(backend));
  metrics::Registry registry;
  std::unique_ptr<events::Events> events;
  std::unique_ptr<jobs::JobStore> store;
  jobs::Runner::Pipelines pipelines = test_pipelines();
  std::function<void(const std::string&, std::size_t)> admission;  // set by a case before submitting
  std::atomic<int> wakes{0};
  std::unique_ptr<jobs::JobSubmitter> submitter;

  Fixture() {
    storage::MigrationRunner(*db, storage::builtin_migrations(db->dialect())).migrate();
    events = std::make_unique<events::Events>(*db, registry);
    store = std::make_unique<jobs::JobStore>(*db, *events);
    submitter = std::make_unique<jobs::JobSubmitter>(
        *store, pipelines,
        [this](const std::string& tenant, std::size_t n) {
          if (admission) admission(tenant, n);
        },
        [this] { ++wakes; });
  }

  jobs::JobSpec noop(nlohmann::json input = nlohmann::json::object(), std::string tenant = "t1") {
    return submitter->spec("builtin.noop", std::move(tenant), std::move(input));
  }

  // At most `limit` unfinished jobs per tenant, counted as the platform counts them.
  void limit_unfinished(std::int64_t limit) {
    admission = [this, limit](const std::string& tenant, std::size_t n) {
      if (store->tenant_counts(tenant, 0).unfinished + static_cast<std::int64_t>(n) > limit) {
        throw Error(ErrorCode::kQuotaExceeded, "too many unfinished jobs");
      }
    };
  }

  // Runs `calls` on threads of their own while a first call holds the commit, so they form one group.
  void as_one_group(Gate& gate, std::vector<std::function<void()>> calls) {
    admission = [&gate](const std::string&, std::size_t) { gate.admit(); };
    std::thread first([&] { submitter->submit(noop({{"first", true}})); });
    wait_until([&] { return gate.admissions.load() == 1; });
    std::vector<std::thread> threads;
    for (auto& call : calls) threads.emplace_back(call);
    wait_until([&] { return submitter->queued() == calls.size(); });
    gate.release();
    first.join();
    for (auto& t : threads) t.join();
  }
};

}  // namespace

TEMPLATE_TEST_CASE("A spec names the current version of a pipeline, and an unknown pipeline is not found",
                   "[storage][jobs][submitter]", SqliteBackend, PostgresBackend) {
  Fixture<TestType> f;
  const auto spec = f.submitter->spec("builtin.noop", "t1", {{"x", 1}});
  CHECK(spec.pipeline == "builtin.noop");
  CHECK(spec.pipeline_version == 3);
  CHECK(spec.tenant_id == "t1");
  CHECK(thrown_by<Error>([&] { f.submitter->spec("nope", "t1", {}); }).code() == ErrorCode::kNotFound);
}

TEMPLATE_TEST_CASE("Many threads submitting at once each get their own job, none lost and none doubled",
                   "[storage][jobs][submitter]", SqliteBackend, PostgresBackend) {
  Fixture<TestType> f;
  constexpr int kThreads = 8;
  constexpr int kEach = 25;
  std::mutex mutex;
  std::vector<jobs::EnqueueResult> results;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        auto r = f.submitter->submit(f.noop({{"n", t * kEach + i}}));
        std::lock_guard lock(mutex);
        results.push_back(std::move(r));
      }
    });
  }
  for (auto& t : threads) t.join();

  REQUIRE(results.size() == kThreads * kEach);
  std::set<std::string> ids;
  std::set<int> inputs;
  for (const auto& r : results) {
    CHECK(r.outcome == Outcome::kCreated);
    ids.insert(r.job.id);
    inputs.insert(r.job.input["n"].template get<int>());
  }
  CHECK(ids.size() == results.size());
  CHECK(inputs.size() == results.size());
  CHECK(count_rows(*f.db, "jobs") == kThreads * kEach);
  for (const auto& id : ids) CHECK(f.events->read("t1", jobs::job_topic(id), 0).size() == 1);  // one "queued"
  CHECK(f.wakes.load() >= 1);
}

TEMPLATE_TEST_CASE("Calls committed in one group replay an idempotency key and conflict on a unique key as in sequence",
                   "[storage][jobs][submitter]", SqliteBackend, PostgresBackend) {
  Fixture<TestType> f;
  Gate gate;
  std::vector<jobs::EnqueueResult> keyed(2), unique(2);
  auto with_key = [&](int i) {
    auto spec = f.noop({{"same", "request"}});
    spec.idempotency_key = "key-1";
    keyed[static_cast<std::size_t>(i)] = f.submitter->submit(spec);
  };
  auto with_unique = [&](int i) {
    auto spec = f.noop({{"i", i}});
    spec.unique_key = "only-one";
    unique[static_cast<std::size_t>(i)] = f.submitter->submit(spec);
  };
  f.as_one_group(gate, {[&] { with_key(0); }, [&] { with_key(1); }, [&] { with_unique(0); }, [&] { with_unique(1); }});

  CHECK(gate.admissions.load() == 2);  // the first call's group, then one for the four
  std::multiset<Outcome> key_outcomes{keyed[0].outcome, keyed[1].outcome};
  CHECK(key_outcomes == std::multiset<Outcome>{Outcome::kCreated, Outcome::kIdempotentReplay});
  CHECK(keyed[0].job.id == keyed[1].job.id);
  std::multiset<Outcome> unique_outcomes{unique[0].outcome, unique[1].outcome};
  CHECK(unique_outcomes == std::multiset<Outcome>{Outcome::kCreated, Outcome::kUniqueConflict});
  CHECK(unique[0].job.id == unique[1].job.id);
  CHECK(count_rows(*f.db, "jobs") == 3);
}

TEMPLATE_TEST_CASE("A call whose jobs fail to insert fails alone and the rest of its group commits",
                   "[storage][jobs][submitter]", SqliteBackend, PostgresBackend) {
  Fixture<TestType> f;
  f.db->fail_writes_binding("doomed", DbFault::kDiskFull);
  Gate gate;
  std::atomic<int> failed{0};
  std::vector<std::string> created(3);
  auto call = [&](int i, std::optional<std::string> key) {
    auto spec = f.noop({{"i", i}});
    spec.idempotency_key = std::move(key);
    try {
      created[static_cast<std::size_t>(i)] = f.submitter->submit(spec).job.id;
    } catch (const storage::DatabaseUnavailable&) {
      ++failed;
    }
  };
  f.as_one_group(gate, {[&] { call(0, std::nullopt); }, [&] { call(1, "doomed"); }, [&] { call(2, std::nullopt); }});

  CHECK(gate.admissions.load() == 2);  // the three shared a group (one admission per tenant and group)
  CHECK(failed.load() == 1);
  CHECK(created[1].empty());
  CHECK(f.store->get("t1", created[0]));
  CHECK(f.store->get("t1", created[2]));
  CHECK(count_rows(*f.db, "jobs") == 3);  // the first call's, and the two that did not fail
}

TEMPLATE_TEST_CASE("A group whose commit fails fails every call in it and retries none", "[storage][jobs][submitter]",
                   SqliteBackend, PostgresBackend) {
  Fixture<TestType> f;
  Gate gate;
  std::atomic<int> failed{0};
  auto call = [&](int i) {
    try {
      f.submitter->submit(f.noop({{"i", i}}));
    } catch (const storage::DatabaseUnavailable&) {
      ++failed;
    }
  };
  // The outcome of a commit that lost its connection is unknown: here it stored the jobs.
  f.db->fail_commit(2, CommitPoint::kAfter, DbFault::kConnectionLost, "INSERT INTO jobs");
  f.as_one_group(gate, {[&] { call(0); }, [&] { call(1); }, [&] { call(2); }});

  CHECK(failed.load() == 3);
  CHECK(count_rows(*f.db, "jobs") == 4);  // stored once each, not again by a retry
}

TEMPLATE_TEST_CASE("Quotas hold exactly when many threads submit at once, and internal pipelines are not counted",
                   "[storage][jobs][submitter]", SqliteBackend, PostgresBackend) {
  Fixture<TestType> f;
  f.limit_unfinished(10);
  std::atomic<int> created{0}, refused{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 5; ++i) {
        try {
          f.submitter->submit(f.noop({{"n", t * 5 + i}}));
          ++created;
        } catch (const Error& e) {
          if (e.code() == ErrorCode::kQuotaExceeded) ++refused;  // Catch2's CHECK is not for other threads
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  CHECK(created.load() == 10);
  CHECK(refused.load() == 30);
  CHECK(count_rows(*f.db, "jobs") == 10);

  // Over the quota, the platform's own jobs still go in.
  auto chore = f.submitter->spec("platform.chore", "t1", nlohmann::json::object());
  CHECK(f.submitter->submit(chore).outcome == Outcome::kCreated);
  CHECK(thrown_by<Error>([&] { f.submitter->submit(f.noop()); }).code() == ErrorCode::kQuotaExceeded);
}

TEMPLATE_TEST_CASE("submit_in enqueues inside the caller's transaction and checks quotas there too",
                   "[storage][jobs][submitter]", SqliteBackend, PostgresBackend) {
  Fixture<TestType> f;
  {
    auto tx = f.db->begin();
    std::vector<events::NewEvent> pending;
    auto results = f.submitter->submit_in(*tx, {f.noop()}, pending);
    REQUIRE(results.size() == 1);
    CHECK(pending.size() == 1);
    // not committed: rolled back when tx goes
  }
  CHECK(count_rows(*f.db, "jobs") == 0);
  {
    auto tx = f.db->begin();
    std::vector<events::NewEvent> pending;
    const auto id = f.submitter->submit_in(*tx, {f.noop()}, pending).front().job.id;
    f.events->commit(*tx, pending);
    CHECK(f.store->get("t1", id));
  }
  f.limit_unfinished(1);
  auto tx = f.db->begin();
  std::vector<events::NewEvent> pending;
  CHECK(thrown_by<Error>([&] { f.submitter->submit_in(*tx, {f.noop()}, pending); }).code() ==
        ErrorCode::kQuotaExceeded);
}

TEMPLATE_TEST_CASE("submit_async answers after its commit, shares a group with waiting calls, and gets its errors",
                   "[storage][jobs][submitter]", SqliteBackend, PostgresBackend) {
  Fixture<TestType> f;
  struct Answer {
    std::vector<jobs::EnqueueResult> results;
    std::exception_ptr error;
    std::thread::id thread;
    bool stored = false;  // the job could be read when the answer came: its commit was done
  };
  std::mutex mutex;
  std::vector<Answer> answers;
  auto answer = [&](std::vector<jobs::EnqueueResult> results, std::exception_ptr error) {
    Answer a{std::move(results), error, std::this_thread::get_id()};
    a.stored = !a.error && !a.results.empty() && f.store->get("t1", a.results.front().job.id).has_value();
    std::lock_guard lock(mutex);
    answers.push_back(std::move(a));
  };
  auto answered = [&] {
    std::lock_guard lock(mutex);
    return answers.size();
  };
  auto keyed = [&] {
    auto spec = f.noop({{"same", "request"}});
    spec.idempotency_key = "key-1";
    return spec;
  };

  Gate gate;
  jobs::EnqueueResult waited;
  f.as_one_group(gate, {[&] { f.submitter->submit_async({keyed()}, answer); },
                        [&] { f.submitter->submit_async({keyed()}, answer); },
                        [&] {
                          waited = f.submitter->submit(f.noop({{"waits", true}}));
                        }});
  wait_until([&] { return answered() == 2; });
  CHECK(gate.admissions.load() == 2);  // the first call's group, then one for the three
  CHECK(waited.outcome == Outcome::kCreated);
  REQUIRE(!answers[0].error);
  REQUIRE(!answers[1].error);
  CHECK(answers[0].stored);
  CHECK(answers[1].stored);
  std::multiset<Outcome> outcomes{answers[0].results.front().outcome, answers[1].results.front().outcome};
  CHECK(outcomes == std::multiset<Outcome>{Outcome::kCreated, Outcome::kIdempotentReplay});
  CHECK(answers[0].results.front().job.id == answers[1].results.front().job.id);
  CHECK(answers[0].thread == answers[1].thread);  // the submitter's committing thread
  CHECK(answers[0].thread != std::this_thread::get_id());
  CHECK(count_rows(*f.db, "jobs") == 3);

  // Its errors come in the answer; nothing is thrown at the caller.
  f.limit_unfinished(0);
  f.submitter->submit_async({f.noop()}, answer);
  wait_until([&] { return answered() == 3; });
  REQUIRE(answers[2].error);
  CHECK(thrown_by<Error>([&] { std::rethrow_exception(answers[2].error); }).code() == ErrorCode::kQuotaExceeded);

  // Nothing to submit: answered at once, on the caller's thread.
  f.submitter->submit_async({}, answer);
  REQUIRE(answered() == 4);
  CHECK(answers[3].results.empty());
  CHECK(answers[3].thread == std::this_thread::get_id());
}

TEMPLATE_TEST_CASE("A submitter going away first commits and answers every call still queued",
                   "[storage][jobs][submitter]", SqliteBackend, PostgresBackend) {
  Fixture<TestType> f;
  Gate gate;
  f.admission = [&gate](const std::string&, std::size_t) { gate.admit(); };
  std::atomic<int> created{0};
  auto count = [&](std::vector<jobs::EnqueueResult> results, std::exception_ptr) {
    if (!results.empty() && results.front().outcome == Outcome::kCreated) ++created;
  };
  f.submitter->submit_async({f.noop({{"first", true}})}, count);  // its group waits at the gate
  wait_until([&] { return gate.admissions.load() == 1; });
  for (int i = 0; i < 5; ++i) f.submitter->submit_async({f.noop({{"i", i}})}, count);
  wait_until([&] { return f.submitter->queued() == 5; });
  std::thread closer([&] { f.submitter.reset(); });  // waits for the group in flight and the five queued
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  gate.release();
  closer.join();
  CHECK(created.load() == 6);
  CHECK(count_rows(*f.db, "jobs") == 6);
}
