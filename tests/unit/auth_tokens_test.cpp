#include "tyto/auth/tokens.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <unordered_set>

using namespace tyto::auth;

TEST_CASE("An API key is tyto_ and 52 lowercase base32 digits", "[auth]") {
  const std::string key = generate_api_key();
  CHECK(key.size() == 57);
  CHECK(key.starts_with("tyto_"));
  CHECK(key.find_first_not_of("abcdefghijklmnopqrstuvwxyz234567", 5) == std::string::npos);
  CHECK((key.back() == 'a' || key.back() == 'q'));  // 256 bits leave four zero bits in the last digit
  CHECK(looks_like_api_key(key));
  CHECK_FALSE(looks_like_refresh_token(key));
}

TEST_CASE("A refresh token is tytr_ and 52 base32 digits", "[auth]") {
  const std::string token = generate_refresh_token();
  CHECK(token.size() == 57);
  CHECK(token.starts_with("tytr_"));
  CHECK(looks_like_refresh_token(token));
  CHECK_FALSE(looks_like_api_key(token));
}

TEST_CASE("Generated secrets and their lookup prefixes do not repeat", "[auth]") {
  std::unordered_set<std::string> keys;
  std::unordered_set<std::string> prefixes;
  for (int i = 0; i < 5000; ++i) {
    const std::string key = generate_api_key();
    keys.insert(key);
    prefixes.insert(lookup_prefix(key).value());
    keys.insert(generate_refresh_token());
  }
  CHECK(keys.size() == 10000);
  CHECK(prefixes.size() == 5000);  // 40 bits: a collision among 5000 has odds of about 1 in 10^5
}

TEST_CASE("The lookup prefix is the 8 characters after the type prefix", "[auth]") {
  const std::string key = generate_api_key();
  CHECK(lookup_prefix(key) == key.substr(5, 8));
  const std::string token = generate_refresh_token();
  CHECK(lookup_prefix(token) == token.substr(5, 8));
  CHECK(lookup_prefix("tyto_short") == std::nullopt);
  CHECK(lookup_prefix("") == std::nullopt);
}

TEST_CASE("Strings that only resemble an API key are not taken for one", "[auth]") {
  const std::string key = generate_api_key();
  CHECK_FALSE(looks_like_api_key(""));
  CHECK_FALSE(looks_like_api_key("tyto_"));
  CHECK_FALSE(looks_like_api_key(key.substr(0, 56)));
  CHECK_FALSE(looks_like_api_key(key + "a"));
  CHECK_FALSE(looks_like_api_key("TYTO_" + key.substr(5)));
  std::string upper = key;
  upper[10] = 'A';
  CHECK_FALSE(looks_like_api_key(upper));
  std::string bad_digit = key;
  bad_digit[10] = '8';
  CHECK_FALSE(looks_like_api_key(bad_digit));
  std::string non_canonical = key;
  non_canonical.back() = 'b';
  CHECK_FALSE(looks_like_api_key(non_canonical));
  CHECK_FALSE(looks_like_api_key(" " + key.substr(0, 56)));
}

TEST_CASE("A secret matches its own hash and no other", "[auth]") {
  const std::string key = generate_api_key();
  const std::string stored = hash_secret(key);
  CHECK(stored.size() == 64);
  CHECK(stored.find_first_not_of("0123456789abcdef") == std::string::npos);
  CHECK(stored == hash_secret(key));
  CHECK(secret_matches(key, stored));
  CHECK_FALSE(secret_matches(generate_api_key(), stored));
  std::string one_off = key;
  one_off[20] = one_off[20] == 'a' ? 'b' : 'a';
  CHECK_FALSE(secret_matches(one_off, stored));
  CHECK_FALSE(secret_matches(key, stored.substr(0, 63)));
  CHECK_FALSE(secret_matches(key, ""));
  CHECK(hash_secret("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}
