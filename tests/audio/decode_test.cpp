// Decoding to 16 kHz mono: the containers FFmpeg makes from synthesised speech, and bad input.
#include "tyto/audio/decode.hpp"
#include "audio/speech_support.hpp"
#include "tyto/core/error.hpp"

#include <catch2/catch.hpp>

#include <cmath>

using namespace tyto;
using namespace tyto::test::speech;
namespace fs = std::filesystem;

namespace {

double rms(const std::vector<std::int16_t>& s) {
  double sum = 0;
  for (const auto v : s) sum += static_cast<double>(v) * v;
  return std::sqrt(sum / static_cast<double>(s.size()));
}

// The error a decode throws, or fails the test when it throws none.
Error decode_error(const std::string& bytes, const audio::DecodeOptions& options = {}) {
  try {
    audio::decode_pcm16k(bytes, options, "input");
  } catch (const Error& e) {
    return e;
  }
  FAIL("no error");
  throw std::logic_error("unreachable");
}

std::string reason(const Error& e) { return e.details().value("reason", std::string()); }

}  // namespace

TEST_CASE("Speech in WAV, MP3, Ogg, FLAC and M4A decodes to the same 16 kHz mono audio", "[audio][decode]") {
  const fs::path wav = synthesize(corpus()[0]);
  const audio::Pcm16k reference = audio::decode_pcm16k_file(wav);
  CHECK(reference.source_rate == 22050);
  CHECK(reference.source_channels == 1);
  CHECK(reference.codec == "pcm_s16le");
  CHECK(reference.container == "wav");
  REQUIRE(reference.duration_s() > 1.5);

  struct Case {
    const char* file;
    const char* args;
    const char* codec;
  };
  for (const Case& c : {Case{"s.mp3", "-b:a 64k", "mp3"}, Case{"s.ogg", "-c:a libvorbis", "vorbis"},
                        Case{"s.flac", "", "flac"}, Case{"s.m4a", "-c:a aac -b:a 96k", "aac"},
                        Case{"s-stereo-48k.wav", "-af 'pan=stereo|c0=c0|c1=c0' -ar 48000", "pcm_s16le"}}) {
    INFO(c.file);
    const fs::path file = convert(wav, work_dir() / c.file, c.args);
    const audio::Pcm16k pcm = audio::decode_pcm16k(read_file(file), {}, c.file);
    CHECK(pcm.codec == c.codec);
    // Encoders add priming and padding of some tens of milliseconds.
    CHECK(pcm.duration_s() == Approx(reference.duration_s()).margin(0.1));
    CHECK(rms(pcm.samples) == Approx(rms(reference.samples)).epsilon(0.1));
  }
}

TEST_CASE("Decoding bytes and decoding the file give the same samples", "[audio][decode]") {
  const fs::path wav = synthesize(corpus()[1]);
  const auto from_file = audio::decode_pcm16k_file(wav);
  const auto from_bytes = audio::decode_pcm16k(read_file(wav));
  CHECK(from_file.samples == from_bytes.samples);
  const auto floats = audio::to_float(from_file.samples);
  REQUIRE(floats.size() == from_file.samples.size());
  for (std::size_t i = 0; i < floats.size(); i += 997) CHECK(floats[i] == from_file.samples[i] / 32768.0f);
}

TEST_CASE("Empty, truncated, non-audio and over-long input are refused with typed errors", "[audio][decode]") {
  const fs::path wav = synthesize(corpus()[2]);
  const std::string bytes = read_file(wav);

  INFO("empty");
  Error empty = decode_error("");
  CHECK(empty.code() == ErrorCode::kUnsupportedMediaType);
  CHECK(reason(empty) == "empty");

  // FLAC and MP3 (with the Xing header ffmpeg writes) declare their length: half of it is missing.
  for (const char* name : {"t.flac", "t.mp3"}) {
    INFO("half of " << name);
    const std::string whole = read_file(convert(wav, work_dir() / name));
    Error truncated = decode_error(whole.substr(0, whole.size() / 2));
    CHECK(truncated.code() == ErrorCode::kUnsupportedMediaType);
    CHECK(reason(truncated) == "truncated");
    CHECK(truncated.details()["declared_s"].get<double>() > truncated.details()["decoded_s"].get<double>());
  }
  // An M4A cut in half lost its index (ffmpeg writes the moov atom at the end).
  INFO("half an M4A");
  const std::string m4a = read_file(convert(wav, work_dir() / "t.m4a", "-c:a aac"));
  CHECK(decode_error(m4a.substr(0, m4a.size() / 2)).code() == ErrorCode::kUnsupportedMediaType);
  INFO("a WAV header");
  // Only the header left.
  CHECK(decode_error(bytes.substr(0, 30)).code() == ErrorCode::kUnsupportedMediaType);

  // A PNG named .wav: an image, not audio.
  const fs::path png = work_dir() / "picture.png";
  ffmpeg("-f lavfi -i color=c=red:s=64x64 -frames:v 1 " + quote(png.string()));
  fs::copy_file(png, work_dir() / "picture.wav", fs::copy_options::overwrite_existing);
  INFO("a PNG");
  Error image = decode_error(read_file(work_dir() / "picture.wav"));
  CHECK(image.code() == ErrorCode::kUnsupportedMediaType);
  CHECK((reason(image) == "not_audio" || reason(image) == "no_audio_stream"));

  // A video without sound.
  const fs::path video = work_dir() / "silent.mp4";
  ffmpeg("-f lavfi -i testsrc=s=64x64:d=1 -pix_fmt yuv420p " + quote(video.string()));
  INFO("a video");
  CHECK(reason(decode_error(read_file(video))) == "no_audio_stream");

  INFO("text");
  CHECK(reason(decode_error("just some text, not audio at all\n")) == "not_audio");

  INFO("too long");
  Error too_long = decode_error(bytes, {.max_seconds = 1.0});
  CHECK(too_long.code() == ErrorCode::kPayloadTooLarge);
  CHECK(reason(too_long) == "too_long");

  INFO("too big");
  Error too_big = decode_error(bytes, {.max_bytes = 1000});
  CHECK(too_big.code() == ErrorCode::kPayloadTooLarge);
  CHECK(reason(too_big) == "too_large");

  try {
    audio::decode_pcm16k_file(work_dir() / "no-such-file.wav");
    FAIL("no error");
  } catch (const Error& e) {
    CHECK(e.code() == ErrorCode::kNotFound);
  }
}

