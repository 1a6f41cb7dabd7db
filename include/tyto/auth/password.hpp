// Password hashing (argon2id, through libsodium) and the password policy.
//
// Hashes are self-describing PHC strings ("$argon2id$v=19$m=65536,t=3,p=1$salt$hash"): the salt and the
// parameters travel inside, so verify_password needs nothing but the string, and needs_rehash tells when a
// stored hash was made with weaker parameters than today's and should be replaced after the next
// successful login.
//
// Cost. The defaults are t = 3 passes over m = 64 MiB (one lane; libsodium's argon2id is single-threaded).
// Measured on the 2-core development machine: ~70 ms with t = 2 / 64 MiB (libsodium's INTERACTIVE),
// ~90 ms with t = 3 / 64 MiB (our default), ~110 ms with t = 4 / 64 MiB, ~200 ms with t = 3 / 128 MiB and
// over a second with MODERATE (t = 3 / 256 MiB). t = 3 / 64 MiB is RFC 9106's second recommended setting
// (bar the lanes) and sits well above OWASP's argon2id floor (19 MiB, t = 2); it costs an attacker 64 MiB
// of memory per guess while keeping a login under 100 ms. Each hash holds 64 MiB while it runs: run hashing
// on the CPU job pool (never on an I/O thread) so that the pool's size bounds the memory in use.
//
// Thread-safety: every function may be called from any thread at once.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>

namespace tyto::auth {

// The argon2id cost. Raise it as hardware gets faster; needs_rehash then flags older hashes.
struct PasswordParams {
  std::uint64_t ops_limit = 3;                     // passes over memory (argon2 "t")
  std::size_t mem_limit_bytes = 64 * 1024 * 1024;  // memory per hash in bytes (argon2 "m" · 1 KiB)
};

// Policy bounds. Length counts UTF-8 code points; the maximum is in bytes, so a request cannot make the
// server hash megabytes.
inline constexpr std::size_t kMinPasswordLength = 12;
inline constexpr std::size_t kMaxPasswordBytes = 1024;

// A PHC-format argon2id hash of password with a fresh random salt. Throws tyto::Error (kValidationFailed)
// for a password longer than kMaxPasswordBytes, and tyto::Error (kInternal) for parameters libsodium
// rejects or when it cannot allocate the memory. Does not apply the policy: call check_password_policy
// first where a user chooses a password.
std::string hash_password(std::string_view password, const PasswordParams& params = {});

// True if password matches hash. False for a wrong password, a malformed or unknown hash, or a password
// longer than kMaxPasswordBytes (none can have been stored). Never throws. Runs in constant time with
// respect to the password, at the cost stored in the hash.
bool verify_password(std::string_view password, std::string_view hash) noexcept;

// True if hash was not made with argon2id at exactly `params` (weaker or stronger), or cannot be read at
// all: the caller should store hash_password(password, params) after the next successful verify.
bool needs_rehash(std::string_view hash, const PasswordParams& params = {}) noexcept;

// Passwords known to be common (a list such as John the Ripper's password.lst, which Debian's john-data
// ships), compared case-insensitively. Immutable once loaded; safe to share between threads.
class PasswordBlocklist {
 public:
  PasswordBlocklist() = default;
  // One password per line; lines starting with "#!comment:" and empty lines are skipped. nullopt if
  // the file cannot be read.
  static std::optional<PasswordBlocklist> load(const std::string& path);
  void add(std::string_view password);
  bool contains(std::string_view password) const;
  std::size_t size() const noexcept { return entries_.size(); }

 private:
  std::unordered_set<std::string> entries_;  // lowercased
};

// Why password is not acceptable as a new password, in a sentence fit for the user ("must be at least 12
// characters"), or nullopt when it passes: at least kMinPasswordLength code points, at most
// kMaxPasswordBytes bytes, not a short run repeated ("aaaaaaaaaaaa", "abcabcabcabc"), not a straight
// sequence ("123456789012", "zyxwvutsrqpo"), and not on the blocklist when one is given.
std::optional<std::string> check_password_policy(std::string_view password,
                                                 const PasswordBlocklist* blocklist = nullptr);

}  // namespace tyto::auth
