#include "audio/speech_support.hpp"

#include "tyto/audio/decode.hpp"

#include <fmt/format.h>

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <random>
#include <sstream>
#include <stdexcept>

namespace tyto::test::speech {
namespace fs = std::filesystem;

namespace {

void run(const std::string& command) {
  const int status = std::system((command + " >/dev/null 2>&1").c_str());
  if (status != 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
    throw std::runtime_error("failed: " + command + " (are espeak-ng and ffmpeg installed? scripts/packages/test.txt)");
}

std::vector<std::string> words_of(const std::string& text) {
  std::istringstream in(text);
  std::vector<std::string> out;
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

struct WorkDir {
  fs::path path;
  WorkDir() {
    std::string tmpl = (fs::temp_directory_path() / "tyto-audio-XXXXXX").string();
    if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
    path = tmpl;
  }
  ~WorkDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

}  // namespace

const std::vector<std::string>& corpus() {
  static const std::vector<std::string> sentences = {
      "please call me tomorrow morning at nine",
      "the meeting starts in ten minutes",
      "turn left at the next traffic light",
      "i would like a cup of coffee",
      "the weather is nice today",
      "can you send me the report by friday",
      "my phone number is five five five one two three four",
      "we need more time to finish the project",
      "open the door and close the window",
      "the train to boston leaves at noon",
  };
  return sentences;
}

const fs::path& work_dir() {
  static const WorkDir dir;
  return dir.path;
}

fs::path synthesize(const std::string& text, const std::string& voice, int wpm) {
  static std::map<std::string, fs::path> made;
  const std::string key = fmt::format("{}|{}|{}", voice, wpm, text);
  if (const auto it = made.find(key); it != made.end()) return it->second;
  const fs::path out = work_dir() / fmt::format("speech-{}.wav", made.size());
  run(fmt::format("espeak-ng -v {} -s {} -w {} {}", quote(voice), wpm, quote(out.string()), quote(text)));
  made[key] = out;
  return out;
}

std::vector<std::int16_t> speech_samples(const std::string& text) {
  return audio::decode_pcm16k_file(synthesize(text)).samples;
}

std::vector<std::int16_t> silence(double seconds) {
  return std::vector<std::int16_t>(static_cast<std::size_t>(seconds * audio::kSampleRate), 0);
}

std::vector<std::int16_t> with_noise(std::vector<std::int16_t> base, double dbfs, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> gauss(0.0, 32768.0 * std::pow(10.0, dbfs / 20.0));
  for (std::int16_t& s : base)
    s = static_cast<std::int16_t>(std::clamp(static_cast<double>(s) + gauss(rng), -32768.0, 32767.0));
  return base;
}

std::vector<std::int16_t> noise(double seconds, double dbfs, std::uint64_t seed) {
  return with_noise(silence(seconds), dbfs, seed);
}

std::vector<std::int16_t> quiet_room(const std::string& text, std::uint64_t seed) {
  auto out = silence(0.3);
  append(out, speech_samples(text));
  append(out, silence(0.5));
  return with_noise(std::move(out), kRoomNoiseDbfs, seed);
}

void append(std::vector<std::int16_t>& to, const std::vector<std::int16_t>& more) {
  to.insert(to.end(), more.begin(), more.end());
}

std::string wav_file(const std::vector<std::int16_t>& samples) {
  std::string out;
  const auto u32 = [&](std::uint32_t v) {
    for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
  };
  const auto u16 = [&](std::uint16_t v) {
    for (int i = 0; i < 2; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
  };
  const auto data_bytes = static_cast<std::uint32_t>(samples.size() * 2);
  out += "RIFF";
  u32(36 + data_bytes);
  out += "WAVEfmt ";
  u32(16);
  u16(1);  // PCM
  u16(1);  // mono
  u32(audio::kSampleRate);
  u32(audio::kSampleRate * 2);
  u16(2);
  u16(16);
  out += "data";
  u32(data_bytes);
  for (const std::int16_t s : samples) u16(static_cast<std::uint16_t>(s));
  return out;
}

fs::path write_file(const fs::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out) throw std::runtime_error("cannot write " + path.string());
  return path;
}

fs::path convert(const fs::path& in, const fs::path& out, const std::string& ffmpeg_args) {
  run(fmt::format("ffmpeg -nostdin -v error -y -i {} {} {}", quote(in.string()), ffmpeg_args, quote(out.string())));
  return out;
}

std::string quote(const std::string& word) {
  std::string out = "'";
  for (const char c : word) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

void ffmpeg(const std::string& args) { run("ffmpeg -nostdin -v error -y " + args); }

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::size_t word_edits(const std::string& reference, const std::string& hypothesis) {
  const auto r = words_of(reference), h = words_of(hypothesis);
  std::vector<std::size_t> row(h.size() + 1);
  for (std::size_t j = 0; j <= h.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= r.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= h.size(); ++j) {
      const std::size_t above = row[j];
      row[j] = std::min({above + 1, row[j - 1] + 1, diagonal + (r[i - 1] == h[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[h.size()];
}

std::size_t word_count(const std::string& text) { return words_of(text).size(); }

double word_error_rate(const std::string& reference, const std::string& hypothesis) {
  const std::size_t n = word_count(reference);
  return n == 0 ? 0.0 : static_cast<double>(word_edits(reference, hypothesis)) / static_cast<double>(n);
}

}  // namespace tyto::test::speech
