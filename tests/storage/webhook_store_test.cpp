// Webhooks at the store level, on SQLite and PostgreSQL: endpoints per tenant, the outbox and its jobs,
// the job-finish hook, and the delivery stage against a local receiver.
#include "storage/backends.hpp"
#include "support/webhook_receiver.hpp"
#include "tyto/core/error.hpp"
#include "tyto/core/ids.hpp"
#include "tyto/core/metrics.hpp"
#include "tyto/core/time.hpp"
#include "tyto/events/events.hpp"
#include "tyto/jobs/job_store.hpp"
#include "tyto/storage/migrations.hpp"
#include "tyto/webhooks/webhooks.hpp"

#include <set>
#include <thread>

using namespace tyto;
using namespace tyto::test;
using jobs::JobState;
using jobs::Outcome;
using nlohmann::json;
using webhooks::DeliveryState;
using namespace std::chrono_literals;

namespace {

// The runner's view of one attempt, enough for a stage.
class TestContext final : public pipeline::StageContext {
 public:
  TestContext(std::string tenant, int attempt, metrics::Registry& registry)
      : tenant_(std::move(tenant)), attempt_(attempt), registry_(registry) {}
  const std::string& job_id() const override { return job_id_; }
  const std::string& tenant_id() const override { return tenant_; }
  int attempt() const override { return attempt_; }
  void progress(double, std::string_view) override {}
  void partial_result(const json&) override {}
  const pipeline::CancellationToken& token() const override { return token_; }
  bool sleep_for(std::chrono::milliseconds) override { return true; }
  void log(log::Level, std::string_view, std::initializer_list<log::Field>) override {}
  metrics::Registry& metrics() override { return registry_; }
  pipeline::Artifacts& artifacts() override { throw std::logic_error("no artifacts here"); }

 private:
  std::string job_id_ = "job";
  std::string tenant_;
  int attempt_;
  pipeline::CancellationToken token_;
  metrics::Registry& registry_;
};

template <class Backend>
struct Fixture {
  Backend backend;
  std::unique_ptr<storage::Database> db = open_db(backend);
  metrics::Registry registry;
  std::unique_ptr<events::Events> events;
  std::unique_ptr<jobs::JobStore> jobs;
  http::OutboundPolicy policy{{"127.0.0.0/8"}};
  std::unique_ptr<webhooks::Outbox> outbox;
  int wakes = 0;

  Fixture() {
    storage::MigrationRunner(*db, storage::builtin_migrations(db->dialect())).migrate();
    events = std::make_unique<events::Events>(*db, registry);
    jobs = std::make_unique<jobs::JobStore>(*db, *events);
    WebhooksConfig config;
    config.max_attempts = 4;
    config.timeout = 5s;
    outbox = std::make_unique<webhooks::Outbox>(
        webhooks::WebhooksDeps{*db, *jobs, *events, policy, config, std::string(32, 'k'), [this] { ++wakes; }});
    jobs->on_finish(
        [this](storage::Session& tx, const std::vector<jobs::FinishedJob>& finished,
               std::vector<events::NewEvent>& pending) { outbox->on_jobs_finished(tx, finished, pending); });
  }

  // Registers an endpoint; returns it with its plaintext secret.
  std::pair<webhooks::Endpoint, std::string> endpoint(const std::string& tenant, std::vector<std::string> types,
                                                      const std::string& url = "http://127.0.0.1:9/hook",
                                                      bool active = true) {
    auto [secret, sealed] = outbox->new_secret();
    webhooks::Endpoint e;
    e.id = new_uuid_v7();
    e.tenant_id = tenant;
    e.url = url;
    e.event_types = std::move(types);
    e.active = active;
    e.created_by = "api_key:test";
    e.created_at = e.updated_at = now_micros();
    e.sealed_secret = sealed;
    outbox->store().create(*db, e);
    return {e, secret};
  }

  webhooks::Delivery delivery(const std::string& tenant, const std::string& id) {
    auto d = outbox->store().delivery(*db, tenant, id, true);
    REQUIRE(d);
    return *d;
  }

  std::int64_t count(const std::string& sql, const storage::Params& params = {}) {
    return db->query_one(sql, params)->get<std::int64_t>(0);
  }

