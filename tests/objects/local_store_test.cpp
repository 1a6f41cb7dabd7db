// What only the local store does: its files, its atomic writes, and the walls around its root.
#include "objects/backends.hpp"

#include <sys/stat.h>

#include <atomic>
#include <thread>

using namespace tyto;
using namespace tyto::test;
namespace fs = std::filesystem;

namespace {

// Every file under dir, relative to it.
std::vector<std::string> files_under(const fs::path& dir) {
  std::vector<std::string> out;
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    if (entry.is_regular_file()) out.push_back(fs::relative(entry.path(), dir).string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

TEST_CASE("The local store keeps each object as one file under its root", "[objects][local]") {
  TempDir dir;
  auto store = objects::open_local_store(dir.path() / "root");
  store->put("a", "A", "text/plain");
  store->put("a/b/c.txt", "C", "text/plain");
  CHECK(files_under(dir.path()) == std::vector<std::string>{"root/a/b/c.txt~obj", "root/a~obj"});
  std::string file = read_file(dir.path() / "root/a/b/c.txt~obj");
  CHECK(file.starts_with("tyto-object 1\n{\"etag\":\"" + sha256_hex("C") + "\",\"content_type\":\"text/plain\"}\n"));
  CHECK(file.ends_with("\nC"));
  CHECK(store->head("a/b/c.txt")->etag == sha256_hex("C"));
}

TEST_CASE("Removing the last object of a directory removes the empty directories", "[objects][local]") {
  TempDir dir;
  auto store = objects::open_local_store(dir.path());
  store->put("x/y/z/deep", "1", "");
  store->put("x/keep", "2", "");
  CHECK(store->remove("x/y/z/deep"));
  CHECK_FALSE(fs::exists(dir.path() / "x/y"));
  CHECK(fs::exists(dir.path() / "x/keep~obj"));
  CHECK(store->remove("x/keep"));
  CHECK(fs::is_empty(dir.path()));
}

TEST_CASE("A failed write leaves no temporary file and the old object whole", "[objects][local]") {
  TempDir dir;
  auto store = objects::open_local_store(dir.path());
  store->put("doc", "version 1", "text/plain");
  std::size_t calls = 0;
  auto failing = [&](char* buf, std::size_t cap) -> std::size_t {
    if (++calls > 3) throw std::runtime_error("disk on fire");
    std::memset(buf, 'y', cap);
    return cap;
  };
  CHECK_THROWS_WITH(store->put_stream("doc", failing, "text/plain"), "disk on fire");
  CHECK(store->get_all("doc") == "version 1");
  CHECK(files_under(dir.path()) == std::vector<std::string>{"doc~obj"});
}

TEST_CASE("Concurrent writers of one key leave exactly one of their objects", "[objects][local]") {
  TempDir dir;
  auto store = objects::open_local_store(dir.path());
  std::vector<std::string> versions;
  for (std::uint32_t i = 0; i < 6; ++i) versions.push_back(pattern_bytes(300'000 + i, i + 1));
  std::atomic<int> failures{0};
  std::vector<std::thread> writers;
  for (const std::string& v : versions) {
    writers.emplace_back([&store, &v, &failures] {
      for (int round = 0; round < 5; ++round) {
        try {
          store->put("contended/key", v, "application/octet-stream");
        } catch (const std::exception&) {
          ++failures;
        }
      }
    });
  }
  for (std::thread& t : writers) t.join();
  CHECK(failures == 0);
  std::string final_content = store->get_all("contended/key");
  CHECK(std::find(versions.begin(), versions.end(), final_content) != versions.end());
  CHECK(store->head("contended/key")->etag == sha256_hex(final_content));
  CHECK(files_under(dir.path()) == std::vector<std::string>{"contended/key~obj"});
}

TEST_CASE("A symbolic link inside the root cannot lead a key out of it", "[objects][local]") {
  TempDir dir;
  fs::create_directories(dir.path() / "outside");
  fs::create_directories(dir.path() / "root");
  write_file(dir.path() / "outside/secret~obj",
             "tyto-object 1\n{\"etag\":\"" + std::string(64, '0') + "\",\"content_type\":\"text/plain\"}\nsecret");
  fs::create_directory_symlink(dir.path() / "outside", dir.path() / "root/escape");
  auto store = objects::open_local_store(dir.path() / "root");
  CHECK(error_code_of([&] { store->put("escape/new", "x", ""); }) == ErrorCode::kValidationFailed);
  CHECK(error_code_of([&] { store->get_all("escape/secret"); }) == ErrorCode::kValidationFailed);
  CHECK(error_code_of([&] { store->remove("escape/secret"); }) == ErrorCode::kValidationFailed);
  CHECK(error_code_of([&] { store->list("escape/"); }) == ErrorCode::kValidationFailed);
  CHECK(store->list("").empty());  // links are not followed when listing
  CHECK(files_under(dir.path() / "outside") == std::vector<std::string>{"secret~obj"});
}

TEST_CASE("The local store ignores files that are not its objects and reports damaged ones", "[objects][local]") {
  TempDir dir;
  auto store = objects::open_local_store(dir.path());
  store->put("good", "fine", "text/plain");
  write_file(dir.path() / "stray.txt", "not ours");
  write_file(dir.path() / "bad name~obj", "not a key");
  write_file(dir.path() / "good~tmp.0123", "a temporary file");
  write_file(dir.path() / "broken~obj", "no header at all");
  std::vector<objects::ObjectInfo> listed = store->list("g");
  REQUIRE(listed.size() == 1);
  CHECK(listed[0].key == "good");
  // A damaged object fails loudly wherever it is met, never passing for an empty or missing one.
  CHECK(error_code_of([&] { store->get_all("broken"); }) == ErrorCode::kInternal);
  CHECK(error_code_of([&] { store->head("broken"); }) == ErrorCode::kInternal);
  CHECK(error_code_of([&] { store->list(""); }) == ErrorCode::kInternal);
}

TEST_CASE("Opening a local store on a file fails", "[objects][local]") {
  TempDir dir;
  write_file(dir.path() / "file", "x");
  CHECK(error_code_of([&] { objects::open_local_store(dir.path() / "file"); }) == ErrorCode::kInternal);
}
