// Helpers of the music catalog's integration tests: members with product roles, songs added and fingerprinted,
// drum loops synthesised with known hits, lookups waited for, Stripe-style signed webhook events.
#pragma once

#include "integration/backends.hpp"
#include "support/api_client.hpp"
#include "support/http_client.hpp"
#include "support/process.hpp"
#include "support/test_support.hpp"
#include "tyto/core/hash.hpp"

#include <fmt/format.h>
#include <catch2/catch.hpp>

#include <cmath>
#include <map>
#include <random>
#include <string>
#include <vector>

namespace tyto::test::music {

using nlohmann::json;

// One hit of a synthesised loop.
struct Hit {
  double t = 0;
  std::string lane;  // kick, snare, hihat
};

struct Loop {
  std::vector<float> samples;  // mono, at `rate`
  int rate = 22050;
  std::vector<Hit> hits;
};

// A rock beat at `bpm` for `seconds`: kick on 1 and 3, snare on 2 and 4, eighth-note hi-hats, over quiet chords that
// change each bar, starting `lead_s` seconds in (silence before). Deterministic for a seed: the same seed at another
// tempo is the same performance played faster or slower.
inline Loop drum_loop(double bpm, double seconds, double lead_s = 0.0, std::uint32_t seed = 1, int rate = 22050) {
  Loop loop;
  loop.rate = rate;
  loop.samples.assign(static_cast<std::size_t>(seconds * rate), 0.0f);
  std::mt19937 rng(seed);
  std::normal_distribution<float> noise(0.0f, 1.0f);
  const auto add = [&](double t, auto&& voice, double length_s) {
    const auto start = static_cast<std::size_t>(t * rate);
    const auto n = static_cast<std::size_t>(length_s * rate);
    for (std::size_t i = 0; i < n && start + i < loop.samples.size(); ++i) {
      loop.samples[start + i] += voice(static_cast<double>(i) / rate);
    }
  };
  const double beat = 60.0 / bpm;
  for (int b = 0; lead_s + b * beat < seconds - 0.5; ++b) {
    const double t = lead_s + b * beat;
    if (b % 2 == 0) {
      double phase = 0;
      add(
          t,
          [&](double x) {
            phase += 2 * M_PI * (50 + 100 * std::exp(-x * 30)) / rate;
            return static_cast<float>(0.9 * std::exp(-x * 12) * std::sin(phase));
          },
          0.35);
      loop.hits.push_back({t, "kick"});
    } else {
      add(
          t,
          [&](double x) {
            return static_cast<float>(std::exp(-x * 25) * (0.45 * noise(rng) + 0.35 * std::sin(2 * M_PI * 190 * x)));
          },
          0.25);
      loop.hits.push_back({t, "snare"});
    }
    for (const double half : {0.0, 0.5}) {
      float prev = 0;
      add(
          t + half * beat,
          [&](double x) {
            const float white = noise(rng);
            const float high = white - prev;  // a first difference: the hiss of a closed hi-hat
            prev = white;
            return static_cast<float>(0.22 * std::exp(-x * 60) * high);
          },
          0.08);
      loop.hits.push_back({t + half * beat, "hihat"});
    }
  }
  // Quiet sustained chords the percussive separation must leave out, a new one each bar, drawn from the seed:
  // the harmony Chromaprint hears, so the song is not a loop to a fingerprint (a loop matches itself at every bar).
  const double triads[6][3] = {{220.0, 261.63, 329.63}, {174.61, 220.0, 261.63}, {261.63, 329.63, 392.0},
                               {196.0, 246.94, 293.66}, {146.83, 174.61, 220.0}, {164.81, 207.65, 246.94}};
  std::uniform_int_distribution<int> pick(0, 5);
  std::mt19937 chord_rng(seed * 7919u + 1u);  // its own stream: the same chords at any tempo
  const double bar = 4 * beat;
  std::vector<int> chords;
  for (double t = lead_s; t < seconds + bar; t += bar) chords.push_back(pick(chord_rng));
  for (std::size_t i = 0; i < loop.samples.size(); ++i) {
    const double x = static_cast<double>(i) / rate;
    const auto* chord = triads[chords[static_cast<std::size_t>(std::max(0.0, x - lead_s) / bar)]];
    double v = 0;
    for (int k = 0; k < 3; ++k) v += std::sin(2 * M_PI * chord[k] * x);
    loop.samples[i] += static_cast<float>(0.05 * v);
  }
  return loop;
}

// 16-bit mono WAV bytes.
inline std::string wav(const std::vector<float>& samples, int rate) {
  std::string out;
  const auto put = [&](std::uint32_t v, int bytes) {
    for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
  };
  out += "RIFF";
  put(36 + static_cast<std::uint32_t>(samples.size() * 2), 4);
  out += "WAVEfmt ";
  put(16, 4);
  put(1, 2);
  put(1, 2);
  put(static_cast<std::uint32_t>(rate), 4);
  put(static_cast<std::uint32_t>(rate * 2), 4);
  put(2, 2);
  put(16, 2);
  out += "data";
  put(static_cast<std::uint32_t>(samples.size() * 2), 4);
  for (const float s : samples) {
    put(static_cast<std::uint16_t>(static_cast<std::int16_t>(std::lround(std::clamp(s, -1.0f, 1.0f) * 32767))), 2);
  }
  return out;
}

// A song added by the admin from `bytes` (an audio upload) and waited for until it is ready: its id.
inline std::string add_song(std::uint16_t port, const std::string& title, const std::string& bytes,
                            const std::string& type = "audio/wav", const std::string& filename = "song.wav") {
  const auto object = upload_object(port, "audio", type, bytes, filename);
  auto r = api(port, "POST", "/api/v1/songs", {{"title", title}, {"artist", "Tyto Tests"}, {"object_id", object}});
  INFO(r.raw.body);
  REQUIRE(r.status == 202);
  wait_for_state(port, r.body["job_id"], "succeeded", std::chrono::seconds(60));
  auto song = api(port, "GET", "/api/v1/songs/" + r.body["id"].get<std::string>());
  REQUIRE(song.body["status"] == "ready");
  return r.body["id"];
}

// A lookup of `object_id` as `token`, waited for: the lookup.
inline json lookup(std::uint16_t port, const std::string& token, const std::string& object_id) {
  auto r = api(port, "POST", "/api/v1/songs/lookup", {{"object_id", object_id}}, bearer(token));
  INFO(r.raw.body);
  REQUIRE((r.status == 202 || r.status == 200));
  if (r.status == 200) return r.body;
  wait_for_state(port, r.body["job_id"], "succeeded", std::chrono::seconds(60));
  auto l = api(port, "GET", "/api/v1/songs/lookups/" + r.body["lookup_id"].get<std::string>(), nullptr, bearer(token));
  REQUIRE(l.status == 200);
  return l.body;
}

// A Stripe-Signature header for `body` at `t` (seconds) with `secret`.
inline std::string stripe_signature(const std::string& body, std::int64_t t, const std::string& secret) {
  return fmt::format("t={},v1={}", t, hex_encode(hmac_sha256(secret, fmt::format("{}.{}", t, body))));
}

}  // namespace tyto::test::music
