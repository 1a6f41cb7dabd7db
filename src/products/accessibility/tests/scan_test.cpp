// Scans end to end in the real tyto binary with the real Chromium: the rule page's planted violations found
// and its tricky passes left alone, issues with boxes and masked evidence, the summary and score, paging and
// filters, CSV and JSON exports, the stream in order, and the webhook; on SQLite and PostgreSQL.
#include "support.hpp"
#include "support/process.hpp"
#include "support/webhook_receiver.hpp"

#include <set>

using namespace tyto::test;
using namespace tyto::test::a11y;

TEMPLATE_TEST_CASE("A scan of the rule page finds each planted violation and leaves the tricky passes alone",
                   "[integration][accessibility][scan]", SqliteBackend, PostgresBackend) {
  PageServer pages;
  serve_pages(pages);
  TestType backend;
  auto server = TytoProcess::serve(backend.args(scan_args()));
  const std::uint16_t port = server->port();
  WebhookReceiver receiver;
  auto hook =
      api(port, "POST", "/api/v1/webhooks", {{"url", receiver.url()}, {"event_types", {"a11y.scan_completed"}}});
  INFO(hook.raw.body);
  REQUIRE(hook.status == 201);

  const json scan = finished_scan(port, {{"url", pages.url("/rules.html")}});
  INFO(scan.dump(1));
  REQUIRE(scan["status"] == "succeeded");
  const std::string id = scan["id"];

  // Violations, each where it was planted.
  CHECK(has(scan, "image-alt", "#missing-alt"));
  CHECK(has(scan, "color-contrast", "#contrast-below"));
  CHECK(has(scan, "color-contrast", "#small-light"));
  CHECK(has(scan, "label", "#unlabelled-name"));
  CHECK(has(scan, "label", "#unlabelled-city"));
  CHECK(count_rule(scan, "duplicate-id") >= 1);  // a rule axe ships disabled
  CHECK(has(scan, "target-size", "#tiny-a"));    // disabled by default too
  CHECK(has(scan, "target-size", "#tiny-b"));
  CHECK(has(scan, "p-as-heading", "#large-bold"));  // a best practice, left for review
  // The tricky passes: decorative alt="", an alt text, a name from aria-labelledby, 4.54:1, large bold at 3:1,
  // a 48 px target, a labelled password. (With every rule on, AAA's color-contrast-enhanced does flag 4.54:1 and
  // large text at 3:1, and best practice asks whether the large bold paragraph is a heading: right, and kept.)
  for (const auto& [rule, selector] :
       std::vector<std::pair<std::string, std::string>>{{"image-alt", "#decorative"},
                                                        {"image-alt", "#described"},
                                                        {"label", "#named-by-labelledby"},
                                                        {"color-contrast", "#contrast-above"},
                                                        {"color-contrast", "#large-bold"},
                                                        {"target-size", "#big-target"},
                                                        {"label", "#secret"}}) {
    INFO(rule << " " << selector);
    CHECK_FALSE(has(scan, rule, selector));
  }
  CHECK(has(scan, "color-contrast-enhanced", "#contrast-above"));
  CHECK(has(scan, "color-contrast-enhanced", "#large-bold"));

  // The shape of an issue: rule, source, impact, WCAG criteria, box, snippet, message, help and evidence.
  json alt;
  for (const auto& i : scan["issues"])
    if (i["selector"] == "#missing-alt") alt = i;
  CHECK(alt["source"] == "axe");
  CHECK(alt["impact"] == "critical");
  CHECK(alt["status"] == "violation");
  CHECK(std::find(alt["wcag"].begin(), alt["wcag"].end(), "1.1.1") != alt["wcag"].end());
  CHECK(alt["html"].get<std::string>().find("missing-alt") != std::string::npos);
  CHECK(alt["help_url"].get<std::string>().find("dequeuniversity.com") != std::string::npos);
  CHECK(alt["bbox"]["width"] == 40);
  CHECK(alt["bbox"]["height"] == 40);
  REQUIRE(alt["evidence_object_id"].is_string());
  auto crop = api(port, "GET", "/api/v1/objects/" + alt["evidence_object_id"].get<std::string>() + "/content");
  REQUIRE(crop.status == 200);
  const auto crop_image = tyto::vision::decode(crop.raw.body);
  CHECK(crop_image.width == 72);  // the 40 px box and 16 px on each side
  for (const auto& i : scan["issues"]) {
    CHECK((i["status"] == "violation" || i["status"] == "needs_review"));
    CHECK(i["source"] == (i["rule"].get<std::string>().starts_with("tyto-") ? "tyto" : "axe"));
  }

  // Summary and score; the password input and the data-tyto-sensitive block are masked.
  const json& summary = scan["summary"];
  CHECK(summary["by_rule"]["image-alt"]["count"] == 1);
  CHECK(summary["by_impact"]["critical"].get<int>() >= 3);
  CHECK(summary["axe"]["version"] == "4.14.1");
  CHECK(summary["axe"]["rules_run"].get<int>() > 90);
  CHECK(summary["masked"] == 2);
  CHECK(scan["score"].get<int>() > 0);
  CHECK(scan["score"].get<int>() < 100);
  CHECK(scan["issue_count"] == scan["issues"].size());
  auto shot = api(port, "GET", "/api/v1/objects/" + scan["screenshot_object_id"].get<std::string>() + "/content");
  CHECK(shot.raw.body.starts_with("\x89PNG"));

  // Paging in the order found, and filters.
  std::vector<json> paged;
  std::string cursor;
  do {
    auto page =
        api(port, "GET", "/api/v1/scans/" + id + "/issues?limit=3" + (cursor.empty() ? "" : "&cursor=" + cursor));
    REQUIRE(page.status == 200);
    for (const auto& i : page.body["items"]) paged.push_back(i);
    cursor = page.body["next_cursor"].is_string() ? page.body["next_cursor"].get<std::string>() : "";
  } while (!cursor.empty());
  REQUIRE(paged.size() == scan["issues"].size());
  for (std::size_t i = 0; i < paged.size(); ++i) CHECK(paged[i]["seq"] == i + 1);
  auto critical = api(port, "GET", "/api/v1/scans/" + id + "/issues?impact=critical&limit=500");
  for (const auto& i : critical.body["items"]) CHECK(i["impact"] == "critical");
  CHECK(critical.body["items"].size() == summary["by_impact"]["critical"].get<std::size_t>());
  auto labels = api(port, "GET", "/api/v1/scans/" + id + "/issues?rule=label&status=violation");
  CHECK(labels.body["items"].size() == 2);
  CHECK(api(port, "GET", "/api/v1/scans/" + id + "/issues?impact=huge").status == 422);

  // Exports.
  auto csv = api(port, "GET", "/api/v1/scans/" + id + "/issues.csv");
  REQUIRE(csv.status == 200);
  CHECK(csv.raw.header("content-type").starts_with("text/csv"));
  CHECK(csv.raw.body.starts_with("seq,rule,source,impact,status,wcag,selector"));
  CHECK(std::count(csv.raw.body.begin(), csv.raw.body.end(), '\n') >= static_cast<long>(paged.size()) + 1);
  CHECK(csv.raw.body.find("#missing-alt") != std::string::npos);
  auto exported = api(port, "GET", "/api/v1/scans/" + id + "/issues.json");
  REQUIRE(exported.status == 200);
  CHECK(exported.body["issues"].size() == paged.size());
  CHECK(exported.raw.header("content-disposition").find(".json") != std::string::npos);

  // The stream from its start: the scan, axe's issues in order, axe's end, the summary, the end.
  Client ws(port);
  REQUIRE(ws.websocket_upgrade("/ws/scans/" + id + "?after=0"));
  std::vector<json> events;
  while (auto text = ws.websocket_read_text()) {
    events.push_back(json::parse(*text));
    if (events.back()["type"] == "scan.finished") break;
  }
  REQUIRE(events.size() >= paged.size() + 4);
  CHECK(events.front()["type"] == "snapshot");
  CHECK(events[1]["type"] == "scan.running");
  // axe's issues, axe's end, then each of Tyto's checks (its issues, its end) where the build has them.
  std::size_t seq = 0;
  std::size_t i = 2;
  std::vector<std::string> checks;
  for (; i < events.size(); ++i) {
    if (events[i]["type"] == "issue.found") {
      CHECK(events[i]["data"]["seq"] == ++seq);
      if (checks.empty()) CHECK(events[i]["data"]["source"] == "axe");
    } else if (events[i]["type"] == "check.finished") {
      checks.push_back(events[i]["data"]["check"]);
    } else {
      break;
    }
  }
  CHECK(seq == paged.size());
  REQUIRE_FALSE(checks.empty());
  CHECK(checks.front() == "axe");
  CHECK(checks.size() == 1 + scan["summary"]["checks"].size());
  // This build has Tyto's checks (checks/ is in the tree): all four ran, none was left out for an error.
  for (const char* check : {"contrast_from_pixels", "text_in_images", "visible_focus", "reflow"}) {
    INFO(check);
    CHECK(scan["summary"]["checks"].contains(check));
  }
  REQUIRE(i + 1 < events.size());
  CHECK(events[i]["type"] == "scan.summary");
  CHECK(events[i]["data"]["score"] == scan["score"]);
  CHECK(events[i + 1]["type"] == "scan.finished");
  CHECK(events[i + 1]["data"]["status"] == "succeeded");

  // The webhook.
  REQUIRE(receiver.wait_for(1));
  const auto delivered = receiver.requests().front();
  CHECK(delivered.header("tyto-event") == "a11y.scan_completed");
  CHECK(delivered.body.find(id) != std::string::npos);

  // The list.
  auto list = api(port, "GET", "/api/v1/scans");
  REQUIRE(list.status == 200);
  REQUIRE(list.body["items"].size() == 1);
  CHECK(list.body["items"][0]["id"] == id);
}