  // Runs the stage for a delivery as attempt n of its job; returns the StageError, if any.
  std::optional<pipeline::StageError> run_stage(const std::string& tenant, const std::string& delivery_id, int n = 1) {
    TestContext ctx(tenant, n, registry);
    try {
      outbox->stage().run(ctx, {{"delivery_id", delivery_id}});
    } catch (const pipeline::StageError& e) {
      return e;
    }
    return std::nullopt;
  }
};

}  // namespace

TEMPLATE_TEST_CASE("Webhook endpoints belong to one tenant and other tenants cannot see or change them",
                   "[storage][webhooks]", SqliteBackend, PostgresBackend) {
  Fixture<TestType> f;
  auto& store = f.outbox->store();
  const auto [mine, secret] = f.endpoint("t1", {"job.*"});
  CHECK(store.get("t1", mine.id));
  CHECK_FALSE(store.get("t2", mine.id));
  CHECK(store.list("t2", 10).empty());
  REQUIRE(store.list("t1", 10).size() == 1);
  CHECK_FALSE(store.update(*f.db, "t2", mine.id, {.active = false}));
  CHECK_FALSE(store.set_secret(*f.db, "t2", mine.id, "x"));
  CHECK_FALSE(store.remove(*f.db, "t2", mine.id));
  CHECK(store.subscribers(*f.db, "t2", "job.succeeded").empty());
  CHECK(store.get("t1", mine.id)->active);

  // A delivery of t1 is not t2's either.
  const auto ids = f.outbox->emit(*f.db, "t1", "job.failed", {{"job_id", "j"}});
  REQUIRE(ids.size() == 1);
  CHECK_FALSE(store.delivery(*f.db, "t2", ids[0]));
  CHECK(store.deliveries("t2", mine.id, 10).empty());
  CHECK(store.deliveries("t1", mine.id, 10).size() == 1);
  CHECK_THROWS_AS(f.outbox->redeliver("t2", ids[0]), Error);
  CHECK_THROWS_AS(f.outbox->ping("t2", mine.id), Error);

  // Updates and the secret at rest.
  const auto changed = store.update(*f.db, "t1", mine.id, {.url = "http://127.0.0.1:10/x", .active = false});
  REQUIRE(changed);
  CHECK(changed->url == "http://127.0.0.1:10/x");
  CHECK_FALSE(changed->active);
  CHECK(changed->event_types == std::vector<std::string>{"job.*"});
  const auto stored = f.db->query_one("SELECT secret_ciphertext FROM webhook_endpoints WHERE id = $1", {mine.id})
                          ->template get<storage::Blob>(0)
                          .bytes;
  CHECK(stored.find(secret) == std::string::npos);
  CHECK(f.outbox->secrets().open(stored) == secret);
  CHECK(store.remove(*f.db, "t1", mine.id));
  CHECK(f.count("SELECT COUNT(*) FROM webhook_deliveries") == 0);  // the log goes with the endpoint
}

TEMPLATE_TEST_CASE("emit writes one delivery and one unique delivery job per subscribed active endpoint",
                   "[storage][webhooks]", SqliteBackend, PostgresBackend) {
  Fixture<TestType> f;
  const auto a = f.endpoint("t1", {"job.succeeded"}).first;
  const auto b = f.endpoint("t1", {"*"}).first;
  f.endpoint("t1", {"object.created"});                       // not subscribed
  f.endpoint("t1", {"job.*"}, "http://127.0.0.1:9/", false);  // disabled
  f.endpoint("t2", {"*"});                                    // another tenant

  const auto ids = f.outbox->emit(*f.db, "t1", "job.succeeded", {{"job_id", "j1"}});
  REQUIRE(ids.size() == 2);
  CHECK(f.wakes == 1);
  std::set<std::string> endpoints;
  std::string event_id;
  for (const auto& id : ids) {
    const auto d = f.delivery("t1", id);
    endpoints.insert(d.endpoint_id);
    CHECK(d.state == DeliveryState::kPending);
    CHECK(d.event_type == "job.succeeded");
    CHECK(d.payload["job_id"] == "j1");
    CHECK(d.attempts == 0);
    if (event_id.empty()) event_id = d.event_id;
    CHECK(d.event_id == event_id);  // one event, several deliveries
    REQUIRE(d.job_id);
    const auto job = f.jobs->get("t1", *d.job_id);
    REQUIRE(job);
    CHECK(job->pipeline == "webhooks.deliver");
    CHECK(job->input["delivery_id"] == id);
    CHECK(job->max_attempts == 4);
    CHECK(job->unique_key == "webhook:" + id);
  }
  CHECK(endpoints == std::set<std::string>{a.id, b.id});
  CHECK(f.outbox->emit(*f.db, "t1", "webhook.ping", json::object()).size() == 1);  // only "*"
  CHECK(f.outbox->emit(*f.db, "t3", "job.succeeded", json::object()).empty());
}

