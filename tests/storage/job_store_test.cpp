// The job state machine at the store level, on SQLite and PostgreSQL: every transition is one SQL
// statement, and the compare-and-set rules hold.
#include "tyto/jobs/job_store.hpp"
#include "storage/backends.hpp"
#include "tyto/core/metrics.hpp"
#include "tyto/core/time.hpp"
#include "tyto/events/events.hpp"
#include "tyto/storage/migrations.hpp"

#include <set>
#include <thread>

using namespace tyto;
using namespace tyto::test;
using jobs::JobState;
using jobs::Outcome;
using namespace std::chrono_literals;

namespace {

template <class Backend>
struct Fixture {
  Backend backend;
  std::unique_ptr<storage::Database> db = open_db(backend);
  metrics::Registry registry;
  std::unique_ptr<events::Events> events;
  std::unique_ptr<jobs::JobStore> store;

  Fixture() {
    storage::MigrationRunner(*db, storage::builtin_migrations(db->dialect())).migrate();
    events = std::make_unique<events::Events>(*db, registry);
    store = std::make_unique<jobs::JobStore>(*db, *events);
  }

  jobs::Job enqueue(jobs::JobSpec spec = {}) {
    if (spec.tenant_id.empty()) spec.tenant_id = "t1";
    if (spec.pipeline.empty()) spec.pipeline = "builtin.noop";
    return store->enqueue({spec}).front().job;
  }

  std::vector<std::string> types(const std::string& id) {
    std::vector<std::string> out;
    for (const auto& e : events->read("t1", jobs::job_topic(id), 0)) out.push_back(e.type);
    return out;
  }
};

}  // namespace

TEMPLATE_TEST_CASE("A job moves queued to running to succeeded, with one event per step", "[storage][jobs]",
                   SqliteBackend, PostgresBackend) {
  Fixture<TestType> f;
  const auto job = f.enqueue();
  CHECK(job.state == JobState::kQueued);
  CHECK(job.attempts == 0);
  auto claimed = f.store->claim("runner-a", 10, 30s);
  REQUIRE(claimed.size() == 1);
  CHECK(claimed[0].state == JobState::kRunning);
  CHECK(claimed[0].attempts == 1);
  CHECK(claimed[0].lease_owner == "runner-a");
  CHECK(f.store->claim("runner-b", 10, 30s).empty());  // nothing left to claim

  const auto applied =
      f.store->finish("runner-a", {{job.id, 1, {Outcome::Kind::kSucceeded, {{"ok", true}}, nullptr, 0}, {}}});
  CHECK(applied == std::vector<bool>{true});
  const auto done = *f.store->get("t1", job.id);
  CHECK(done.state == JobState::kSucceeded);
  CHECK(done.result["ok"] == true);
  CHECK_FALSE(done.lease_owner);
  CHECK(f.types(job.id) == std::vector<std::string>{"queued", "started", "succeeded"});
}

TEMPLATE_TEST_CASE("Finishing is compare-and-set on attempt and owner", "[storage][jobs]", SqliteBackend,
                   PostgresBackend) {
  Fixture<TestType> f;
  const auto job = f.enqueue({.max_attempts = 3});
  REQUIRE(f.store->claim("runner-a", 1, 30s).size() == 1);
  const Outcome ok{Outcome::Kind::kSucceeded, {{"by", "intruder"}}, nullptr, 0};
  CHECK(f.store->finish("runner-b", {{job.id, 1, ok, {}}}) == std::vector<bool>{false});  // not the owner
  CHECK(f.store->finish("runner-a", {{job.id, 2, ok, {}}}) == std::vector<bool>{false});  // not this attempt
  CHECK(f.store->get("t1", job.id)->state == JobState::kRunning);
}

TEMPLATE_TEST_CASE("An expired lease is rescued and the late finisher of the old attempt changes nothing",
                   "[storage][jobs]", SqliteBackend, PostgresBackend) {
  Fixture<TestType> f;
  const auto job = f.enqueue({.max_attempts = 3});
  REQUIRE(f.store->claim("crashed", 1, 1ms).size() == 1);
  std::this_thread::sleep_for(5ms);
  CHECK(f.store->rescue() == std::vector<std::string>{job.id});
  CHECK(f.store->get("t1", job.id)->state == JobState::kQueued);

  auto second = f.store->claim("runner-b", 1, 30s);
  REQUIRE(second.size() == 1);
  CHECK(second[0].attempts == 2);
  const Outcome late{Outcome::Kind::kSucceeded, {{"from", "attempt 1"}}, nullptr, 0};
  CHECK(f.store->finish("crashed", {{job.id, 1, late, {}}}) == std::vector<bool>{false});
  const Outcome fresh{Outcome::Kind::kSucceeded, {{"from", "attempt 2"}}, nullptr, 0};
  CHECK(f.store->finish("runner-b", {{job.id, 2, fresh, {}}}) == std::vector<bool>{true});
  CHECK(f.store->get("t1", job.id)->result["from"] == "attempt 2");
}