TEST_CASE("A page behind a login is scanned through actions", "[integration][accessibility][scan]") {
  PageServer pages;
  serve_pages(pages);
  SqliteBackend backend;
  auto server = TytoProcess::serve(backend.args(scan_args()));
  const json scan = finished_scan(server->port(), {{"url", pages.url("/login.html")},
                                                   {"actions",
                                                    {{{"action", "type"}, {"selector", "#user"}, {"text", "ada"}},
                                                     {{"action", "type"}, {"selector", "#pass"}, {"text", "s3cret"}},
                                                     {{"action", "click"}, {"selector", "#go"}},
                                                     {{"action", "wait_for"}, {"selector", "#welcome"}}}}});
  INFO(scan.dump(1));
  REQUIRE(scan["status"] == "succeeded");
  CHECK(scan["summary"]["page"]["title"] == "Account");
  CHECK(has(scan, "image-alt", "#account-only"));
  CHECK(pages.hits("/account.html") >= 1);
  // What was typed (a password) is never answered back; the scan kept it to run.
  CHECK(scan["request"]["actions"][1]["text"] == "[redacted]");
  CHECK(scan.dump().find("s3cret") == std::string::npos);

  // A wrong password never reaches the account: the wait fails the scan with the renderer's error.
  const json failed =
      finished_scan(server->port(), {{"url", pages.url("/login.html")},
                                     {"actions",
                                      {{{"action", "type"}, {"selector", "#user"}, {"text", "ada"}},
                                       {{"action", "click"}, {"selector", "#go"}},
                                       {{"action", "wait_for"}, {"selector", "#welcome"}, {"timeout_ms", 1500}}}}});
  CHECK(failed["status"] == "failed");
  CHECK(failed["error"].is_string());
}

