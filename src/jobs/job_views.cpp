#include "tyto/jobs/job_views.hpp"

namespace tyto::jobs {

std::int64_t JobViews::now_micros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

void JobViews::put(Ticket ticket, std::string_view tenant_id, std::string_view id, std::string view) {
  if (view.size() > kMaxViewBytes) return;
  const std::size_t bytes = id.size() + tenant_id.size() + view.size();
  std::lock_guard lock(mutex_);
  // Under the lock: invalidate() bumps the generation and clears under it, so a put either sees the new
  // generation and stops, or lands before the clear.
  if (ticket != generation_.load(std::memory_order_relaxed)) return;
  if (newer_bytes_ + bytes > kGenerationBytes) {
    older_ = std::move(newer_);
    newer_ = Map{};
    newer_bytes_ = 0;
  }
  auto [it, inserted] = newer_.try_emplace(std::string(id));
  if (!inserted) newer_bytes_ -= it->first.size() + it->second.tenant_id.size() + it->second.view.size();
  it->second = Entry{std::string(tenant_id), std::move(view), now_micros()};
  newer_bytes_ += bytes;
}

std::optional<std::string> JobViews::find(std::string_view tenant_id, std::string_view id) const {
  const std::int64_t oldest = now_micros() - ttl_micros_;
  std::lock_guard lock(mutex_);
  for (const Map* map : {&newer_, &older_}) {
    if (auto it = map->find(id); it != map->end()) {
      // Another tenant's job of the same id is not this caller's: a miss, and the handler answers 404.
      if (it->second.tenant_id != tenant_id || it->second.read_at < oldest) return std::nullopt;
      return it->second.view;
    }
  }
  return std::nullopt;
}

void JobViews::invalidate() {
  std::lock_guard lock(mutex_);
  generation_.fetch_add(1, std::memory_order_release);
  newer_.clear();
  older_.clear();
  newer_bytes_ = 0;
}

std::size_t JobViews::size() const {
  std::lock_guard lock(mutex_);
  return newer_.size() + older_.size();
}

}  // namespace tyto::jobs