TEMPLATE_TEST_CASE("A rescued job out of attempts fails with lease_expired", "[storage][jobs]", SqliteBackend,
                   PostgresBackend) {
  Fixture<TestType> f;
  const auto job = f.enqueue({.max_attempts = 1});
  REQUIRE(f.store->claim("crashed", 1, 1ms).size() == 1);
  std::this_thread::sleep_for(5ms);
  f.store->rescue();
  const auto failed = *f.store->get("t1", job.id);
  CHECK(failed.state == JobState::kFailed);
  CHECK(failed.error["code"] == "lease_expired");
}

TEMPLATE_TEST_CASE("Retry, release and cancel move a running job back or to its end", "[storage][jobs]", SqliteBackend,
                   PostgresBackend) {
  Fixture<TestType> f;
  const auto a = f.enqueue({.max_attempts = 3});
  const auto b = f.enqueue();
  const auto c = f.enqueue();
  REQUIRE(f.store->claim("r", 3, 30s).size() == 3);
  const auto later = a.created_at + 60'000'000;
  f.store->finish("r", {{a.id, 1, {Outcome::Kind::kRetry, nullptr, {{"code", "x"}}, later}, {}},
                        {b.id, 1, {Outcome::Kind::kRelease, nullptr, nullptr, 0}, {}},
                        {c.id, 1, {Outcome::Kind::kCancelled, nullptr, nullptr, 0}, {}}});
  const auto ra = *f.store->get("t1", a.id);
  CHECK(ra.state == JobState::kQueued);
  CHECK(ra.run_at == later);
  CHECK(ra.attempts == 1);
  const auto rb = *f.store->get("t1", b.id);
  CHECK(rb.state == JobState::kQueued);
  CHECK(rb.attempts == 0);  // a released attempt is not counted
  CHECK(f.store->get("t1", c.id)->state == JobState::kCancelled);
  // The retried job is not due yet; the released one is.
  auto next = f.store->claim("r", 10, 30s);
  REQUIRE(next.size() == 1);
  CHECK(next[0].id == b.id);
}

TEMPLATE_TEST_CASE("A deferred release waits until its time and spends no attempt", "[storage][jobs]", SqliteBackend,
                   PostgresBackend) {
  Fixture<TestType> f;
  const auto a = f.enqueue({.max_attempts = 1});
  REQUIRE(f.store->claim("r", 1, 30s).size() == 1);
  const auto later = tyto::now_micros() + 60'000'000;
  f.store->finish("r", {{a.id,
                         1,
                         {Outcome::Kind::kRelease,
                          nullptr,
                          {{"code", "deferred"}, {"message", "the provider is busy"}, {"retryable", true}},
                          later},
                         {}}});
  const auto ra = *f.store->get("t1", a.id);
  CHECK(ra.state == JobState::kQueued);
  CHECK(ra.run_at == later);
  CHECK(ra.attempts == 0);  // its one attempt is still to come
  CHECK(f.store->claim("r", 1, 30s).empty());
}