TEST_CASE("axe and the checks run while the network goes quiet, and again when the page changed by then",
          "[integration][accessibility][scan]") {
  PageServer pages;
  // Links and a button for the focus check, text on a gradient for the pixel contrast check: both leave
  // their marks in the page while they run (data-tyto-* attributes, a __tyto… element), which are no change.
  pages.page("/still.html",
             "<!doctype html><html lang=\"en\"><head><title>Still</title><style>.hero{background:linear-gradient("
             "#234,#456);color:#fff;padding:1rem} nav a{margin-right:2rem}</style></head><body><nav><a href=\"#a\">"
             "One</a><a href=\"#b\">Two</a></nav><main><h1 class=\"hero\">Still</h1><p>Nothing moves here.</p>"
             "<button>Go</button></main></body></html>");
  // 300 ms after the load (after axe has started, before the 500 ms of network quiet are over) the page adds
  // an image without a text alternative, or fetches something without touching the DOM.
  pages.page("/late-dom.html",
             "<!doctype html><html lang=\"en\"><head><title>Late</title></head><body><main><h1>Late</h1>"
             "<p id=\"slot\">Wait for it.</p></main><script>setTimeout(() => { const img = "
             "document.createElement('img'); img.id = 'late'; img.src = '/photo.png'; "
             "document.getElementById('slot').after(img); }, 300);</script></body></html>");
  pages.page("/late-fetch.html",
             "<!doctype html><html lang=\"en\"><head><title>Fetch</title></head><body><main><h1>Fetch</h1>"
             "<p>Quiet.</p></main><script>setTimeout(() => fetch('/photo.png?fetched').then((r) => r.blob()), "
             "300);</script></body></html>");
  // Polls for ever: the network never goes quiet.
  pages.page("/polling.html",
             "<!doctype html><html lang=\"en\"><head><title>Polling</title></head><body><main><h1>Polling</h1>"
             "<p>Live.</p></main><script>setInterval(() => fetch('/photo.png?poll=' + Date.now()), 100);"
             "</script></body></html>");
  const std::string png = grey_png();
  pages.route("/photo.png", [png](const PageRequest&) { return PageResponse{200, "image/png", png, {}}; });
  SqliteBackend backend;
  auto server = TytoProcess::serve(backend.args(scan_args()));

  // After network_idle_timeout the scan captures again at once, runs axe and the checks again, and says the
  // network was not idle.
  const json polling = finished_scan(server->port(), {{"url", pages.url("/polling.html")}});
  INFO(polling.dump(1));
  REQUIRE(polling["status"] == "succeeded");
  CHECK(polling["summary"]["page"]["network_idle"] == false);
  CHECK(polling["summary"]["axe"]["reruns"] == 1);
  CHECK(polling["summary"]["checks"].contains("reflow"));

  const json still = finished_scan(server->port(), {{"url", pages.url("/still.html")}});
  INFO(still.dump(1));
  REQUIRE(still["status"] == "succeeded");
  CHECK(still["summary"]["axe"]["reruns"] == 0);
  CHECK_FALSE(still["summary"]["axe"].contains("changed"));
  CHECK(still["summary"]["timings"].contains("checks_early_ms"));
  CHECK_FALSE(still["summary"]["timings"].contains("axe_again_ms"));
  CHECK(still["summary"]["checks"]["visible_focus"]["passes"].get<int>() >= 3);
  CHECK(still["summary"]["checks"]["contrast_from_pixels"]["passes"].get<int>() +
            still["summary"]["checks"]["contrast_from_pixels"]["issues"].get<int>() >=
        1);

  // The image came after axe's first run: the results are those of the page captured, with it.
  const json late = finished_scan(server->port(), {{"url", pages.url("/late-dom.html")}});
  INFO(late.dump(1));
  REQUIRE(late["status"] == "succeeded");
  CHECK(late["summary"]["axe"]["reruns"] == 1);
  CHECK(late["summary"]["axe"]["changed"]["mutations"].get<int>() >= 1);
  CHECK(has(late, "image-alt", "#late"));
  // The checks looked at the page with the image too: text in images read it (no text in it: a pass).
  CHECK(late["summary"]["timings"].contains("axe_again_ms"));
  CHECK(late["summary"]["checks"]["text_in_images"]["passes"] == 1);

  const json fetched = finished_scan(server->port(), {{"url", pages.url("/late-fetch.html")}});
  INFO(fetched.dump(1));
  REQUIRE(fetched["status"] == "succeeded");
  CHECK(fetched["summary"]["axe"]["reruns"] == 1);
  CHECK(fetched["summary"]["axe"]["changed"]["resources"].get<int>() >= 1);
  REQUIRE(!fetched["summary"]["axe"]["changed"]["loaded"].empty());
  CHECK(fetched["summary"]["axe"]["changed"]["loaded"][0].get<std::string>().find("/photo.png?fetched") !=
        std::string::npos);

  // A scan that asks for a wait before the capture runs axe once, after it.
  const json waited = finished_scan(server->port(), {{"url", pages.url("/late-dom.html")}, {"wait_ms", 400}});
  INFO(waited.dump(1));
  REQUIRE(waited["status"] == "succeeded");
  CHECK(waited["summary"]["axe"]["reruns"] == 0);
  CHECK(has(waited, "image-alt", "#late"));
}

