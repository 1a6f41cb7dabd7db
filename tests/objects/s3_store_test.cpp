// What only the S3 store does: presigned URLs used by a plain HTTP client, addressing styles, error mapping,
// retries. Against the suite's RADOS Gateway, or a fake server for the failures.
#include "objects/backends.hpp"
#include "objects/detail/s3_client.hpp"
#include "objects/detail/s3_multipart.hpp"
#include "objects/detail/xml.hpp"
#include "objects/fake_server.hpp"

#include <thread>

using namespace tyto;
using namespace tyto::test;
using namespace std::chrono_literals;

namespace {

objects::S3Options offline_options(const std::string& endpoint, bool path_style = true) {
  objects::S3Options options;
  options.endpoint = endpoint;
  options.bucket = "my-bucket";
  options.access_key = "AKIDEXAMPLE";
  options.secret_key = "not-a-real-secret-key";
  options.path_style = path_style;
  return options;
}

}  // namespace

TEST_CASE("A presigned GET URL serves the object to a plain HTTP client", "[objects][s3]") {
  RadosgwBackend backend;
  auto store = backend.open();
  std::string key = unique_prefix() + "shared.txt";
  store->put(key, "shared content", "text/plain");

  std::optional<std::string> url = store->presign("GET", key, 60s);
  REQUIRE(url);
  CHECK(url->find("X-Amz-Signature=") != std::string::npos);
  CHECK(url->find(s3_test_options().secret_key) == std::string::npos);
  HttpResponse response = fetch_url(*url, "GET");
  CHECK(response.status == 200);
  CHECK(response.body == "shared content");
  CHECK(response.header("content-type") == "text/plain");
}

