// The Scanner over libclamav: one compiled engine shared by every scan, swapped whole on reload.
#include "tyto/antivirus/scanner.hpp"

#include "tyto/core/logging.hpp"

#include <clamav.h>
#include <fmt/format.h>

#include <algorithm>
#include <set>
#include <vector>

namespace tyto::antivirus {
namespace {

// File kinds cl_load reads from a folder (signature databases, certificates, allow lists, YARA rules).
bool is_database(const std::filesystem::path& p) {
  static const std::set<std::string> kExtensions = {".cvd", ".cld", ".cud", ".hdb", ".hsb",  ".hdu", ".hsu",  ".mdb",
                                                    ".msb", ".mdu", ".msu", ".ndb", ".ndu",  ".ldb", ".ldu",  ".idb",
                                                    ".cdb", ".cbc", ".crb", ".cat", ".fp",   ".sfp", ".ign",  ".ign2",
                                                    ".pdb", ".gdb", ".wdb", ".ftm", ".pwdb", ".yar", ".yara", ".imp"};
  return kExtensions.count(p.extension().string()) > 0;
}

// The folder's database files by name, size and modification time: cheap (no file is read), and different
// whenever freshclam or an operator replaced one.
std::string listing(const std::filesystem::path& dir) {
  std::vector<std::string> entries;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
    std::error_code fe;
    if (!e.is_regular_file(fe) || !is_database(e.path())) continue;
    const auto size = e.file_size(fe);
    const auto mtime = e.last_write_time(fe).time_since_epoch().count();
    entries.push_back(fmt::format("{}\t{}\t{}", e.path().filename().string(), size, mtime));
  }
  std::sort(entries.begin(), entries.end());
  std::string out;
  for (const auto& e : entries) out += e + "\n";
  return out;
}

void on_message(enum cl_msg severity, const char* full, const char*, void*) {
  std::string text = full ? full : "";
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  if (severity == CL_MSG_ERROR) {
    log::warn("libclamav", {{"message", text}});
  } else {
    log::debug("libclamav", {{"message", text}});
  }
}

void init_once() {
  static std::once_flag once;
  std::call_once(once, [] {
    cl_set_clcb_msg(on_message);  // before any thread scans: libclamav's messages go to Tyto's log
    if (const auto r = cl_init(CL_INIT_DEFAULT); r != CL_SUCCESS) {
      log::error("libclamav could not initialise", {{"error", cl_strerror(r)}});
    }
  });
}

}  // namespace

struct Scanner::Engine {
  cl_engine* engine = nullptr;
  unsigned signatures = 0;
  ~Engine() {
    if (engine) cl_engine_free(engine);
  }
};

std::string_view verdict_name(Verdict verdict) noexcept {
  switch (verdict) {
    case Verdict::kClean:
      return "clean";
    case Verdict::kInfected:
      return "infected";
    case Verdict::kNotScanned:
      return "not_scanned";
    case Verdict::kError:
      return "error";
  }
  return "error";
}

Scanner::Scanner(ScannerOptions options) : options_(std::move(options)) {
  init_once();
  reload(true);
}

Scanner::~Scanner() = default;

std::string Scanner::engine_version() {
  init_once();
  return cl_retver();
}

std::shared_ptr<const Scanner::Engine> Scanner::engine() const {
  std::lock_guard lock(mutex_);
  return engine_;
}

bool Scanner::available() const { return engine() != nullptr; }

unsigned Scanner::signatures() const {
  const auto e = engine();
  return e ? e->signatures : 0;
}

std::string Scanner::problem() const {
  std::lock_guard lock(mutex_);
  return problem_;
}