TEST_CASE("A page's loads from private and link-local addresses are refused and the scan reports them",
          "[integration][accessibility][scan][guard]") {
  PageServer pages;
  serve_pages(pages);
  SqliteBackend backend;
  auto server = TytoProcess::serve(backend.args(scan_args()));
  const json scan = finished_scan(server->port(), {{"url", pages.url("/private.html")}});
  INFO(scan.dump(1));
  REQUIRE(scan["status"] == "succeeded");
  std::set<std::string> refused;
  for (const auto& r : scan["summary"]["refused"])
    refused.insert(r["url"].get<std::string>() + " " + r["reason"].get<std::string>());
  CHECK(refused.count("http://10.255.255.1/x.png 10.255.255.1 is private") == 1);
  CHECK(refused.count("http://169.254.169.254/latest/meta-data/ 169.254.169.254 is link-local") == 1);

  // A page on a refused address is no scan at all: failed at once, not retried.
  PageServer hidden("127.0.0.2");
  serve_pages(hidden);
  const json forbidden = finished_scan(server->port(), {{"url", hidden.url("/rules.html")}});
  CHECK(forbidden["status"] == "failed");
  CHECK(forbidden["error"].get<std::string>().find("127.0.0.2") != std::string::npos);
  CHECK(hidden.total_hits() == 0);
}

