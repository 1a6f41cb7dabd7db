// Audio fingerprints: Chromaprint (libchromaprint) over anything FFmpeg's libraries decode.
//
// The fingerprint of a recording is Chromaprint's: one 32-bit sub-fingerprint per "item" of
// kItemSeconds (4096/3 samples at 11025 Hz), computed from the first `max_seconds` of the audio
// downmixed to mono and resampled in process exactly the way fpcalc does, so the compressed form of
// the default (120 s) fingerprint equals fpcalc's FINGERPRINT.
//
// Errors: every failure is a tyto::Error with a stable code:
//   not_found               the file does not exist
//   unsupported_media_type  not audio FFmpeg can decode (text, zero bytes, a lying extension, no
//                           audio stream, a stream that breaks off before any fingerprint)
//   payload_too_large       more audio than `max_decode_seconds` when the whole file is asked for
//   timeout                 decoding ran past its deadline (every blocking FFmpeg call is interrupted)
//   validation_failed       a malformed compressed fingerprint
// Thread-safety: free functions, no shared state; call from any job thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace tyto::fingerprint {

// Seconds of audio one sub-fingerprint stands for (Chromaprint's default algorithm).
inline constexpr double kItemSeconds = 4096.0 / 3.0 / 11025.0;

struct AudioFingerprint {
  double duration_s = 0;           // of the whole recording, from the container (0 when unknown)
  double fingerprinted_s = 0;      // of the audio that went into the fingerprint
  std::vector<std::uint32_t> raw;  // Chromaprint sub-fingerprints, one per kItemSeconds
};

struct FingerprintOptions {
  // Seconds of audio from the start that are fingerprinted; 0 = all of it (up to max_decode_seconds).
  double max_seconds = 120;
  // With max_seconds == 0: longer audio fails with payload_too_large instead of being decoded.
  double max_decode_seconds = 6 * 3600;
  // Wall-clock budget of the whole decode; each blocking FFmpeg call checks it.
  std::chrono::milliseconds deadline{std::chrono::minutes(5)};
  // Polled with the deadline; true stops the decode with Error timeout (reason "stopped"). Optional.
  std::function<bool()> should_stop;
};

// Decodes a file (any container and codec FFmpeg's libraries know) and fingerprints it.
AudioFingerprint fingerprint_file(const std::filesystem::path& path, const FingerprintOptions& options = {});

// The same for bytes in memory (an uploaded object); `name` only names it in messages.
AudioFingerprint fingerprint_bytes(std::string_view bytes, const FingerprintOptions& options = {},
                                   std::string_view name = "input");

// Chromaprint's compressed, URL-safe base64 form (what fpcalc prints), and back.
std::string compress_fingerprint(const std::vector<std::uint32_t>& raw);
std::vector<std::uint32_t> decompress_fingerprint(std::string_view compressed);

}  // namespace tyto::fingerprint
