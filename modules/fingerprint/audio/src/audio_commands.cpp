// `tyto fingerprint …`: fpcalc's output for files, and a catalog index in a file.
#include "tyto/core/error.hpp"
#include "tyto/fingerprint/audio.hpp"
#include "tyto/fingerprint/audio_match.hpp"
#include "tyto/fingerprint/audio_wiring.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <charconv>
#include <cmath>
#include <ostream>
#include <thread>

namespace tyto::fingerprint {
namespace {

using nlohmann::json;
using Args = std::span<const std::string>;

struct Parsed {
  bool raw = false;
  bool json = false;
  double length = 120;
  std::string db;
  std::vector<std::string> files;
};

// Parses the options a command accepts ("--raw", "--json", "--length", "--db"); false on a usage error.
bool parse(Args args, std::initializer_list<std::string_view> allowed, Parsed& out, std::ostream& err) {
  const auto allows = [&](std::string_view o) { return std::find(allowed.begin(), allowed.end(), o) != allowed.end(); };
  bool only_files = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (only_files || a.empty() || a[0] != '-' || a == "-") {
      out.files.push_back(a);
    } else if (a == "--") {
      only_files = true;
    } else if (a == "--raw" && allows(a)) {
      out.raw = true;
    } else if (a == "--json" && allows(a)) {
      out.json = true;
    } else if ((a == "--length" || a == "--db") && allows(a)) {
      if (i + 1 >= args.size()) {
        err << "tyto fingerprint: " << a << " needs a value\n";
        return false;
      }
      const std::string& v = args[++i];
      if (a == "--db") {
        out.db = v;
      } else {
        double secs = -1;
        const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), secs);
        if (ec != std::errc() || end != v.data() + v.size() || !(secs >= 0) || secs > 21600) {
          err << "tyto fingerprint: --length takes seconds from 0 (all) to 21600\n";
          return false;
        }
        out.length = secs;
      }
    } else {
      err << "tyto fingerprint: unknown option " << a << "\n";
      return false;
    }
  }
  if (out.files.empty()) {
    err << "tyto fingerprint: no input files\n";
    return false;
  }
  if (allows("--db") && out.db.empty()) {
    err << "tyto fingerprint: --db PATH is required\n";
    return false;
  }
  return true;
}

// Fingerprints the files on up to one thread per core (each file is decoded on one thread, as fpcalc
// does); results come back in the files' order, an exception_ptr where a file failed.
struct Outcome {
  AudioFingerprint fp;
  std::exception_ptr error;
};
std::vector<Outcome> fingerprint_all(const std::vector<std::string>& files, const FingerprintOptions& options) {
  std::vector<Outcome> out(files.size());
  std::atomic<std::size_t> next{0};
  const auto work = [&] {
    for (std::size_t i = next++; i < files.size(); i = next++) {
      try {
        out[i].fp = fingerprint_file(files[i], options);
      } catch (...) {
        out[i].error = std::current_exception();
      }
    }
  };
  const auto threads = std::min<std::size_t>({files.size(), std::max(1u, std::thread::hardware_concurrency()), 8});
  std::vector<std::jthread> pool;
  for (std::size_t t = 1; t < threads; ++t) pool.emplace_back(work);
  work();
  return out;
}

void report(std::ostream& err, const std::string& file, const Error& e) {
  err << file << ": " << e.what() << " (" << error_code_name(e.code()) << ")\n";
}

int fingerprint_files(Args args, std::ostream& out, std::ostream& err) {
  Parsed p;
  if (!parse(args, {"--raw", "--json", "--length"}, p, err)) return 2;
  FingerprintOptions options;
  options.max_seconds = p.length;
  int status = 0;
  bool first = true;
  auto outcomes = fingerprint_all(p.files, options);
  for (std::size_t n = 0; n < p.files.size(); ++n) {
    const auto& file = p.files[n];
    try {
      if (outcomes[n].error) std::rethrow_exception(outcomes[n].error);
      const auto& fp = outcomes[n].fp;
      // fpcalc prints the container's duration truncated to whole seconds.
      const auto duration = static_cast<long long>(fp.duration_s);
      if (p.json) {
        json o{{"path", file}, {"duration", std::round(fp.duration_s * 100) / 100}};
        if (p.raw)
          o["fingerprint"] = fp.raw;
        else
          o["fingerprint"] = compress_fingerprint(fp.raw);
        out << o.dump() << "\n";
      } else {
        if (!first) out << "\n";
        out << "FILE=" << file << "\nDURATION=" << duration << "\nFINGERPRINT=";
        if (p.raw) {
          for (std::size_t i = 0; i < fp.raw.size(); ++i) out << (i ? "," : "") << fp.raw[i];
        } else {
          out << compress_fingerprint(fp.raw);
        }
        out << "\n";
      }
      first = false;
    } catch (const Error& e) {
      report(err, file, e);
      status = 1;
    }
  }
  return status;
}

