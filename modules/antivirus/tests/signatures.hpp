// Signature databases and sample files the antivirus tests make: a body signature for a marker, the EICAR test
// string as a custom body signature, an MD5 signature of a file, a WAV file and noise.
#pragma once

#include "support/test_support.hpp"

#include <openssl/evp.h>
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <random>
#include <string>

namespace tyto::test::antivirus_signatures {

// The EICAR test file (68 bytes), which every anti-virus product detects by agreement; split so this source file
// is not itself flagged.
inline const std::string kEicar =
    std::string("X5O!P%@AP[4\\PZX54(P^)7CC)7}$") + "EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*";
inline const std::string kMarker = "TYTO-ANTIVIRUS-TEST-MARKER-7f3a91";
inline const std::string kLater = "TYTO-ANTIVIRUS-LATER-MARKER-c2e804";

inline std::string hex(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) out += {kHex[c >> 4], kHex[c & 15]};
  return out;
}

inline std::string md5_hex(std::string_view bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  REQUIRE(EVP_Digest(bytes.data(), bytes.size(), digest, &n, EVP_md5(), nullptr) == 1);
  return hex(std::string_view(reinterpret_cast<const char*>(digest), n));
}

// A file no signature describes, whose exact bytes an MD5 signature (.hdb: MD5:size:name) names.
inline const std::string kHashed = "a quarterly report that the tests declare malicious by its MD5\n";

// A signature folder: body signatures (.ndb: Name:TargetType:Offset:HexSignature) and one MD5 signature.
inline void write_databases(const std::filesystem::path& dir) {
  write_file(dir / "tyto-test.ndb",
             "Tyto.Test.Marked:0:*:" + hex(kMarker) + "\nTyto.Test.Eicar:0:*:" + hex(kEicar) + "\n");
  write_file(dir / "tyto-test.hdb", md5_hex(kHashed) + ":" + std::to_string(kHashed.size()) + ":Tyto.Test.Hashed\n");
}

// Two seconds of a 440 Hz tone as a 16-bit mono PCM WAV file.
inline std::string wav_file() {
  const std::uint32_t rate = 16000, samples = 2 * rate;
  std::string out;
  auto u32 = [&](std::uint32_t v) {
    for (int i = 0; i < 4; ++i) out += static_cast<char>((v >> (8 * i)) & 0xFF);
  };
  auto u16 = [&](std::uint16_t v) {
    out += static_cast<char>(v & 0xFF);
    out += static_cast<char>(v >> 8);
  };
  out += "RIFF";
  u32(36 + samples * 2);
  out += "WAVEfmt ";
  u32(16);
  u16(1);
  u16(1);
  u32(rate);
  u32(rate * 2);
  u16(2);
  u16(16);
  out += "data";
  u32(samples * 2);
  for (std::uint32_t i = 0; i < samples; ++i) {
    u16(static_cast<std::uint16_t>(static_cast<std::int16_t>(12000 * std::sin(2 * M_PI * 440 * i / rate))));
  }
  return out;
}

inline std::string random_bytes(std::size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::string out(n, '\0');
  for (auto& c : out) c = static_cast<char>(rng());
  return out;
}

// Bytes with the marker in the middle of noise.
inline std::string marked_file() { return random_bytes(5000, 1) + kMarker + random_bytes(3000, 2); }

}  // namespace tyto::test::antivirus_signatures
