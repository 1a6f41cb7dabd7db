// The object store contract, run against the local store and against a real Ceph RADOS Gateway.
#include "objects/backends.hpp"

#include "tyto/core/time.hpp"

#include <atomic>
#include <thread>

using namespace tyto;
using namespace tyto::test;
using objects::ObjectInfo;

namespace {

std::string read_range(objects::ObjectStore& store, const std::string& key, std::uint64_t offset,
                       std::optional<std::uint64_t> length, ObjectInfo* info = nullptr) {
  std::string out;
  ObjectInfo got = store.get(key, offset, length, [&out](std::string_view chunk) { out.append(chunk); });
  if (info != nullptr) *info = got;
  return out;
}

// A reader over (its own copy of) data that hands out at most `step` bytes per call, as a socket would.
objects::ReadFn chunked_reader(std::string data, std::size_t step) {
  auto offset = std::make_shared<std::size_t>(0);
  return [data = std::move(data), step, offset](char* buf, std::size_t cap) {
    std::size_t n = std::min({cap, step, data.size() - *offset});
    std::memcpy(buf, data.data() + *offset, n);
    *offset += n;
    return n;
  };
}

}  // namespace

TEMPLATE_TEST_CASE("Objects round-trip with their content type, including binary and empty ones", "[objects]",
                   LocalBackend, RadosgwBackend) {
  TestType backend;
  auto store = backend.open();
  std::string p = unique_prefix();

  ObjectInfo put = store->put(p + "hello.txt", "hello, world", "text/plain");
  CHECK(put.key == p + "hello.txt");
  CHECK(put.size == 12);
  CHECK_FALSE(put.etag.empty());
  CHECK(store->get_all(p + "hello.txt") == "hello, world");
  auto head = store->head(p + "hello.txt");
  REQUIRE(head);
  CHECK(head->size == 12);
  CHECK(head->content_type == "text/plain");
  CHECK(head->etag == put.etag);
  CHECK(std::llabs(head->modified_micros - now_micros()) < 120'000'000);

  std::string binary = pattern_bytes(200'000) + std::string("\0\r\n\xff\0", 5);
  store->put(p + "bin/blob.bin", binary, "");
  CHECK(store->get_all(p + "bin/blob.bin") == binary);
  CHECK(store->head(p + "bin/blob.bin")->content_type == "application/octet-stream");
  CHECK(store->head(p + "bin/blob.bin")->size == binary.size());

  store->put(p + "empty", "", "text/plain");
  CHECK(store->head(p + "empty")->size == 0);
  CHECK(store->get_all(p + "empty").empty());
  ObjectInfo info;
  CHECK(read_range(*store, p + "empty", 0, std::nullopt, &info).empty());
  CHECK(info.size == 0);
}

TEMPLATE_TEST_CASE("Writing a key again replaces the object and its ETag", "[objects]", LocalBackend, RadosgwBackend) {
  TestType backend;
  auto store = backend.open();
  std::string key = unique_prefix() + "doc.json";
  ObjectInfo first = store->put(key, R"({"v":1})", "application/json");
  ObjectInfo second = store->put(key, R"({"v":2,"more":true})", "application/json");
  CHECK(first.etag != second.etag);
  CHECK(store->get_all(key) == R"({"v":2,"more":true})");
  CHECK(store->head(key)->etag == second.etag);
  CHECK(store->head(key)->size == second.size);
}

TEMPLATE_TEST_CASE("Ranged reads return exactly the bytes asked for", "[objects]", LocalBackend, RadosgwBackend) {
  TestType backend;
  auto store = backend.open();
  std::string key = unique_prefix() + "range.bin";
  std::string data = pattern_bytes(1000, 7);
  store->put(key, data, "application/octet-stream");

  ObjectInfo info;
  CHECK(read_range(*store, key, 10, 20, &info) == data.substr(10, 20));
  CHECK(info.size == 1000);  // the whole object's size, not the range's
  CHECK(read_range(*store, key, 0, 1) == data.substr(0, 1));
  CHECK(read_range(*store, key, 990, std::nullopt) == data.substr(990));
  CHECK(read_range(*store, key, 995, 100) == data.substr(995));  // cut at the end
  CHECK(read_range(*store, key, 0, std::nullopt) == data);
  CHECK(read_range(*store, key, 123, 0).empty());
  CHECK(read_range(*store, key, 1000, std::nullopt, &info).empty());
  CHECK(info.size == 1000);
  CHECK(error_code_of([&] { read_range(*store, key, 1001, std::nullopt); }) == ErrorCode::kValidationFailed);
  CHECK(error_code_of([&] { read_range(*store, key, 5000, 10); }) == ErrorCode::kValidationFailed);
}

TEMPLATE_TEST_CASE("A missing object is not found", "[objects]", LocalBackend, RadosgwBackend) {
  TestType backend;
  auto store = backend.open();
  std::string key = unique_prefix() + "nothing/here";
  CHECK_FALSE(store->head(key));
  CHECK(error_code_of([&] { store->get_all(key); }) == ErrorCode::kNotFound);
  CHECK(error_code_of([&] { read_range(*store, key, 5, 10); }) == ErrorCode::kNotFound);
  CHECK(error_code_of([&] { read_range(*store, key, 0, 0); }) == ErrorCode::kNotFound);
  CHECK_FALSE(store->remove(key));
  CHECK(store->list(key).empty());
}

TEMPLATE_TEST_CASE("remove deletes one object and leaves its neighbours", "[objects]", LocalBackend, RadosgwBackend) {
  TestType backend;
  auto store = backend.open();
  std::string p = unique_prefix();
  store->put(p + "a", "file a", "text/plain");  // "a" and "a/…" may both exist
  store->put(p + "a/b", "file a/b", "text/plain");
  store->put(p + "a/c/d", "file a/c/d", "text/plain");

  CHECK(store->remove(p + "a/c/d"));
  CHECK_FALSE(store->head(p + "a/c/d"));
  CHECK_FALSE(store->remove(p + "a/c/d"));
  CHECK(store->get_all(p + "a") == "file a");
  CHECK(store->get_all(p + "a/b") == "file a/b");
  CHECK(store->remove(p + "a"));
  CHECK(store->get_all(p + "a/b") == "file a/b");
  CHECK(store->remove(p + "a/b"));
  CHECK(store->list(p).empty());
}

TEMPLATE_TEST_CASE("list returns the objects under a prefix in key order", "[objects]", LocalBackend, RadosgwBackend) {
  TestType backend;
  auto store = backend.open();
  std::string p = unique_prefix();
  std::vector<std::string> keys = {"c.txt", "a/y/z", "ba", "a", "b", "a/x", "a-b"};
  for (const std::string& k : keys) store->put(p + k, "content of " + k, "text/plain");
  store->put("z-other-" + p.substr(0, p.size() - 1), "outside the prefix", "text/plain");

  auto names = [&](const std::vector<ObjectInfo>& infos) {
    std::vector<std::string> out;
    for (const ObjectInfo& i : infos) out.push_back(i.key.substr(p.size()));
    return out;
  };
  std::vector<ObjectInfo> all = store->list(p);
  CHECK(names(all) == std::vector<std::string>{"a", "a-b", "a/x", "a/y/z", "b", "ba", "c.txt"});
  for (const ObjectInfo& i : all) {
    CHECK(i.size == ("content of " + i.key.substr(p.size())).size());
    CHECK(i.etag == store->head(i.key)->etag);
    CHECK(i.modified_micros > 0);
  }
  CHECK(names(store->list(p + "a/")) == std::vector<std::string>{"a/x", "a/y/z"});
  CHECK(names(store->list(p + "a")) == std::vector<std::string>{"a", "a-b", "a/x", "a/y/z"});
  CHECK(names(store->list(p + "b")) == std::vector<std::string>{"b", "ba"});
  CHECK(names(store->list(p + "a/y/")) == std::vector<std::string>{"a/y/z"});
  CHECK(names(store->list(p, 3)) == std::vector<std::string>{"a", "a-b", "a/x"});
  CHECK(store->list(p, 0).empty());
  CHECK(store->list(p + "nothing").empty());
  CHECK(store->list(p + "zz/").empty());
}

TEMPLATE_TEST_CASE("put_stream stores a large object, in parts on S3, with the exact content", "[objects]",
                   LocalBackend, RadosgwBackend) {
  TestType backend;
  auto store = backend.open();
  std::string key = unique_prefix() + "large.bin";
  std::string data = pattern_bytes((12u << 20) + 12345, 3);  // three parts of 5 MiB, 5 MiB and the rest

  ObjectInfo info = store->put_stream(key, chunked_reader(data, 100'003), "video/mp4");
  CHECK(info.size == data.size());
  if (store->kind() == "s3") CHECK(info.etag.ends_with("-3"));  // S3's mark of a three-part upload
  auto head = store->head(key);
  REQUIRE(head);
  CHECK(head->size == data.size());
  CHECK(head->content_type == "video/mp4");
  CHECK(head->etag == info.etag);

  std::string back = store->get_all(key);
  CHECK(back.size() == data.size());
  CHECK(sha256_hex(back) == sha256_hex(data));
  std::uint64_t boundary = 5u << 20;  // a range across the first part boundary
  CHECK(read_range(*store, key, boundary - 10, 20) == data.substr(boundary - 10, 20));
}

TEMPLATE_TEST_CASE("put_stream sends a small object whole and an object exactly at the threshold too", "[objects]",
                   LocalBackend, RadosgwBackend) {
  TestType backend;
  auto store = backend.open();
  std::string p = unique_prefix();
  std::string small = pattern_bytes(70'000, 5);
  ObjectInfo info = store->put_stream(p + "small", chunked_reader(small, 4096), "");
  CHECK(info.etag.find('-') == std::string::npos);
  CHECK(store->get_all(p + "small") == small);

  std::string at_threshold = pattern_bytes(5u << 20, 6);
  info = store->put_stream(p + "threshold", chunked_reader(at_threshold, 1 << 20), "");
  CHECK(info.etag.find('-') == std::string::npos);
  CHECK(sha256_hex(store->get_all(p + "threshold")) == sha256_hex(at_threshold));

  info = store->put_stream(p + "empty", chunked_reader("", 1), "");
  CHECK(info.size == 0);
  CHECK(store->get_all(p + "empty").empty());
}

TEMPLATE_TEST_CASE("A put_stream whose reader fails stores nothing and keeps the old object", "[objects]", LocalBackend,
                   RadosgwBackend) {
  TestType backend;
  auto store = backend.open();
  std::string p = unique_prefix();
  store->put(p + "kept", "old content", "text/plain");
  for (std::size_t fail_after : {std::size_t{1000}, std::size_t{7u << 20}}) {  // in the first part, in multipart
    std::size_t given = 0;
    auto failing = [&](char* buf, std::size_t cap) -> std::size_t {
      if (given >= fail_after) throw std::runtime_error("client went away");
      std::size_t n = std::min<std::size_t>(cap, 65536);
      std::memset(buf, 'x', n);
      given += n;
      return n;
    };
    CHECK_THROWS_WITH(store->put_stream(p + "kept", failing, "text/plain"), "client went away");
    CHECK_THROWS_WITH(store->put_stream(p + "new", failing, "text/plain"), "client went away");
  }
  CHECK(store->get_all(p + "kept") == "old content");
  CHECK_FALSE(store->head(p + "new"));
}

TEMPLATE_TEST_CASE("Malformed and path-traversal keys are rejected before anything is touched", "[objects]",
                   LocalBackend, RadosgwBackend) {
  TestType backend;
  auto store = backend.open();
  const std::vector<std::string> bad = {"",
                                        "../x",
                                        "/abs",
                                        "a//b",
                                        "a/./b",
                                        "a/../b",
                                        "..",
                                        ".",
                                        "a/",
                                        "a b",
                                        "a\\b",
                                        "a?b",
                                        "a%2Fb",
                                        "caf\xc3\xa9",
                                        std::string("a\0b", 3),
                                        "a\nb",
                                        std::string(1025, 'k'),
                                        "a/" + std::string(201, 'k')};
  for (const std::string& key : bad) {
    INFO("key: " << key);
    CHECK(error_code_of([&] { store->put(key, "x", "text/plain"); }) == ErrorCode::kValidationFailed);
    CHECK(error_code_of([&] { store->put_stream(key, chunked_reader("x", 1), ""); }) == ErrorCode::kValidationFailed);
    CHECK(error_code_of([&] { store->get_all(key); }) == ErrorCode::kValidationFailed);
    CHECK(error_code_of([&] { store->head(key); }) == ErrorCode::kValidationFailed);
    CHECK(error_code_of([&] { store->remove(key); }) == ErrorCode::kValidationFailed);
    CHECK(error_code_of([&] { store->presign("GET", key, std::chrono::seconds(60)); }) == ErrorCode::kValidationFailed);
  }
  for (const char* prefix : {"/a", "a//", "../", "a/../b/", "a b"}) {
    CHECK(error_code_of([&] { store->list(prefix); }) == ErrorCode::kValidationFailed);
  }
  CHECK(error_code_of([&] { store->put(unique_prefix() + "ok", "x", "text/plain\r\nX-Evil: 1"); }) ==
        ErrorCode::kValidationFailed);

  std::string p = unique_prefix();
  std::string longest = p;  // 1024 bytes in segments of at most 200
  while (longest.size() < 1024)
    longest += std::string(std::min<std::size_t>(200, 1024 - longest.size() - 1), 'k') + "/";
  longest.back() = 'k';
  for (const std::string& key : {longest, p + std::string(200, 's'), p + ".hidden", p + "...", p + "A.b-c_9"}) {
    store->put(key, "fine", "text/plain");
    CHECK(store->get_all(key) == "fine");
  }
}

TEMPLATE_TEST_CASE("A store serves many threads at once", "[objects]", LocalBackend, RadosgwBackend) {
  TestType backend;
  auto store = backend.open();
  std::string p = unique_prefix();
  std::atomic<int> mismatches{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 10; ++i) {
        std::string key = p + std::to_string(t) + "/" + std::to_string(i);
        std::string data = pattern_bytes(1000 + static_cast<std::size_t>(t * 100 + i), static_cast<std::uint32_t>(t));
        try {
          store->put(key, data, "application/octet-stream");
          if (store->get_all(key) != data) ++mismatches;
        } catch (const std::exception&) {  // Catch2's macros are not for other threads: count instead
          ++mismatches;
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  CHECK(mismatches == 0);
  CHECK(store->list(p).size() == 80);
}
