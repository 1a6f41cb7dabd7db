// LISTEN/NOTIFY on a dedicated connection (see PostgresListener in postgres_database.hpp).
#include "storage/postgres/postgres_database.hpp"

#include <fmt/format.h>

#include <libpq-fe.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <utility>

namespace tyto::storage {
namespace {

// The server truncates longer identifiers (NAMEDATALEN - 1), so LISTEN would not hear pg_notify.
constexpr std::size_t kMaxChannelBytes = 63;
constexpr std::string_view kListenStatement = "LISTEN ";

}  // namespace

PostgresListener::PostgresListener(const std::string& url, const std::string& display_url, const std::string& password,
                                   const std::vector<std::string>& channels) {
  for (const std::string& channel : channels) {
    if (channel.empty() || channel.size() > kMaxChannelBytes || channel.find('\0') != std::string::npos) {
      throw Error(ErrorCode::kValidationFailed,
                  fmt::format("invalid notification channel name '{}': it must be 1 to {} bytes without NUL", channel,
                              kMaxChannelBytes));
    }
  }
  conn_ = std::make_unique<PostgresConnection>(url, display_url, password);
  for (const std::string& channel : channels) {
    listen_sql_ += fmt::format("{}{};", kListenStatement, conn_->quote_identifier(channel));
  }
  if (!listen_sql_.empty()) conn_->exec(listen_sql_);
  // Last, so that nothing after it can throw and leak the descriptor.
  wake_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (wake_fd_ < 0) throw DatabaseError(fmt::format("eventfd failed: {}", std::strerror(errno)));
}

PostgresListener::~PostgresListener() { ::close(wake_fd_); }

std::vector<Notification> PostgresListener::wait(std::chrono::milliseconds timeout) {
  const Clock::time_point deadline = Clock::now() + timeout;
  std::vector<Notification> received;
  if (connected_) {
    for (;;) {
      conn_->take_notifications(received);  // an earlier read may have brought some already
      if (!received.empty()) return received;
      if (!conn_->settled()) {  // a listener's session is always idle, so this is its health
        connected_ = false;
        break;
      }
      Wake wake = poll_until(conn_->socket(), deadline);
      if (wake != Wake::kReadable) return received;
      bool alive = conn_->consume_input();
      conn_->take_notifications(received);
      if (!alive) {
        connected_ = false;
        break;
      }
    }
    // What arrived before the end of the session goes out now; the next call reconnects.
    if (!received.empty()) return received;
  }
  // Returning at once after a reconnection lets the caller catch up on what it missed.
  if (!reconnect()) poll_until(-1, deadline);
  return received;
}

void PostgresListener::interrupt() {
  const std::uint64_t one = 1;
  // Fails only when the counter is full, and then a wake-up is pending anyway.
  [[maybe_unused]] ssize_t written = ::write(wake_fd_, &one, sizeof(one));
}

bool PostgresListener::reconnected() { return std::exchange(reconnected_, false); }

int PostgresListener::own_pid() const { return connected_ ? conn_->backend_pid() : 0; }

PostgresListener::Wake PostgresListener::poll_until(int socket, Clock::time_point deadline) {
  for (;;) {
    auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now()).count();
    int timeout_ms = static_cast<int>(std::clamp<decltype(left)>(left, 0, INT_MAX));
    pollfd fds[2] = {{wake_fd_, POLLIN, 0}, {socket, POLLIN, 0}};  // poll() skips a negative fd
    int ready = ::poll(fds, 2, timeout_ms);
    if (ready < 0 && errno == EINTR) continue;
    if (ready < 0) throw DatabaseError(fmt::format("poll failed: {}", std::strerror(errno)));
    if (fds[0].revents != 0) {
      std::uint64_t count = 0;
      [[maybe_unused]] ssize_t drained = ::read(wake_fd_, &count, sizeof(count));  // resets the counter
      return Wake::kInterrupted;
    }
    // POLLHUP or POLLERR count as readable: consume_input() then finds the connection broken.
    if (fds[1].revents != 0) return Wake::kReadable;
    if (ready == 0) return Wake::kTimeout;
  }
}

bool PostgresListener::reconnect() {
  try {
    conn_->reset();
    if (!listen_sql_.empty()) conn_->exec(listen_sql_);
  } catch (const DatabaseUnavailable&) {
    return false;  // connected_ stays false: the next wait() tries again
  }
  connected_ = true;
  reconnected_ = true;
  return true;
}

}  // namespace tyto::storage