TEMPLATE_TEST_CASE("emit inside the caller's transaction commits and rolls back with it", "[storage][webhooks]",
                   SqliteBackend, PostgresBackend) {
  Fixture<TestType> f;
  f.endpoint("t1", {"object.created"});
  {
    auto tx = f.db->begin();
    CHECK(f.outbox->emit(*tx, "t1", "object.created", {{"object_id", "o1"}}).size() == 1);
    tx->rollback();
  }
  CHECK(f.count("SELECT COUNT(*) FROM webhook_deliveries") == 0);
  CHECK(f.count("SELECT COUNT(*) FROM jobs") == 0);
  {
    auto tx = f.db->begin();
    std::vector<events::NewEvent> pending;
    CHECK(f.outbox->emit(*tx, "t1", "object.created", {{"object_id", "o2"}}, &pending).size() == 1);
    CHECK(pending.size() == 1);  // the delivery job's "queued"
    f.events->commit(*tx, pending);
  }
  CHECK(f.count("SELECT COUNT(*) FROM webhook_deliveries") == 1);
  CHECK(f.count("SELECT COUNT(*) FROM jobs WHERE pipeline = 'webhooks.deliver'") == 1);
  CHECK(f.wakes == 0);
}

TEMPLATE_TEST_CASE("Finished jobs emit job.succeeded, job.failed and job.cancelled once, delivery jobs never",
                   "[storage][webhooks]", SqliteBackend, PostgresBackend) {
  Fixture<TestType> f;
  f.endpoint("t1", {"job.*"});
  auto enqueue = [&](int max_attempts = 1) {
    return f.jobs->enqueue({{.tenant_id = "t1", .pipeline = "builtin.noop", .max_attempts = max_attempts}}).front().job;
  };
  const auto ok = enqueue();
  const auto bad = enqueue();
  const auto stopped = enqueue();
  const auto retried = enqueue(3);
  REQUIRE(f.jobs->claim("r", 10, 30s).size() == 4);
  const json error = {{"code", "boom"}, {"message", "it broke"}, {"retryable", false}};
  auto applied = f.jobs->finish("r", {{ok.id, 1, {Outcome::Kind::kSucceeded, {{"n", 1}}, nullptr, 0}, {}},
                                      {bad.id, 1, {Outcome::Kind::kFailed, nullptr, error, 0}, {}},
                                      {stopped.id, 1, {Outcome::Kind::kCancelled, nullptr, nullptr, 0}, {}},
                                      {retried.id, 1, {Outcome::Kind::kRetry, nullptr, error, now_micros()}, {}}});
  CHECK(applied == std::vector<bool>{true, true, true, true});
  // The late finisher of the same attempt changes nothing, so nothing is emitted twice.
  f.jobs->finish("r", {{ok.id, 1, {Outcome::Kind::kSucceeded, nullptr, nullptr, 0}, {}}});

  auto deliveries_of = [&](const std::string& type) {
    return f.count("SELECT COUNT(*) FROM webhook_deliveries WHERE event_type = $1", {type});
  };
  CHECK(deliveries_of("job.succeeded") == 1);
  CHECK(deliveries_of("job.failed") == 1);
  CHECK(deliveries_of("job.cancelled") == 1);
  CHECK(f.count("SELECT COUNT(*) FROM webhook_deliveries") == 3);  // a retry is not an end
  const auto row = f.db->query_one("SELECT payload FROM webhook_deliveries WHERE event_type = 'job.failed'");
  const auto payload = json::parse(row->template get<std::string>(0));
  CHECK(payload["job_id"] == bad.id);
  CHECK(payload["pipeline"] == "builtin.noop");
  CHECK(payload["state"] == "failed");
  CHECK(payload["error"]["code"] == "boom");

  // A cancelled queued job too.
  const auto queued = enqueue();
  f.jobs->cancel("t1", queued.id);
  CHECK(deliveries_of("job.cancelled") == 2);

  // The delivery jobs themselves finish without producing job.* webhooks.
  const auto before = f.count("SELECT COUNT(*) FROM webhook_deliveries");
  auto claimed = f.jobs->claim("r", 100, 30s);
  std::vector<jobs::JobStore::Finish> finishes;
  for (const auto& j : claimed) {
    if (j.pipeline == "webhooks.deliver")
      finishes.push_back({j.id, j.attempts, {Outcome::Kind::kFailed, nullptr, error, 0}, {}});
  }
  CHECK(finishes.size() == 4);
  f.jobs->finish("r", finishes);
  CHECK(f.count("SELECT COUNT(*) FROM webhook_deliveries") == before);
  // …and their deliveries are failed with the job's reason.
  CHECK(f.count("SELECT COUNT(*) FROM webhook_deliveries WHERE state = 'failed' AND last_error = 'it broke'") == 4);
}

