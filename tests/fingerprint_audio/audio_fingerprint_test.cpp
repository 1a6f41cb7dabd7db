// Chromaprint fingerprints from FFmpeg's decoders: the same as Debian's fpcalc on real music, through the
// library and the real `tyto fingerprint`; bad input is a clean tyto::Error with a stable code.
#include "fingerprint_audio/audio_samples.hpp"
#include "support/process.hpp"
#include "support/test_support.hpp"
#include "tyto/core/error.hpp"
#include "tyto/fingerprint/audio.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <map>
#include <sstream>

using namespace tyto;
using namespace tyto::test;
using namespace tyto::test::audio;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// "KEY=value" lines of fpcalc's (and tyto's) text output.
std::map<std::string, std::string> fields(const std::string& text) {
  std::map<std::string, std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    const auto eq = line.find('=');
    if (eq != std::string::npos) out[line.substr(0, eq)] = line.substr(eq + 1);
  }
  return out;
}

ErrorCode code_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.code();
  }
  FAIL("no tyto::Error was thrown");
  return ErrorCode::kInternal;
}

}  // namespace

TEST_CASE("tyto fingerprint prints what fpcalc prints for the same files", "[fingerprint][audio]") {
  const auto tracks = music_tracks();
  TempDir dir;
  // Every fifth track (short and long ones, mono and stereo as they come), and one of them re-encoded as
  // MP3, FLAC and WAV, so that other codecs, sample formats and packet sizes go through the resampler too.
  std::vector<fs::path> files;
  for (std::size_t i = 0; i < tracks.size(); i += 5) files.push_back(tracks[i]);
  for (const auto* ext : {"mp3", "flac", "wav"}) {
    const auto out = dir.path() / (std::string("re.") + ext);
    cut_clip(tracks[3], 0, 150, out);
    files.push_back(out);
  }

  for (const auto& file : files) {
    INFO(file);
    const auto fpcalc = run_command("fpcalc " + quote(file.string()));
    // fpcalc 1.5.1 exits 3 ("results, then a read error") at the end of many Ogg files: its FFmpeg 5 reader
    // takes the decoder's end of stream for an error after printing.
    REQUIRE((fpcalc.status == 0 || fpcalc.status == 3));
    const auto expected = fields(fpcalc.out);
    REQUIRE(expected.at("FINGERPRINT").size() > 100);

    auto r = run_tyto({"fingerprint", file.string()});
    REQUIRE(r.status == 0);
    const auto got = fields(r.out);
    CHECK(got.at("FILE") == file.string());
    CHECK(got.at("DURATION") == expected.at("DURATION"));
    CHECK(got.at("FINGERPRINT") == expected.at("FINGERPRINT"));

    // The integers too, and the library agrees with its own compressed form.
    const auto fpcalc_raw = fields(run_command("fpcalc -raw " + quote(file.string())).out).at("FINGERPRINT");
    r = run_tyto({"fingerprint", "--raw", file.string()});
    CHECK(fields(r.out).at("FINGERPRINT") == fpcalc_raw);
    const auto fp = fingerprint::fingerprint_file(file);
    CHECK(fingerprint::compress_fingerprint(fp.raw) == expected.at("FINGERPRINT"));
    CHECK(fingerprint::decompress_fingerprint(expected.at("FINGERPRINT")) == fp.raw);
  }

  // Whole tracks (fpcalc -length 0) as well, and bytes in memory decode like the file.
  const auto& longest = tracks[1];
  const auto whole = fields(run_command("fpcalc -length 0 " + quote(longest.string())).out);
  const auto r = run_tyto({"fingerprint", "--length", "0", longest.string()});
  CHECK(fields(r.out).at("FINGERPRINT") == whole.at("FINGERPRINT"));
  const auto from_bytes = fingerprint::fingerprint_bytes(read_file(longest), {.max_seconds = 0});
  CHECK(fingerprint::compress_fingerprint(from_bytes.raw) == whole.at("FINGERPRINT"));
}

TEST_CASE("tyto fingerprint --json prints path, duration and fingerprint, and a failing file is reported",
          "[fingerprint][audio]") {
  const auto tracks = music_tracks();
  TempDir dir;
  const auto bad = (dir.path() / "notes.mp3").string();
  write_file(bad, "this is a text file, not an MP3\n");

  auto r = run_tyto({"fingerprint", "--json", tracks[0].string(), bad, tracks[2].string()});
  CHECK(r.status == 1);
  CHECK_THAT(r.err, Catch::Contains(bad) && Catch::Contains("unsupported_media_type"));
  std::vector<json> lines;
  std::istringstream in(r.out);
  for (std::string line; std::getline(in, line);) lines.push_back(json::parse(line));
  REQUIRE(lines.size() == 2);
  CHECK(lines[0]["path"] == tracks[0].string());
  CHECK(lines[1]["path"] == tracks[2].string());
  const auto fpcalc = json::parse(run_command("fpcalc -json " + quote(tracks[2].string())).out);
  CHECK(lines[1]["fingerprint"] == fpcalc["fingerprint"]);
  CHECK(lines[1]["duration"].get<double>() == Approx(fpcalc["duration"].get<double>()).margin(0.01));

  r = run_tyto({"fingerprint", "--json", "--raw", tracks[2].string()});
  CHECK(json::parse(r.out)["fingerprint"] ==
        json::parse(run_command("fpcalc -json -raw " + quote(tracks[2].string())).out)["fingerprint"]);

  // Usage errors.
  CHECK(run_tyto({"fingerprint"}).status == 2);
  CHECK(run_tyto({"fingerprint", "--bogus", tracks[0].string()}).status == 2);
  CHECK(run_tyto({"fingerprint", "--length", "-3", tracks[0].string()}).status == 2);
  CHECK(run_tyto({"fingerprint", "index", tracks[0].string()}).status == 2);  // no --db
  CHECK_THAT(run_tyto({"help"}).out, Catch::Contains("fingerprint [--raw] [--json]"));
}

