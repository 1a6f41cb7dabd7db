#include "support/faulty_object_store.hpp"

#include "objects/detail/local_file.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace tyto::test {

void throw_store_fault(StoreFault fault, std::string_view key) {
  const std::filesystem::path path = std::string(key) + "~obj [injected]";
  switch (fault) {
    case StoreFault::kDiskFull:
    case StoreFault::kDiskFullAfter:
    case StoreFault::kShortWrite:
      objects::detail::throw_system_error("cannot write", path, ENOSPC);
    case StoreFault::kFsync:
      objects::detail::throw_system_error("cannot fsync", path, EIO);
    case StoreFault::kReadOnly:
      objects::detail::throw_system_error("cannot create directory", path, EROFS);
    case StoreFault::kUnavailable:
      throw Error(ErrorCode::kUnavailable, "S3 request failed after 4 attempts: 503 SlowDown [injected]");
  }
  throw Error(ErrorCode::kInternal, "unknown injected store fault");
}

FaultyObjectStore::FaultyObjectStore(objects::ObjectStore& real) : real_(real) {}
FaultyObjectStore::FaultyObjectStore(std::unique_ptr<objects::ObjectStore> real)
    : owned_(std::move(real)), real_(*owned_) {}
FaultyObjectStore::~FaultyObjectStore() = default;

void FaultyObjectStore::fail_put(int nth, StoreFault fault, std::string match, std::uint64_t after_bytes, int times) {
  std::lock_guard lock(mutex_);
  rules_.push_back({Kind::kPut, nth - 1, times, fault, std::move(match), after_bytes});
}

void FaultyObjectStore::fail_remove(int nth, StoreFault fault, int times) {
  std::lock_guard lock(mutex_);
  rules_.push_back({Kind::kRemove, nth - 1, times, fault, {}, 0});
}

void FaultyObjectStore::clear() {
  std::lock_guard lock(mutex_);
  rules_.clear();
}

std::optional<FaultyObjectStore::Rule> FaultyObjectStore::take(Kind kind, std::string_view key) {
  std::lock_guard lock(mutex_);
  std::optional<Rule> hit;
  for (auto& rule : rules_) {
    if (rule.kind != kind || rule.times == 0) continue;
    if (!rule.match.empty() && key.find(rule.match) == std::string_view::npos) continue;
    if (rule.skip > 0) {
      --rule.skip;
      continue;
    }
    if (rule.times > 0) --rule.times;
    if (!hit) hit = rule;
  }
  if (hit) ++injected_;
  return hit;
}

objects::ObjectInfo FaultyObjectStore::put(std::string_view key, std::string_view data, std::string_view content_type) {
  std::size_t at = 0;
  return put_stream(
      key,
      [&](char* buf, std::size_t cap) {
        const std::size_t n = std::min(cap, data.size() - at);
        std::memcpy(buf, data.data() + at, n);
        at += n;
        return n;
      },
      content_type);
}

objects::ObjectInfo FaultyObjectStore::put_stream(std::string_view key, const objects::ReadFn& read,
                                                  std::string_view content_type) {
  const auto rule = take(Kind::kPut, key);
  if (!rule) return real_.put_stream(key, read, content_type);
  switch (rule->fault) {
    case StoreFault::kDiskFullAfter:
    case StoreFault::kShortWrite: {
      // The real store writes the first after_bytes bytes; then the disk is full, or the rest goes missing.
      std::uint64_t left = rule->after_bytes;
      const bool short_write = rule->fault == StoreFault::kShortWrite;
      return real_.put_stream(
          key,
          [&](char* buf, std::size_t cap) -> std::size_t {
            if (left == 0) {
              if (short_write) return 0;
              throw_store_fault(rule->fault, key);
            }
            const std::size_t n = read(buf, static_cast<std::size_t>(std::min<std::uint64_t>(cap, left)));
            left -= n;
            return n;
          },
          content_type);
    }
    case StoreFault::kFsync: {
      std::string buf(64 * 1024, '\0');
      while (read(buf.data(), buf.size()) > 0) {
      }
      throw_store_fault(rule->fault, key);
    }
    default:
      throw_store_fault(rule->fault, key);
  }
}

bool FaultyObjectStore::remove(std::string_view key) {
  if (auto rule = take(Kind::kRemove, key)) throw_store_fault(rule->fault, key);
  return real_.remove(key);
}

}  // namespace tyto::test
