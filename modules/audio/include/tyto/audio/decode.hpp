// Decoding audio: any container and codec FFmpeg's libraries read (WAV, MP3, Ogg, FLAC, MP4/M4A, WebM …)
// to mono samples at a rate the caller picks, in process (libavformat, libavcodec, libswresample): 16 kHz
// signed 16-bit for speech (decode_pcm16k), floats at any rate for music (decode_pcm, e.g. 22050 Hz for the
// drum maps of modules/drums).
//
// Errors: every failure is a tyto::Error with a stable code and details.reason:
//   unsupported_media_type  reason "empty" (zero bytes), "not_audio" (nothing FFmpeg can decode: text, an
//                           image, a lying extension), "no_audio_stream" (a container without audio),
//                           "truncated" (the input ends before its headers are complete, the audio stops
//                           well before the length its container declares (FLAC, MP3 with a Xing header),
//                           or breaks off with a read error; details.decoded_s and declared_s). A WAV cut
//                           short is not detected: FFmpeg takes its length from the file's size and
//                           decodes the samples that are there.
//   payload_too_large       reason "too_large" (more than max_bytes) or "too_long" (more than max_seconds
//                           of audio, declared or decoded; details.max_seconds)
//   not_found               decode_pcm16k_file, decode_pcm_file: the file does not exist
//   bad_request             decode_pcm: a rate outside [kMinRate, kMaxRate] (a caller's bug, checked first)
//   timeout                 decoding ran past its deadline, or should_stop said stop (reason "stopped")
// Thread-safety: free functions without shared state; call from any job thread (never an I/O thread).
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace tyto::audio {

// The sample rate of everything this module hands to a recogniser.
inline constexpr int kSampleRate = 16000;

struct DecodeOptions {
  std::uint64_t max_bytes = 64u << 20;  // the largest input read
  double max_seconds = 600;             // the most audio decoded (declared or found)
  // Audio that stops more than this fraction short of its declared length is "truncated".
  double truncation_tolerance = 0.1;
  std::chrono::milliseconds deadline{std::chrono::minutes(2)};  // wall clock of the whole decode
  std::function<bool()> should_stop;                            // polled with the deadline; optional
};

// 16 kHz mono signed 16-bit samples and what the input was.
struct Pcm16k {
  std::vector<std::int16_t> samples;
  int source_rate = 0;      // Hz of the decoded stream
  int source_channels = 0;  // downmixed to one
  std::string codec;        // FFmpeg's codec name: "pcm_s16le", "mp3", "vorbis", "flac" …
  std::string container;    // FFmpeg's demuxer name: "wav", "mp3", "ogg", "flac", "mov,mp4,m4a,3gp,3g2,mj2" …
  double duration_s() const { return static_cast<double>(samples.size()) / kSampleRate; }
};

// Mono float samples in [-1, 1] at `rate` Hz and what the input was.
struct Pcm {
  std::vector<float> samples;
  int rate = 0;             // Hz of `samples`, as asked
  int source_rate = 0;      // Hz of the decoded stream
  int source_channels = 0;  // downmixed to one (the mean of the channels)
  std::string codec;        // as in Pcm16k
  std::string container;
  double duration_s() const { return rate > 0 ? static_cast<double>(samples.size()) / rate : 0.0; }
};

// The rates decode_pcm accepts.
inline constexpr int kMinRate = 4000;
inline constexpr int kMaxRate = 192000;

// Decodes bytes in memory to mono floats at `rate` Hz, with decode_pcm16k's errors and limits
// (max_seconds counts seconds of audio, whatever the rate). `name` only names the input in messages.
Pcm decode_pcm(std::string_view bytes, int rate, const DecodeOptions& options = {}, std::string_view name = "input");

// Decodes a file (read through FFmpeg's file protocol only) to mono floats at `rate` Hz.
Pcm decode_pcm_file(const std::filesystem::path& path, int rate, const DecodeOptions& options = {});

// Decodes bytes in memory (an upload). `name` only names the input in messages.
Pcm16k decode_pcm16k(std::string_view bytes, const DecodeOptions& options = {}, std::string_view name = "input");

// Decodes a file (read through FFmpeg's file protocol only).
Pcm16k decode_pcm16k_file(const std::filesystem::path& path, const DecodeOptions& options = {});

// The samples as floats in [-1, 1).
std::vector<float> to_float(std::span<const std::int16_t> samples);

}  // namespace tyto::audio
