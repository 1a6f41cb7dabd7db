#include "tyto/auth/password.hpp"
#include "tyto/core/error.hpp"

#include <catch2/catch.hpp>

#include <string>

namespace {

using tyto::auth::PasswordParams;

// Cheap parameters keep the suite fast; one test below uses the real defaults.
const PasswordParams kFast{.ops_limit = 1, .mem_limit_bytes = 1024 * 1024};

}  // namespace

TEST_CASE("A password hashed with the defaults is argon2id at t=3, 64 MiB and verifies", "[auth]") {
  const std::string hash = tyto::auth::hash_password("correct horse battery staple");
  CHECK(hash.starts_with("$argon2id$v=19$m=65536,t=3,p=1$"));
  CHECK(tyto::auth::verify_password("correct horse battery staple", hash));
  CHECK_FALSE(tyto::auth::verify_password("correct horse battery stapler", hash));
  CHECK_FALSE(tyto::auth::needs_rehash(hash));
}

TEST_CASE("Hashing the same password twice gives different salted hashes that both verify", "[auth]") {
  const std::string a = tyto::auth::hash_password("same password!", kFast);
  const std::string b = tyto::auth::hash_password("same password!", kFast);
  CHECK(a != b);
  CHECK(tyto::auth::verify_password("same password!", a));
  CHECK(tyto::auth::verify_password("same password!", b));
}

TEST_CASE("A wrong, empty or oversized password does not verify", "[auth]") {
  const std::string hash = tyto::auth::hash_password("hunter2hunter2", kFast);
  CHECK_FALSE(tyto::auth::verify_password("hunter2hunter3", hash));
  CHECK_FALSE(tyto::auth::verify_password("", hash));
  CHECK_FALSE(tyto::auth::verify_password(std::string(2000, 'x'), hash));
}

TEST_CASE("A malformed or foreign hash verifies nothing and needs a rehash", "[auth]") {
  for (const std::string& hash :
       std::initializer_list<std::string>{"", "not a hash", "$2b$12$abcdefghijklmnopqrstuv", "$argon2id$v=19$m=65536",
                                          std::string("$argon2id$\0", 11)}) {
    CHECK_FALSE(tyto::auth::verify_password("whatever password", hash));
    CHECK(tyto::auth::needs_rehash(hash));
  }
}

TEST_CASE("A hash made with other parameters needs a rehash", "[auth]") {
  const std::string weak = tyto::auth::hash_password("a fine password", kFast);
  CHECK(tyto::auth::needs_rehash(weak));  // against the defaults
  CHECK_FALSE(tyto::auth::needs_rehash(weak, kFast));
  CHECK(tyto::auth::needs_rehash(weak, PasswordParams{.ops_limit = 2, .mem_limit_bytes = 1024 * 1024}));
}

TEST_CASE("Hashing refuses oversized passwords and out-of-range parameters", "[auth]") {
  CHECK_THROWS_AS(tyto::auth::hash_password(std::string(1025, 'x'), kFast), tyto::Error);
  CHECK_NOTHROW(tyto::auth::hash_password(std::string(1024, 'x'), kFast));
  CHECK_THROWS_AS(tyto::auth::hash_password("a fine password", PasswordParams{.ops_limit = 0}), tyto::Error);
  CHECK_THROWS_AS(tyto::auth::hash_password("a fine password", PasswordParams{.ops_limit = 1, .mem_limit_bytes = 16}),
                  tyto::Error);
}

TEST_CASE("The password policy wants 12 code points to 1024 bytes, no repeated run, sequence or common password",
          "[auth][hardening]") {
  using tyto::auth::check_password_policy;
  CHECK(check_password_policy("Tr0ub4dor&3x") == std::nullopt);
  CHECK(check_password_policy("abcdefghijkm") == std::nullopt);  // exactly 12, not quite a sequence
  CHECK(check_password_policy("Tr0ub4dor&3") == "must be at least 12 characters");
  CHECK(check_password_policy("1234567890") == "must be at least 12 characters");
  CHECK(check_password_policy("") == "must be at least 12 characters");
  CHECK(check_password_policy(std::string(1024, 'a') + "b").value() == "must be at most 1024 bytes");
  CHECK(check_password_policy(std::string(512, 'a') + std::string(512, 'b')) == std::nullopt);
  CHECK(check_password_policy("aaaaaaaaaaaa") == "must not repeat a single character");
  CHECK(check_password_policy("abcabcabcabc") == "must not repeat a short pattern");
  CHECK(check_password_policy("123412341234") == "must not repeat a short pattern");
  CHECK(check_password_policy("123456789012") == "must not be a straight sequence of characters");
  CHECK(check_password_policy("ZYXWVUTSRQPO") == "must not be a straight sequence of characters");
  tyto::auth::PasswordBlocklist list;
  list.add("Password1234");
  CHECK(check_password_policy("password1234", &list) == "is a commonly used password");
  CHECK(check_password_policy("password1234") == std::nullopt);
  list.add("sunshine");
  CHECK(check_password_policy("Sunshine2024!!", &list) == "is a commonly used password with digits or symbols added");
  CHECK(check_password_policy("2024sunshine", &list) == "is a commonly used password with digits or symbols added");
  CHECK(check_password_policy("sunshine and rain", &list) == std::nullopt);
  CHECK(check_password_policy("passwordpassword") == "must not repeat a short pattern");
  // 12 code points of which one differs: accepted; 11: too short.
  CHECK(check_password_policy("éééééééééééè") == std::nullopt);
  CHECK(check_password_policy("éééééééééèé").has_value());
  CHECK(check_password_policy("éééééééééééé") == "must not repeat a single character");
}