int index_files(Args args, std::ostream& out, std::ostream& err) {
  Parsed p;
  if (!parse(args, {"--db"}, p, err)) return 2;
  try {
    auto index = AudioIndex::load(p.db);
    FingerprintOptions options;
    options.max_seconds = 0;  // a catalog track is indexed whole
    int status = 0;
    auto outcomes = fingerprint_all(p.files, options);
    for (std::size_t n = 0; n < p.files.size(); ++n) {
      const auto& file = p.files[n];
      try {
        if (outcomes[n].error) std::rethrow_exception(outcomes[n].error);
        auto& fp = outcomes[n].fp;
        const auto seconds = fp.fingerprinted_s;
        index.add({file, fp.duration_s, std::move(fp.raw)});
        out << "indexed " << file << " (" << fmt::format("{:.1f}", seconds) << " s)\n";
      } catch (const Error& e) {
        report(err, file, e);
        status = 1;
      }
    }
    index.save(p.db);
    out << index.size() << " tracks, " << fmt::format("{:.1f}", index.total_seconds() / 3600) << " h in " << p.db
        << "\n";
    return status;
  } catch (const Error& e) {
    report(err, p.db, e);
    return 1;
  }
}

int lookup_files(Args args, std::ostream& out, std::ostream& err) {
  Parsed p;
  if (!parse(args, {"--db", "--json"}, p, err)) return 2;
  std::optional<AudioIndex> index;
  try {
    index = AudioIndex::load(p.db);
  } catch (const Error& e) {
    report(err, p.db, e);
    return 1;
  }
  int status = 0;
  json results = json::array();
  auto outcomes = fingerprint_all(p.files, FingerprintOptions{});
  for (std::size_t n = 0; n < p.files.size(); ++n) {
    const auto& file = p.files[n];
    try {
      if (outcomes[n].error) std::rethrow_exception(outcomes[n].error);
      const auto& fp = outcomes[n].fp;
      const auto match = index->lookup(fp.raw);
      if (p.json) {
        json m = nullptr;
        if (match)
          m = {{"track", match->track},
               {"offset_s", std::round(match->alignment.offset_s * 1000) / 1000},
               {"score", std::round(match->alignment.score * 1000) / 1000}};
        results.push_back({{"path", file}, {"match", m}});
      } else if (match) {
        out << file << ": " << match->track << " offset_s=" << fmt::format("{:.2f}", match->alignment.offset_s)
            << " score=" << fmt::format("{:.3f}", match->alignment.score) << "\n";
      } else {
        out << file << ": no match\n";
      }
    } catch (const Error& e) {
      report(err, file, e);
      if (p.json) results.push_back({{"path", file}, {"match", nullptr}, {"error", error_code_name(e.code())}});
      status = 1;
    }
  }
  if (p.json) out << results.dump(2) << "\n";
  return status;
}

int run(Args args, std::ostream& out, std::ostream& err) {
  if (!args.empty() && args[0] == "index") return index_files(args.subspan(1), out, err);
  if (!args.empty() && args[0] == "lookup") return lookup_files(args.subspan(1), out, err);
  return fingerprint_files(args, out, err);
}

}  // namespace

std::vector<CliCommand> audio_commands() {
  return {{"fingerprint",
           "fingerprint [--raw] [--json] [--length SECS] FILE… | fingerprint index --db PATH FILE… | "
           "fingerprint lookup --db PATH [--json] FILE…",
           "Chromaprint audio fingerprints as fpcalc prints them; index tracks into a file, find clips in it", run}};
}

}  // namespace tyto::fingerprint
