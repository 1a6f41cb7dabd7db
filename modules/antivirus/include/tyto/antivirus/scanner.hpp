// Malware scanning of bytes with libclamav (ClamAV's engine, Debian's libclamav12), for uploads any product takes.
//
// A Scanner loads the signature databases of one folder (ScannerOptions::database_dir; in production
// /var/lib/clamav, which Debian's clamav-freshclam keeps current) into one engine, compiles it once and scans
// with it from any number of threads. When the folder holds no signature database, available() is false and
// scan() answers Verdict::kNotScanned: scanning is on when a database is present (docs/modules/antivirus.md).
//
// Reload: at most every reload_interval, a scan lists the folder (names, sizes and modification times: no file
// is read) and, when that changed, loads and compiles a new engine and swaps it in; scans in flight finish on the
// engine they started with. reload() forces it. A reload that fails keeps the engine that worked.
//
// Limits (ClamAV's own): max_file_size (larger input is not scanned at all: kNotScanned; inside an archive, a larger
// member), max_scan_size (bytes scanned per input, archives' contents included), max_recursion (archive nesting),
// max_files (files in an archive) and max_scan_time. With alert_exceeds_max, input whose contents hit one of them
// is reported as infected with ClamAV's heuristic name ("Heuristics.Limits.Exceeded.MaxRecursion" …), so a zip
// bomb is neither scanned forever nor passed as clean.
//
// Thread-safety: every method may be called from any thread. scan() blocks (CPU): call it on a job thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

namespace tyto::antivirus {

struct ScannerOptions {
  std::filesystem::path database_dir = "/var/lib/clamav";
  std::uint64_t max_file_size = 100ull << 20;  // larger input: not scanned
  std::uint64_t max_scan_size = 400ull << 20;  // bytes scanned per input, archive members included
  int max_recursion = 16;                      // archive nesting
  int max_files = 10'000;                      // files scanned inside one archive
  std::chrono::milliseconds max_scan_time{120'000};
  bool alert_exceeds_max = true;                      // input past a limit is "infected" (Heuristics.Limits.Exceeded.*)
  std::chrono::milliseconds reload_interval{60'000};  // how often scan() looks for changed databases; 0: every scan
};

enum class Verdict { kClean, kInfected, kNotScanned, kError };
// "clean", "infected", "not_scanned", "error".
std::string_view verdict_name(Verdict verdict) noexcept;

struct ScanResult {
  Verdict verdict = Verdict::kNotScanned;
  std::string signature;  // kInfected: the signature's name ("Eicar-Test-Signature", "Tyto.Test.Marked")
  std::string reason;     // kNotScanned, kError: why
};

class Scanner {
 public:
  // Loads the databases now (a folder without any leaves the scanner unavailable; never throws for that).
  explicit Scanner(ScannerOptions options);
  ~Scanner();
  Scanner(const Scanner&) = delete;
  Scanner& operator=(const Scanner&) = delete;

  // Whether a compiled engine with at least one signature is loaded.
  bool available() const;
  // Signatures in the loaded engine (0 when unavailable).
  unsigned signatures() const;
  // Why the scanner is unavailable ("no signature database in /var/lib/clamav", a load error), or empty.
  std::string problem() const;
  // libclamav's version ("1.4.6").
  static std::string engine_version();

  // Scans the bytes as one file (archives, documents and executables are unpacked within the limits).
  ScanResult scan(std::string_view bytes);

  // Loads the folder again now if its files changed since the last load (or always when `force`). Returns
  // whether a new engine was swapped in.
  bool reload(bool force = false);

  const ScannerOptions& options() const noexcept { return options_; }

 private:
  struct Engine;
  std::shared_ptr<const Engine> engine() const;
  void maybe_reload();

  ScannerOptions options_;
  mutable std::mutex mutex_;              // guards engine_, problem_, stamp_, checked_at_
  std::mutex reload_mutex_;               // one load at a time; scans do not wait for it
  std::shared_ptr<const Engine> engine_;  // GUARDED_BY(mutex_); null: unavailable
  std::string problem_;                   // GUARDED_BY(mutex_)
  std::string stamp_;                     // GUARDED_BY(mutex_): the folder listing the engine was loaded from
  std::chrono::steady_clock::time_point checked_at_;  // GUARDED_BY(mutex_)
};

}  // namespace tyto::antivirus
