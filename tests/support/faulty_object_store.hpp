// An objects::ObjectStore that forwards to a real one and fails writes on command, the object-store half of
// the fault-injecting environment (see faulty_database.hpp):
//   store.fail_put(1, StoreFault::kDiskFull);                   // the next put fails, nothing written
//   store.fail_put(1, StoreFault::kDiskFullAfter, "", 100000);  // the real store takes 100000 bytes, then ENOSPC
//
// Errors are those the local store throws for the same system error (it names the errno), so code under test
// sees exactly what a real full or read-only disk produces. The faults that happen inside the real store
// (kDiskFullAfter, kShortWrite) run the real store's code: its temporary file and its cleanup are real.
//
// Thread-safety: safe from many threads; the fault plan is shared (narrow faults with `match`).
#pragma once

#include "tyto/objects/object_store.hpp"

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace tyto::test {

enum class StoreFault {
  kDiskFull,       // ENOSPC before any byte is stored
  kDiskFullAfter,  // the real store takes `after_bytes` bytes into its temporary file, then ENOSPC
  kShortWrite,     // the real store receives only `after_bytes` bytes and stores them as the whole object
  kFsync,          // every byte is consumed, then fsync fails with EIO: nothing is renamed into place
  kReadOnly,       // EROFS: the file system was remounted read-only
  kUnavailable,    // the store cannot be reached (S3 answering 503 after its retries)
};

// The error the local store throws for `fault` while writing `key`.
[[noreturn]] void throw_store_fault(StoreFault fault, std::string_view key);

class FaultyObjectStore final : public objects::ObjectStore {
 public:
  static constexpr int kForever = -1;

  explicit FaultyObjectStore(objects::ObjectStore& real);
  explicit FaultyObjectStore(std::unique_ptr<objects::ObjectStore> real);
  ~FaultyObjectStore() override;

  // The nth put or put_stream from now (1: the next) whose key contains `match` (empty: any) fails with
  // `fault`; so do the `times - 1` matching puts after it (kForever: until clear()).
  void fail_put(int nth, StoreFault fault, std::string match = {}, std::uint64_t after_bytes = 0, int times = 1);
  // The nth remove from now fails with `fault` (the object stays).
  void fail_remove(int nth, StoreFault fault, int times = 1);
  void clear();

  int injected() const noexcept { return injected_.load(); }
  objects::ObjectStore& real() noexcept { return real_; }

  // objects::ObjectStore
  objects::ObjectInfo put(std::string_view key, std::string_view data, std::string_view content_type) override;
  objects::ObjectInfo put_stream(std::string_view key, const objects::ReadFn& read,
                                 std::string_view content_type) override;
  std::optional<objects::ObjectInfo> head(std::string_view key) override { return real_.head(key); }
  objects::ObjectInfo get(std::string_view key, std::uint64_t offset, std::optional<std::uint64_t> length,
                          const objects::SinkFn& sink) override {
    return real_.get(key, offset, length, sink);
  }
  bool remove(std::string_view key) override;
  std::vector<objects::ObjectInfo> list(std::string_view prefix, std::size_t limit) override {
    return real_.list(prefix, limit);
  }
  std::optional<std::string> presign(std::string_view method, std::string_view key, std::chrono::seconds expires,
                                     std::string_view content_type) override {
    return real_.presign(method, key, expires, content_type);
  }
  std::string_view kind() const noexcept override { return real_.kind(); }

 private:
  enum class Kind { kPut, kRemove };
  struct Rule {
    Kind kind;
    int skip;
    int times;
    StoreFault fault;
    std::string match;
    std::uint64_t after_bytes;
  };
  std::optional<Rule> take(Kind kind, std::string_view key);

  std::unique_ptr<objects::ObjectStore> owned_;
  objects::ObjectStore& real_;
  std::mutex mutex_;
  std::vector<Rule> rules_;  // GUARDED_BY(mutex_)
  std::atomic<int> injected_{0};
};

}  // namespace tyto::test