bool Scanner::reload(bool force) {
  std::lock_guard reload_lock(reload_mutex_);
  const std::string stamp = listing(options_.database_dir);
  {
    std::lock_guard lock(mutex_);
    checked_at_ = std::chrono::steady_clock::now();
    if (!force && stamp == stamp_) return false;
  }
  auto fail = [&](std::string why) {
    std::lock_guard lock(mutex_);
    stamp_ = stamp;
    if (!engine_) problem_ = std::move(why);  // a failed reload keeps the engine that worked
    log::warn("antivirus: signature databases not loaded",
              {{"dir", options_.database_dir.string()}, {"error", problem_}});
    return false;
  };
  if (stamp.empty()) {
    std::lock_guard lock(mutex_);
    stamp_ = stamp;
    engine_.reset();  // the databases were removed: say so rather than scan with stale ones
    problem_ = fmt::format("no signature database in {}", options_.database_dir.string());
    return true;
  }

  auto fresh = std::make_shared<Engine>();
  fresh->engine = cl_engine_new();
  if (!fresh->engine) return fail("libclamav could not make an engine");
  cl_engine* e = fresh->engine;
  cl_engine_set_num(e, CL_ENGINE_MAX_FILESIZE, static_cast<long long>(options_.max_file_size));
  cl_engine_set_num(e, CL_ENGINE_MAX_SCANSIZE, static_cast<long long>(options_.max_scan_size));
  cl_engine_set_num(e, CL_ENGINE_MAX_RECURSION, options_.max_recursion);
  cl_engine_set_num(e, CL_ENGINE_MAX_FILES, options_.max_files);
  cl_engine_set_num(e, CL_ENGINE_MAX_SCANTIME, static_cast<long long>(options_.max_scan_time.count()));
  unsigned signatures = 0;
  if (const auto r = cl_load(options_.database_dir.c_str(), e, &signatures, CL_DB_STDOPT); r != CL_SUCCESS) {
    return fail(fmt::format("cl_load {}: {}", options_.database_dir.string(), cl_strerror(r)));
  }
  if (signatures == 0) return fail(fmt::format("no signature in {}", options_.database_dir.string()));
  if (const auto r = cl_engine_compile(e); r != CL_SUCCESS) {
    return fail(fmt::format("cl_engine_compile: {}", cl_strerror(r)));
  }
  fresh->signatures = signatures;
  {
    std::lock_guard lock(mutex_);
    engine_ = std::move(fresh);  // scans in flight keep the old engine alive until they finish
    problem_.clear();
    stamp_ = stamp;
  }
  log::info("antivirus: signature databases loaded",
            {{"dir", options_.database_dir.string()}, {"signatures", static_cast<std::int64_t>(signatures)}});
  return true;
}

void Scanner::maybe_reload() {
  {
    std::lock_guard lock(mutex_);
    if (std::chrono::steady_clock::now() - checked_at_ < options_.reload_interval) return;
  }
  reload(false);
}

ScanResult Scanner::scan(std::string_view bytes) {
  maybe_reload();
  const auto e = engine();
  if (!e) return {Verdict::kNotScanned, {}, problem()};
  if (bytes.size() > options_.max_file_size) {
    return {Verdict::kNotScanned, {}, fmt::format("larger than max_file_size ({} bytes)", options_.max_file_size)};
  }
  cl_fmap_t* map = cl_fmap_open_memory(bytes.data(), bytes.size());
  if (!map) return {Verdict::kError, {}, "libclamav could not map the bytes"};
  cl_scan_options scan_options{};
  scan_options.parse = ~0u;  // every parser: archives, documents, executables, mail, HTML, images
  scan_options.general = CL_SCAN_GENERAL_HEURISTICS;
  if (options_.alert_exceeds_max) scan_options.heuristic |= CL_SCAN_HEURISTIC_EXCEEDS_MAX;
  const char* name = nullptr;
  unsigned long scanned = 0;
  const cl_error_t r = cl_scanmap_callback(map, nullptr, &name, &scanned, e->engine, &scan_options, nullptr);
  cl_fmap_close(map);
  if (r == CL_CLEAN) return {Verdict::kClean, {}, {}};
  if (r == CL_VIRUS) return {Verdict::kInfected, name ? name : "unknown", {}};
  return {Verdict::kError, {}, cl_strerror(r)};
}

}  // namespace tyto::antivirus