TEST_CASE("A presigned PUT URL takes an upload with the signed content type", "[objects][s3]") {
  RadosgwBackend backend;
  auto store = backend.open();
  std::string key = unique_prefix() + "upload.png";
  std::string body = pattern_bytes(50'000, 9);

  std::optional<std::string> url = store->presign("PUT", key, 300s, "image/png");
  REQUIRE(url);
  HttpResponse response = fetch_url(*url, "PUT", body, {{"Content-Type", "image/png"}});
  CHECK(response.status == 200);
  CHECK(store->get_all(key) == body);
  CHECK(store->head(key)->content_type == "image/png");
}

TEST_CASE("A presigned PUT URL refuses an upload with another content type", "[objects][s3]") {
  RadosgwBackend backend;
  auto store = backend.open();
  std::string key = unique_prefix() + "upload.png";
  std::optional<std::string> url = store->presign("PUT", key, 300s, "image/png");
  REQUIRE(url);
  CHECK(fetch_url(*url, "PUT", "not a png", {{"Content-Type", "text/html"}}).status == 403);
  CHECK(fetch_url(*url, "PUT", "not a png").status == 403);
  CHECK_FALSE(store->head(key));
}

TEST_CASE("An expired presigned URL is refused", "[objects][s3]") {
  RadosgwBackend backend;
  auto store = backend.open();
  std::string key = unique_prefix() + "brief.txt";
  store->put(key, "here for a moment", "text/plain");
  std::optional<std::string> get_url = store->presign("GET", key, 1s);
  std::optional<std::string> put_url = store->presign("PUT", key, 1s, "text/plain");
  REQUIRE(get_url);
  REQUIRE(put_url);
  std::this_thread::sleep_for(2500ms);
  CHECK(fetch_url(*get_url, "GET").status == 403);
  CHECK(fetch_url(*put_url, "PUT", "overwritten", {{"Content-Type", "text/plain"}}).status == 403);
  CHECK(store->get_all(key) == "here for a moment");
}

TEST_CASE("A presigned URL opens only its own object and method", "[objects][s3]") {
  RadosgwBackend backend;
  auto store = backend.open();
  std::string p = unique_prefix();
  store->put(p + "public", "public", "text/plain");
  store->put(p + "secret", "secret", "text/plain");
  std::string url = *store->presign("GET", p + "public", 60s);
  std::string other = url;
  other.replace(other.find("/public?"), 8, "/secret?");
  CHECK(fetch_url(other, "GET").status == 403);
  CHECK(fetch_url(url, "PUT", "replaced").status == 403);
  CHECK(fetch_url(url, "GET").body == "public");
}

TEST_CASE("Presigning takes only GET and PUT and expiries from 1 second to 7 days", "[objects][s3]") {
  auto store = objects::open_s3_store(offline_options("https://s3.example.com"));
  CHECK(error_code_of([&] { store->presign("DELETE", "a", 60s); }) == ErrorCode::kValidationFailed);
  CHECK(error_code_of([&] { store->presign("get", "a", 60s); }) == ErrorCode::kValidationFailed);
  CHECK(error_code_of([&] { store->presign("GET", "a", 0s); }) == ErrorCode::kValidationFailed);
  CHECK(error_code_of([&] { store->presign("GET", "a", 7 * 24h + 1s); }) == ErrorCode::kValidationFailed);
  CHECK(error_code_of([&] { store->presign("PUT", "a", 60s, "text/plain\nX: y"); }) == ErrorCode::kValidationFailed);
  CHECK(store->presign("GET", "a", 7 * 24h));
}

TEST_CASE("Presigned URLs follow the addressing style and sign the content type of a PUT", "[objects][s3]") {
  auto path_style = objects::open_s3_store(offline_options("https://s3.example.com:8443/"));
  std::string url = *path_style->presign("GET", "dir/file.txt", 3600s);
  CHECK(
      url.starts_with("https://s3.example.com:8443/my-bucket/dir/file.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256&"
                      "X-Amz-Credential=AKIDEXAMPLE%2F"));
  CHECK(url.find("&X-Amz-Expires=3600&X-Amz-SignedHeaders=host&X-Amz-Signature=") != std::string::npos);

  auto virtual_host = objects::open_s3_store(offline_options("https://s3.example.com", false));
  url = *virtual_host->presign("PUT", "dir/file.txt", 60s, "image/jpeg");
  CHECK(url.starts_with("https://my-bucket.s3.example.com/dir/file.txt?"));
  CHECK(url.find("X-Amz-SignedHeaders=content-type%3Bhost") != std::string::npos);
}

TEST_CASE("The local store presigns nothing: the API serves its objects", "[objects]") {
  LocalBackend backend;
  auto store = backend.open();
  store->put("a/b", "x", "text/plain");
  CHECK_FALSE(store->presign("GET", "a/b", 60s));
  CHECK_FALSE(store->presign("PUT", "a/new", 60s, "image/png"));
  CHECK(error_code_of([&] { store->presign("DELETE", "a/b", 60s); }) == ErrorCode::kValidationFailed);
  CHECK(error_code_of([&] { store->presign("GET", "a/b", 0s); }) == ErrorCode::kValidationFailed);
  CHECK(store->kind() == "local");
}

TEST_CASE("A multipart upload that fails is aborted, leaving no parts behind", "[objects][s3]") {
  RadosgwBackend backend;
  auto store = backend.open();
  std::string key = unique_prefix() + "abandoned.bin";
  std::size_t given = 0;
  auto failing = [&](char* buf, std::size_t cap) -> std::size_t {
    if (given >= (12u << 20)) throw std::runtime_error("upload cancelled");
    std::size_t n = std::min<std::size_t>(cap, 1 << 20);
    std::memset(buf, 'p', n);
    given += n;
    return n;
  };
  CHECK_THROWS_WITH(store->put_stream(key, failing, ""), "upload cancelled");
  CHECK_FALSE(store->head(key));

  objects::detail::S3Client client(s3_test_options());  // ListMultipartUploads is no ObjectStore call
  auto uploads_in_progress = [&] {
    objects::detail::S3Request request{"GET", "", {{"uploads", ""}, {"prefix", key}}};
    objects::detail::HttpResponse response = client.execute(request);
    REQUIRE(response.status == 200);
    return objects::detail::xml::elements(response.body, "Upload").size();
  };
  CHECK(uploads_in_progress() == 0);
  objects::detail::MultipartUpload upload(client, key, "text/plain");  // the check can see one
  CHECK(uploads_in_progress() == 1);
  upload.abort();
  CHECK(uploads_in_progress() == 0);
}

TEST_CASE("Wrong credentials are an internal error naming the S3 code, never the secret", "[objects][s3]") {
  objects::S3Options options = s3_test_options();
  options.secret_key = "WrongSecretKeyWrongSecretKeyWrongSecret0";
  auto store = objects::open_s3_store(options);
  std::string message = error_message_of([&] { store->put(unique_prefix() + "x", "x", "text/plain"); });
  CHECK(error_code_of([&] { store->get_all("some/key"); }) == ErrorCode::kInternal);
  CHECK(message.find("SignatureDoesNotMatch") != std::string::npos);
  CHECK(message.find(options.secret_key) == std::string::npos);

  options.access_key = "NOSUCHACCESSKEY00000";
  store = objects::open_s3_store(options);
  message = error_message_of([&] { store->list(""); });
  CHECK(message.find("InvalidAccessKeyId") != std::string::npos);
}

TEST_CASE("A missing bucket is an internal error, not a missing object", "[objects][s3]") {
  objects::S3Options options = s3_test_options();
  options.bucket = "tyto-no-such-bucket";
  auto store = objects::open_s3_store(options);
  CHECK(error_code_of([&] { store->get_all("a/b"); }) == ErrorCode::kInternal);
  CHECK(error_message_of([&] { store->list(""); }).find("NoSuchBucket") != std::string::npos);
  CHECK(error_message_of([&] { store->put("a/b", "x", ""); }).find("NoSuchBucket") != std::string::npos);
}

TEST_CASE("An unreachable S3 endpoint is unavailable after the retries", "[objects][s3]") {
  std::uint16_t closed_port = 0;
  {
    FakeServer server({FakeServer::kHangUp});
    closed_port = server.port();
  }
  objects::S3Options options = offline_options("http://127.0.0.1:" + std::to_string(closed_port));
  options.max_attempts = 2;
  auto store = objects::open_s3_store(options);
  auto started = std::chrono::steady_clock::now();
  CHECK(error_code_of([&] { store->get_all("a"); }) == ErrorCode::kUnavailable);
  CHECK(error_message_of([&] { store->head("a"); }).find("after 2 attempt(s)") != std::string::npos);
  CHECK(std::chrono::steady_clock::now() - started < 10s);
}

TEST_CASE("Idempotent requests are retried after 5xx answers and dropped connections", "[objects][s3]") {
  FakeServer server({FakeServer::response(503, "<Error><Code>SlowDown</Code></Error>"), FakeServer::kHangUp,
                     FakeServer::response(200, "finally", "ETag: \"abc\"\r\nContent-Type: text/plain\r\n")});
  auto store = objects::open_s3_store(offline_options(server.endpoint()));
  CHECK(store->get_all("some/key") == "finally");
  std::vector<std::string> requests = server.requests();
  REQUIRE(requests.size() == 3);
  for (const std::string& head : requests) CHECK(head.starts_with("GET /my-bucket/some/key HTTP/1.1"));
}

TEST_CASE("A server that keeps failing is unavailable, and other errors are not retried", "[objects][s3]") {
  FakeServer failing({FakeServer::response(500, "<Error><Code>InternalError</Code><Message>boom</Message></Error>")});
  objects::S3Options options = offline_options(failing.endpoint());
  options.max_attempts = 3;
  auto store = objects::open_s3_store(options);
  std::string message = error_message_of([&] { store->get_all("k"); });
  CHECK(message.find("HTTP 500 InternalError: boom") != std::string::npos);
  CHECK(error_code_of([&] { store->get_all("k"); }) == ErrorCode::kUnavailable);
  CHECK(failing.requests().size() == 6);

  FakeServer denying({FakeServer::response(403, "<Error><Code>AccessDenied</Code></Error>")});
  store = objects::open_s3_store(offline_options(denying.endpoint()));
  CHECK(error_code_of([&] { store->get_all("k"); }) == ErrorCode::kInternal);
  CHECK(denying.requests().size() == 1);
}

TEST_CASE("S3 options are checked when the store opens", "[objects][s3]") {
  auto code_for = [](auto change) {
    objects::S3Options options = offline_options("http://127.0.0.1:9000");
    change(options);
    return error_code_of([&] { objects::open_s3_store(options); });
  };
  CHECK(code_for([](auto& o) { o.endpoint = "ftp://example.com"; }) == ErrorCode::kValidationFailed);
  CHECK(code_for([](auto& o) { o.endpoint = "http://example.com/prefix"; }) == ErrorCode::kValidationFailed);
  CHECK(code_for([](auto& o) { o.endpoint = "http://example.com:99999"; }) == ErrorCode::kValidationFailed);
  CHECK(code_for([](auto& o) { o.endpoint = "http://user@example.com"; }) == ErrorCode::kValidationFailed);
  CHECK(code_for([](auto& o) { o.bucket = ""; }) == ErrorCode::kValidationFailed);
  CHECK(code_for([](auto& o) { o.secret_key = ""; }) == ErrorCode::kValidationFailed);
  CHECK(code_for([](auto& o) { o.part_size = 1u << 20; }) == ErrorCode::kValidationFailed);
  CHECK(code_for([](auto& o) { o.max_attempts = 0; }) == ErrorCode::kValidationFailed);
  CHECK(objects::open_s3_store(offline_options("http://[::1]:9000"))->kind() == "s3");
}

TEST_CASE("Presigned URLs point at the public endpoint and are signed for its host", "[objects][s3]") {
  RadosgwBackend backend;
  auto options = s3_test_options();
  const auto port = options.endpoint.substr(options.endpoint.rfind(':') + 1);
  options.public_endpoint = "http://localhost:" + port;  // the name clients use; the server uses 127.0.0.1
  auto store = objects::open_s3_store(options);
  const std::string key = unique_prefix() + "public.txt";
  auto url = store->presign("PUT", key, 300s, "text/plain");
  REQUIRE(url);
  REQUIRE(url->rfind(options.public_endpoint + "/", 0) == 0);
  // Sent to the same server under the public name: the signature covers Host, so only that name works.
  auto put = [&](const std::string& host) {
    Client client(static_cast<std::uint16_t>(std::stoi(port)), "127.0.0.1");
    const std::string target = url->substr(options.public_endpoint.size());
    client.send("PUT " + target + " HTTP/1.1\r\nHost: " + host +
                "\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n"
                "Connection: close\r\n\r\nhello");
    auto res = client.read_response();
    REQUIRE(res);
    return res->status;
  };
  CHECK(put("127.0.0.1:" + port) == 403);
  CHECK(put("localhost:" + port) == 200);
  CHECK(store->get_all(key) == "hello");
}