TEST_CASE("Bad audio input is a tyto::Error with a stable code, never a crash", "[fingerprint][audio]") {
  const auto tracks = music_tracks();
  TempDir dir;
  const auto path = [&](const char* name) { return dir.path() / name; };
  const std::string ogg = read_file(tracks[0]);

  write_file(path("empty.mp3"), "");
  write_file(path("text.mp3"), std::string(2000, 'x') + "\nnot audio at all\n");
  write_file(path("truncated.ogg"), ogg.substr(0, 3000));
  write_file(path("image.mp3"), "\x89PNG\r\n\x1a\n" + std::string(5000, '\0'));
  // A WAV of 60,000 samples at 1 Hz: almost 17 hours by its header.
  std::vector<std::int16_t> samples(60000);
  for (std::size_t i = 0; i < samples.size(); ++i) samples[i] = static_cast<std::int16_t>((i * 7919) % 20000);
  write_file(path("huge.wav"), wav_bytes(1, 1, samples, static_cast<std::uint32_t>(samples.size() * 2)));
  // Ogg bytes that claim to be a WAV: the content decides, so it decodes as what it is.
  write_file(path("lying.wav"), ogg);

  using fingerprint::fingerprint_file;
  CHECK(code_of([&] { fingerprint_file(path("missing.ogg")); }) == ErrorCode::kNotFound);
  CHECK(code_of([&] { fingerprint_file(path("empty.mp3")); }) == ErrorCode::kUnsupportedMediaType);
  CHECK(code_of([&] { fingerprint_file(path("text.mp3")); }) == ErrorCode::kUnsupportedMediaType);
  CHECK(code_of([&] { fingerprint_file(path("truncated.ogg")); }) == ErrorCode::kUnsupportedMediaType);
  CHECK(code_of([&] { fingerprint_file(path("image.mp3")); }) == ErrorCode::kUnsupportedMediaType);
  CHECK(code_of([&] { fingerprint_file(dir.path()); }) == ErrorCode::kUnsupportedMediaType);
  CHECK(code_of([&] { fingerprint_file(path("huge.wav"), {.max_seconds = 0}); }) == ErrorCode::kPayloadTooLarge);
  CHECK(code_of([&] { fingerprint::fingerprint_bytes("", {}); }) == ErrorCode::kUnsupportedMediaType);
  CHECK(code_of([&] { fingerprint::fingerprint_bytes(read_file(path("text.mp3")), {}); }) ==
        ErrorCode::kUnsupportedMediaType);
  CHECK(code_of([&] { fingerprint::decompress_fingerprint("not a fingerprint!"); }) == ErrorCode::kValidationFailed);
  // The deadline interrupts a decode that runs long; a stop request does the same.
  CHECK(code_of([&] { fingerprint_file(tracks[1], {.max_seconds = 0, .deadline = std::chrono::milliseconds(1)}); }) ==
        ErrorCode::kTimeout);
  CHECK(code_of([&] { fingerprint_file(tracks[1], {.should_stop = [] { return true; }}); }) == ErrorCode::kTimeout);

  // The 120-second default reads only the start of the "huge" file.
  const auto head = fingerprint_file(path("huge.wav"));
  CHECK(head.duration_s == Approx(60000));
  CHECK(head.fingerprinted_s == Approx(120).margin(0.01));
  CHECK(code_of([&] { fingerprint_file(tracks[1], {.max_seconds = 0, .max_decode_seconds = 30}); }) ==
        ErrorCode::kPayloadTooLarge);
  CHECK(fingerprint_file(path("lying.wav")).raw == fingerprint_file(tracks[0]).raw);
  // A stream cut off in the middle fingerprints what is there, which is the start of the whole.
  write_file(path("half.ogg"), ogg.substr(0, ogg.size() / 2));
  const auto half = fingerprint_file(path("half.ogg"), {.max_seconds = 0});
  const auto full = fingerprint_file(tracks[0], {.max_seconds = 0});
  REQUIRE(half.raw.size() > 20);
  REQUIRE(half.raw.size() < full.raw.size());
  CHECK(std::equal(half.raw.begin(), half.raw.begin() + 10, full.raw.begin()));

  // The command reports each and goes on.
  const auto r = run_tyto({"fingerprint", path("empty.mp3").string(), path("text.mp3").string(),
                           path("truncated.ogg").string(), path("missing.ogg").string(), tracks[0].string()});
  CHECK(r.status == 1);
  CHECK_THAT(r.err, Catch::Contains("unsupported_media_type") && Catch::Contains("not_found"));
  CHECK_THAT(r.out, Catch::Contains("FILE=" + tracks[0].string()));
  const auto whole = run_tyto({"fingerprint", "--length", "0", path("huge.wav").string()});
  CHECK(whole.status == 1);
  CHECK_THAT(whole.err, Catch::Contains("payload_too_large"));
}