TEST_CASE("A scan of an uploaded DOM snapshot and screenshot renders offline and keeps the screenshot as evidence",
          "[integration][accessibility][scan][upload]") {
  PageServer pages;
  serve_pages(pages);
  SqliteBackend backend;
  auto server = TytoProcess::serve(backend.args(scan_args()));
  const std::uint16_t port = server->port();
  // The screenshot a first scan took of the page stands for the user's own.
  const json live = finished_scan(port, {{"url", pages.url("/rules.html")}});
  REQUIRE(live["status"] == "succeeded");
  const std::string png =
      api(port, "GET", "/api/v1/objects/" + live["screenshot_object_id"].get<std::string>() + "/content").raw.body;
  // The DOM, with a script (must not run) and a request to the page server (must not be made).
  std::string dom = a11y_pages::rules_page();
  dom.replace(dom.find("</main>"), 7,
              "<img id=\"tracker\" src=\"" + pages.url("/tracker.png") +
                  "\" alt=\"\"><script>document.body.insertAdjacentHTML('beforeend', '<img id=\"scripted\" "
                  "src=\"/photo.png\">');</script></main>");
  const std::string dom_id = upload_object(port, "document", "text/html", dom, "page.html");
  const std::string shot_id = upload_object(port, "capture", "image/png", png, "page.png");
  const int hits_before = pages.total_hits();

  const json scan = finished_scan(port, {{"dom_object_id", dom_id}, {"screenshot_object_id", shot_id}});
  INFO(scan.dump(1));
  REQUIRE(scan["status"] == "succeeded");
  CHECK(scan["url"] == "upload:" + dom_id);
  CHECK(has(scan, "image-alt", "#missing-alt"));
  CHECK(has(scan, "label", "#unlabelled-name"));
  CHECK_FALSE(has(scan, "image-alt", "#scripted"));  // the snapshot's scripts do not run
  CHECK(pages.total_hits() == hits_before);          // and it makes no request
  json alt;
  for (const auto& i : scan["issues"])
    if (i["selector"] == "#missing-alt") alt = i;
  REQUIRE(alt["evidence_object_id"].is_string());
  CHECK(api(port, "GET", "/api/v1/objects/" + alt["evidence_object_id"].get<std::string>() + "/content")
            .raw.body.starts_with("\x89PNG"));

  // Uploads of the wrong kind, and half an upload, are refused before a job starts.
  CHECK(api(port, "POST", "/api/v1/scans", {{"dom_object_id", shot_id}, {"screenshot_object_id", shot_id}}).status ==
        422);
  CHECK(api(port, "POST", "/api/v1/scans", {{"dom_object_id", dom_id}}).status == 422);
  CHECK(api(port, "POST", "/api/v1/scans", {{"url", pages.url("/rules.html")}, {"dom_object_id", dom_id}}).status ==
        422);
}

TEST_CASE("A project's schedule scans its page through the platform's scheduler",
          "[integration][accessibility][projects][scan]") {
  PageServer pages;
  serve_pages(pages);
  SqliteBackend backend;
  auto args = scan_args();
  args.insert(args.end(), {"--jobs-schedule-tick-ms", "200"});
  auto server = TytoProcess::serve(backend.args(args));
  const std::uint16_t port = server->port();
  // Every 2 seconds (cron with seconds, as the scheduler takes it), with the project's rule selection.
  auto project = api(port, "POST", "/api/v1/projects",
                     {{"name", "Rules"},
                      {"url", pages.url("/rules.html")},
                      {"schedule", "*/2 * * * * *"},
                      {"rules", {"image-alt", "label"}}});
  INFO(project.raw.body);
  REQUIRE(project.status == 201);
  const std::string id = project.body["id"];
  json done, listed;
  const bool scanned = eventually(
      [&] {
        listed = api(port, "GET", "/api/v1/scans?project_id=" + id).body;
        for (const auto& s : listed["items"]) {
          if (s["status"] == "succeeded") {
            done = api(port, "GET", "/api/v1/scans/" + s["id"].get<std::string>()).body;
            return true;
          }
        }
        return false;
      },
      std::chrono::seconds(120));
  INFO(listed.dump(1));
  REQUIRE(scanned);
  INFO(done.dump(1));
  CHECK(done["url"] == pages.url("/rules.html"));
  CHECK(has(done, "image-alt", "#missing-alt"));
  CHECK(has(done, "label", "#unlabelled-name"));
  CHECK(count_rule(done, "color-contrast") == 0);  // not selected
  CHECK(done["summary"]["axe"]["rules_run"] == 2);
  REQUIRE(api(port, "PATCH", "/api/v1/projects/" + id, {{"schedule", "manual"}}).status == 200);
}