TEMPLATE_TEST_CASE("A rescued delivery job sets the next attempt, and out of attempts fails the delivery",
                   "[storage][webhooks]", SqliteBackend, PostgresBackend) {
  Fixture<TestType> f;
  f.endpoint("t1", {"*"});
  const auto id = f.outbox->emit(*f.db, "t1", "webhook.ping", json::object()).front();
  const auto job_id = *f.delivery("t1", id).job_id;
  // Retries of the delivery job move next_attempt_at to the job's run_at.
  REQUIRE(f.jobs->claim("r", 10, 30s).size() == 1);
  const auto later = now_micros() + 60'000'000;
  f.jobs->finish("r", {{job_id, 1, {Outcome::Kind::kRetry, nullptr, {{"message", "x"}}, later}, {}}});
  CHECK(f.delivery("t1", id).next_attempt_at == later);
  CHECK(f.delivery("t1", id).state == DeliveryState::kPending);
  // A crashed runner on the last attempt: the rescue fails job and delivery together.
  f.db->execute("UPDATE jobs SET run_at = 0, max_attempts = 2 WHERE id = $1", {job_id});
  REQUIRE(f.jobs->claim("crashed", 10, 1ms).size() == 1);
  std::this_thread::sleep_for(5ms);
  f.jobs->rescue();
  CHECK(f.jobs->get("t1", job_id)->state == JobState::kFailed);
  const auto d = f.delivery("t1", id);
  CHECK(d.state == DeliveryState::kFailed);
  CHECK(d.last_error == "the job's runner stopped and it has no attempts left");
}

TEMPLATE_TEST_CASE("The delivery stage signs, posts and logs each attempt", "[storage][webhooks]", SqliteBackend,
                   PostgresBackend) {
  Fixture<TestType> f;
  WebhookReceiver receiver;
  const auto [endpoint, secret] = f.endpoint("t1", {"job.succeeded"}, receiver.url());
  const auto id = f.outbox->emit(*f.db, "t1", "job.succeeded", {{"job_id", "j1"}}).front();

  receiver.fail_next(1, 500);
  auto error = f.run_stage("t1", id, 1);
  REQUIRE(error);
  CHECK(error->retryable());
  auto d = f.delivery("t1", id);
  CHECK(d.state == DeliveryState::kPending);
  CHECK(d.attempts == 1);
  CHECK(d.last_status == 500);
  REQUIRE(d.attempt_log.size() == 1);
  CHECK(d.attempt_log[0].status_code == 500);
  CHECK(d.attempt_log[0].response_excerpt == "ok");

  CHECK_FALSE(f.run_stage("t1", id, 2));
  d = f.delivery("t1", id);
  CHECK(d.state == DeliveryState::kDelivered);
  CHECK(d.attempts == 2);
  CHECK(d.delivered_at);
  CHECK_FALSE(d.last_error);
  REQUIRE(d.attempt_log.size() == 2);
  CHECK(d.attempt_log[1].status_code == 200);

  REQUIRE(receiver.count() == 2);
  for (const auto& r : receiver.requests()) {
    CHECK(r.method == "POST");
    CHECK(r.target == "/hook");
    CHECK(r.header("content-type") == "application/json");
    CHECK(r.header("user-agent") == "Tyto-Webhooks/1");
    CHECK(r.header("tyto-event") == "job.succeeded");
    CHECK(r.header("tyto-delivery") == id);  // the same on every attempt
    CHECK(webhooks::verify_signature(secret, r.header("tyto-signature"), r.body, now_micros() / 1'000'000));
    const auto body = json::parse(r.body);
    CHECK(body["id"] == id);
    CHECK(body["type"] == "job.succeeded");
    CHECK(body["tenant_id"] == "t1");
    CHECK(body["data"]["job_id"] == "j1");
    CHECK(body["created_at"].is_string());
  }
  CHECK(receiver.requests()[0].body == receiver.requests()[1].body);

  // Delivered: another run of the job sends nothing.
  CHECK_FALSE(f.run_stage("t1", id, 3));
  CHECK(receiver.count() == 2);
}