TEMPLATE_TEST_CASE("Claims follow priority, then due time, then age, and skip jobs not yet due", "[storage][jobs]",
                   SqliteBackend, PostgresBackend) {
  Fixture<TestType> f;
  const auto low = f.enqueue({.priority = 0});
  const auto high = f.enqueue({.priority = 5});
  const auto future = f.enqueue({.priority = 9, .run_at = low.created_at + 3'600'000'000LL});
  const auto low2 = f.enqueue({.priority = 0});
  auto order = f.store->claim("r", 10, 30s);
  REQUIRE(order.size() == 3);
  CHECK(order[0].id == high.id);
  CHECK(order[1].id == low.id);
  CHECK(order[2].id == low2.id);
  CHECK(f.store->get("t1", future.id)->state == JobState::kQueued);
}

TEMPLATE_TEST_CASE("Unique keys hold among unfinished jobs only", "[storage][jobs]", SqliteBackend, PostgresBackend) {
  Fixture<TestType> f;
  jobs::JobSpec spec{.tenant_id = "t1", .pipeline = "builtin.noop", .unique_key = "k"};
  auto first = f.store->enqueue({spec}).front();
  CHECK(first.outcome == jobs::EnqueueResult::Outcome::kCreated);
  auto second = f.store->enqueue({spec}).front();
  CHECK(second.outcome == jobs::EnqueueResult::Outcome::kUniqueConflict);
  CHECK(second.job.id == first.job.id);
  f.store->cancel("t1", first.job.id);
  CHECK(f.store->enqueue({spec}).front().outcome == jobs::EnqueueResult::Outcome::kCreated);
  // Another tenant has keys of its own.
  spec.tenant_id = "t2";
  CHECK(f.store->enqueue({spec}).front().outcome == jobs::EnqueueResult::Outcome::kCreated);
}

TEMPLATE_TEST_CASE("Two runners claiming at once never get the same job", "[storage][jobs]", SqliteBackend,
                   PostgresBackend) {
  Fixture<TestType> f;
  std::vector<jobs::JobSpec> specs(200, jobs::JobSpec{.tenant_id = "t1", .pipeline = "builtin.noop"});
  f.store->enqueue(specs);
  std::vector<std::string> a, b;
  auto worker = [&](const std::string& owner, std::vector<std::string>& got) {
    for (;;) {
      auto claimed = f.store->claim(owner, 7, 30s);
      if (claimed.empty()) return;
      for (const auto& j : claimed) got.push_back(j.id);
    }
  };
  std::thread ta(worker, "a", std::ref(a));
  std::thread tb(worker, "b", std::ref(b));
  ta.join();
  tb.join();
  std::set<std::string> all(a.begin(), a.end());
  for (const auto& id : b) CHECK(all.insert(id).second);
  CHECK(all.size() == 200);
}

TEMPLATE_TEST_CASE("Quota counts leave out the pipelines they are told are internal", "[storage][jobs][quotas]",
                   SqliteBackend, PostgresBackend) {
  Fixture<TestType> f;
  jobs::JobSpec user;
  f.enqueue(user);
  jobs::JobSpec internal;
  internal.pipeline = "example.render";
  f.enqueue(internal);
  f.enqueue(internal);

  const auto all = f.store->tenant_counts("t1", 0);
  CHECK(all.unfinished == 3);
  CHECK(all.created_since == 3);
  const auto charged = f.store->tenant_counts("t1", 0, {"example.render", "webhooks.deliver"});
  CHECK(charged.unfinished == 1);
  CHECK(charged.created_since == 1);
}

TEMPLATE_TEST_CASE("The text form of a job reads as its JSON form, in every state", "[storage][jobs]", SqliteBackend,
                   PostgresBackend) {
  Fixture<TestType> f;
  const auto queued = f.enqueue({.input = {{"text", "a \"quoted\"\n\tline é ✓"}, {"n", {1, 2.5, nullptr}}},
                                 .priority = -3,
                                 .timeout_s = 90,
                                 .unique_key = "key \\ with \"escapes\" \x01"});
  // Enqueue's own answer, built without reading the row back, reads as the stored job does.
  CHECK(nlohmann::json::parse(jobs::job_json_text(queued)) == f.store->get("t1", queued.id)->to_json());
  const auto ok = f.enqueue();
  const auto bad = f.enqueue();
  REQUIRE(f.store->claim("r", 10, 30s, {}).size() == 3);
  f.store->finish("r", {{ok.id, 1, {Outcome::Kind::kSucceeded, {{"score", 0.1 + 0.2}}, nullptr, 0}, {}, "t1"},
                        {bad.id, 1, {Outcome::Kind::kFailed, nullptr, {{"code", "x"}, {"retryable", false}}, 0}, {}}});
  f.store->finish("r", {{queued.id, 1, {Outcome::Kind::kRelease, nullptr, nullptr, 0}, {}}});
  for (const auto& id : {queued.id, ok.id, bad.id}) {
    const auto job = *f.store->get("t1", id);
    const auto text = *f.store->get_text("t1", id);
    std::string out;
    jobs::append_job_json(out, text.job, text.input, text.result, text.error, ",\"extra\":[1]");
    auto expected = job.to_json();
    expected["extra"] = {1};
    CHECK(nlohmann::json::parse(out) == expected);
    CHECK(nlohmann::json::parse(jobs::job_json_text(job)) == job.to_json());
  }
  CHECK(f.store->get("t1", ok.id)->result["score"] == 0.1 + 0.2);  // doubles keep every digit
  CHECK_FALSE(f.store->get_text("t2", ok.id));                     // another tenant's job is not found
}

TEMPLATE_TEST_CASE("Queue depth sums every tenant's unfinished jobs by state and pipeline", "[storage][jobs]",
                   SqliteBackend, PostgresBackend) {
  Fixture<TestType> f;
  for (const char* tenant : {"t1", "t2", "t3"}) {
    f.enqueue({.tenant_id = tenant, .pipeline = "p.a"});
    f.enqueue({.tenant_id = tenant, .pipeline = "p.b"});
  }
  f.enqueue({.tenant_id = "t1", .pipeline = "p.a"});
  const auto done = f.enqueue({.tenant_id = "t2", .pipeline = "p.c"});
  REQUIRE(f.store->cancel("t2", done.id).state == JobState::kCancelled);  // finished jobs are not counted
  REQUIRE(f.store->claim("r", 2, 30s, {}).size() == 2);                   // the two oldest: t1's p.a and p.b
  using Depth = std::vector<std::tuple<std::string, std::string, std::int64_t>>;
  CHECK(f.store->depth() ==
        Depth{{"queued", "p.a", 3}, {"queued", "p.b", 2}, {"running", "p.a", 1}, {"running", "p.b", 1}});
}