TEST_CASE("A decode that is told to stop ends with a timeout error", "[audio][decode]") {
  const std::string bytes = read_file(synthesize(corpus()[3]));
  Error stopped = decode_error(bytes, {.should_stop = [] { return true; }});
  CHECK(stopped.code() == ErrorCode::kTimeout);
  CHECK(reason(stopped) == "stopped");
}

TEST_CASE("decode_pcm decodes to float mono at the rate asked, with decode_pcm16k's errors", "[audio][decode]") {
  const fs::path wav = synthesize(corpus()[0]);  // 22050 Hz 16-bit mono
  const std::string bytes = read_file(wav);
  const audio::Pcm16k pcm16k = audio::decode_pcm16k(bytes);

  // At the file's own rate nothing is resampled: the samples are the file's, as floats.
  const audio::Pcm same = audio::decode_pcm(bytes, 22050, {}, "s.wav");
  CHECK(same.rate == 22050);
  CHECK(same.source_rate == 22050);
  CHECK(same.source_channels == 1);
  CHECK(same.codec == "pcm_s16le");
  // The WAV's samples follow its "data" chunk header.
  const std::size_t data = bytes.find("data");
  REQUIRE(data != std::string::npos);
  const std::size_t first = data + 8, count = (bytes.size() - first) / 2;
  REQUIRE(same.samples.size() == count);
  double worst = 0;
  for (std::size_t i = 0; i < count; ++i) {
    const auto lo = static_cast<unsigned char>(bytes[first + 2 * i]);
    const auto hi = static_cast<unsigned char>(bytes[first + 2 * i + 1]);
    const auto s = static_cast<std::int16_t>(lo | (hi << 8));
    worst = std::max(worst, std::abs(same.samples[i] - s / 32768.0));
  }
  CHECK(worst < 1e-6);

  // At 16 kHz it matches decode_pcm16k (which is the same decoder writing 16-bit samples).
  const audio::Pcm at16k = audio::decode_pcm(bytes, 16000);
  REQUIRE(at16k.samples.size() == pcm16k.samples.size());
  const auto as_float = audio::to_float(pcm16k.samples);
  worst = 0;
  for (std::size_t i = 0; i < as_float.size(); ++i)
    worst = std::max(worst, std::abs(double(at16k.samples[i]) - as_float[i]));
  // libswresample rounds to 16 bits at the end of its own (float) chain: a few steps apart (measured 3).
  CHECK(worst < 5.0 / 32768);

  // Other containers, and the file variant.
  const fs::path flac = convert(wav, work_dir() / "s22.flac", "");
  const audio::Pcm from_flac = audio::decode_pcm_file(flac, 44100);
  CHECK(from_flac.codec == "flac");
  CHECK(from_flac.duration_s() == Approx(same.duration_s()).margin(0.05));

  // Errors: a rate out of range is the caller's bug; bad input is refused as decode_pcm16k refuses it.
  try {
    audio::decode_pcm(bytes, 1000);
    FAIL("no error");
  } catch (const Error& e) {
    CHECK(e.code() == ErrorCode::kBadRequest);
    CHECK(reason(e) == "bad_rate");
  }
  try {
    audio::decode_pcm("", 22050);
    FAIL("no error");
  } catch (const Error& e) {
    CHECK(e.code() == ErrorCode::kUnsupportedMediaType);
    CHECK(reason(e) == "empty");
  }
  try {
    audio::DecodeOptions short_limit;
    short_limit.max_seconds = 0.5;
    audio::decode_pcm(bytes, 8000, short_limit);
    FAIL("no error");
  } catch (const Error& e) {
    CHECK(e.code() == ErrorCode::kPayloadTooLarge);
    CHECK(reason(e) == "too_long");
  }
}