TEMPLATE_TEST_CASE("A 4xx answer fails a delivery at once, 408, 429 and refusals are retried", "[storage][webhooks]",
                   SqliteBackend, PostgresBackend) {
  Fixture<TestType> f;
  WebhookReceiver receiver;
  const auto endpoint = f.endpoint("t1", {"*"}, receiver.url()).first;
  auto emit = [&] { return f.outbox->emit(*f.db, "t1", "webhook.ping", json::object()).front(); };

  for (int status : {408, 429, 503, 301}) {
    INFO(status);
    const auto id = emit();
    receiver.fail_next(1, status);
    const auto error = f.run_stage("t1", id);
    REQUIRE(error);
    CHECK(error->retryable());
    CHECK(f.delivery("t1", id).state == DeliveryState::kPending);
  }
  const auto gone = emit();
  receiver.fail_next(1, 410);
  auto error = f.run_stage("t1", gone);
  REQUIRE(error);
  CHECK_FALSE(error->retryable());
  CHECK(f.delivery("t1", gone).state == DeliveryState::kFailed);
  CHECK(f.delivery("t1", gone).last_error == "HTTP 410");

  // The policy is checked again at delivery: metadata addresses are refused, and nothing is sent.
  const auto count = receiver.count();
  f.outbox->store().update(*f.db, "t1", endpoint.id, {.url = "http://169.254.169.254/latest/meta-data/"});
  const auto refused = emit();
  error = f.run_stage("t1", refused);
  REQUIRE(error);
  CHECK(error->retryable());
  const auto d = f.delivery("t1", refused);
  CHECK_FALSE(d.attempt_log.at(0).status_code);
  CHECK(d.attempt_log.at(0).error->find("link-local") != std::string::npos);
  CHECK(receiver.count() == count);

  // A disabled endpoint fails its pending deliveries for good.
  f.outbox->store().update(*f.db, "t1", endpoint.id, {.active = false});
  error = f.run_stage("t1", refused);
  REQUIRE(error);
  CHECK_FALSE(error->retryable());
  CHECK(f.delivery("t1", refused).state == DeliveryState::kFailed);
}

TEMPLATE_TEST_CASE("Redeliver and ping enqueue a fresh delivery job, once at a time", "[storage][webhooks]",
                   SqliteBackend, PostgresBackend) {
  Fixture<TestType> f;
  WebhookReceiver receiver;
  const auto endpoint = f.endpoint("t1", {"job.failed"}, receiver.url()).first;
  const auto ping = f.outbox->ping("t1", endpoint.id);  // whatever it subscribed to
  CHECK(ping.event_type == "webhook.ping");
  CHECK(ping.payload["webhook_id"] == endpoint.id);
  // Still pending: not redeliverable yet.
  CHECK_THROWS_AS(f.outbox->redeliver("t1", ping.id), Error);
  CHECK_FALSE(f.run_stage("t1", ping.id));
  const auto first_job = *f.delivery("t1", ping.id).job_id;
  f.db->execute("UPDATE jobs SET state = 'succeeded' WHERE id = $1", {first_job});

  const auto again = f.outbox->redeliver("t1", ping.id);
  CHECK(again.state == DeliveryState::kPending);
  REQUIRE(again.job_id);
  CHECK(*again.job_id != first_job);
  CHECK(f.jobs->get("t1", *again.job_id)->unique_key == "webhook:" + ping.id);
  CHECK_FALSE(f.run_stage("t1", ping.id));
  const auto d = f.delivery("t1", ping.id);
  CHECK(d.state == DeliveryState::kDelivered);
  CHECK(d.attempts == 2);
  CHECK(d.attempt_log.size() == 2);
  CHECK(receiver.count() == 2);

  f.outbox->store().update(*f.db, "t1", endpoint.id, {.active = false});
  CHECK_THROWS_AS(f.outbox->ping("t1", endpoint.id), Error);
}
