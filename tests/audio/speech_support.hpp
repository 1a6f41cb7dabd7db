// Shared by the audio tests and the speech benchmark: sentences synthesised with Debian's espeak-ng
// (scripts/packages/test.txt), files made from them with ffmpeg, silence and noise, and the word error rate.
//
// espeak-ng speaks with its Klatt formant voice ("en-us+klatt2", 140 words a minute): its default voice is
// recognised far worse by pocketsphinx's acoustic model (docs/quality.md).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace tyto::test::speech {

// The ten sentences of the test corpus (lower case, no punctuation).
const std::vector<std::string>& corpus();

// Not thread-safe (synthesize keeps a cache): call from one thread.
// A fresh folder for one test binary's files, removed at exit.
const std::filesystem::path& work_dir();

// espeak-ng's WAV of `text` (22050 Hz mono), made once per text and voice and kept in work_dir().
std::filesystem::path synthesize(const std::string& text, const std::string& voice = "en-us+klatt2", int wpm = 140);

// The 16 kHz mono samples of a synthesised sentence (decoded with tyto::audio::decode_pcm16k_file).
std::vector<std::int16_t> speech_samples(const std::string& text);

std::vector<std::int16_t> silence(double seconds);
// Gaussian white noise with the given RMS level in dBFS, reproducible from the seed.
std::vector<std::int16_t> noise(double seconds, double dbfs, std::uint64_t seed);
// `base` with noise added at `dbfs`.
std::vector<std::int16_t> with_noise(std::vector<std::int16_t> base, double dbfs, std::uint64_t seed);
void append(std::vector<std::int16_t>& to, const std::vector<std::int16_t>& more);
// A sentence as a quiet room records it: 0.3 s before, 0.5 s after, white noise at -60 dBFS throughout
// (real recordings have no digital silence; pocketsphinx's cepstral mean is thrown by it, docs/quality.md).
std::vector<std::int16_t> quiet_room(const std::string& text, std::uint64_t seed = 1);
inline constexpr double kRoomNoiseDbfs = -60;

// 16-bit mono 16 kHz WAV file bytes of samples; and `ffmpeg -i wav <args> out` (the extension picks the container).
std::string wav_file(const std::vector<std::int16_t>& samples);
std::filesystem::path write_file(const std::filesystem::path& path, const std::string& bytes);
std::filesystem::path convert(const std::filesystem::path& in, const std::filesystem::path& out,
                              const std::string& ffmpeg_args = {});
std::string read_file(const std::filesystem::path& path);
// Runs `ffmpeg -nostdin -v error -y ARGS` (throws when it fails); quote() makes a shell word.
void ffmpeg(const std::string& args);
std::string quote(const std::string& word);

// Word-level Levenshtein distance between two space-separated texts, and errors / reference words.
std::size_t word_edits(const std::string& reference, const std::string& hypothesis);
std::size_t word_count(const std::string& text);
double word_error_rate(const std::string& reference, const std::string& hypothesis);

}  // namespace tyto::test::speech
