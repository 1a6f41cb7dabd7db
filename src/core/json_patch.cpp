#include "tyto/core/json_patch.hpp"

#include "tyto/core/error.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string_view>

namespace tyto {
namespace {

using nlohmann::json;
using Tokens = std::vector<std::string>;

// Past this many inserted plus removed elements (after trimming the common head and tail) an array counts as replaced
// whole: Myers' algorithm keeps O(D²) of state.
constexpr std::int64_t kMaxEditDistance = 2000;
// The pairing of changed elements between two kept ones gives up past this many comparisons.
constexpr std::size_t kMaxLcsCells = 4'000'000;

std::optional<Tokens> parse_pointer(std::string_view text) {
  Tokens tokens;
  if (text.empty()) return tokens;
  if (text.front() != '/') return std::nullopt;
  std::string token;
  for (std::size_t i = 1; i <= text.size(); ++i) {
    if (i == text.size() || text[i] == '/') {
      tokens.push_back(std::move(token));
      token.clear();
    } else if (text[i] == '~') {
      if (i + 1 >= text.size() || (text[i + 1] != '0' && text[i + 1] != '1')) return std::nullopt;
      token += text[i + 1] == '0' ? '~' : '/';
      ++i;
    } else {
      token += text[i];
    }
  }
  return tokens;
}

std::string to_pointer(const Tokens& tokens) {
  std::string out;
  for (const auto& token : tokens) {
    out += '/';
    for (char c : token) {
      if (c == '~') {
        out += "~0";
      } else if (c == '/') {
        out += "~1";
      } else {
        out += c;
      }
    }
  }
  return out;
}

std::string describe(const Tokens& tokens) { return tokens.empty() ? "the whole document" : to_pointer(tokens); }

// RFC 6901 array index: digits without a leading zero.
std::optional<std::size_t> array_index(const std::string& token) {
  if (token.empty() || token.size() > 18 || (token.size() > 1 && token[0] == '0')) return std::nullopt;
  if (!std::all_of(token.begin(), token.end(), [](char c) { return c >= '0' && c <= '9'; })) return std::nullopt;
  return static_cast<std::size_t>(std::stoull(token));
}

bool is_prefix(const Tokens& prefix, const Tokens& of) {
  return prefix.size() <= of.size() && std::equal(prefix.begin(), prefix.end(), of.begin());
}

// ---- validation -------------------------------------------------------------------------------------------

[[noreturn]] void invalid(std::optional<std::size_t> index, std::string_view member, std::string problem) {
  json details = json::object();
  std::string field = "patch";
  if (index) {
    field = member.empty() ? fmt::format("patch[{}]", *index) : fmt::format("patch[{}].{}", *index, member);
    details["index"] = *index;
  }
  details["fields"] = {{field, problem}};
  throw Error(ErrorCode::kValidationFailed, fmt::format("invalid JSON Patch: {} {}", field, problem),
              std::move(details));
}

std::optional<Tokens> checked_pointer(const json& op, std::size_t index, std::string_view member) {
  const auto it = op.find(member);
  if (it == op.end()) return std::nullopt;
  if (!it->is_string()) invalid(index, member, "must be a string (a JSON Pointer)");
  auto tokens = parse_pointer(it->get_ref<const std::string&>());
  if (!tokens) invalid(index, member, "is not a JSON Pointer (RFC 6901)");
  return tokens;
}

// ---- application ------------------------------------------------------------------------------------------

[[noreturn]] void cannot_apply(std::size_t index, const json& op, std::string_view reason, std::string message) {
  throw Error(ErrorCode::kConflict, fmt::format("JSON Patch operation {} cannot apply: {}", index, message),
              {{"index", index}, {"op", op.at("op")}, {"path", op.at("path")}, {"reason", reason}});
}

const json* locate(const json& doc, const Tokens& tokens, std::size_t count) {
  const json* node = &doc;
  for (std::size_t i = 0; i < count; ++i) {
    if (node->is_object()) {
      const auto it = node->find(tokens[i]);
      if (it == node->end()) return nullptr;
      node = &*it;
    } else if (node->is_array()) {
      const auto index = array_index(tokens[i]);
      if (!index || *index >= node->size()) return nullptr;
      node = &(*node)[*index];
    } else {
      return nullptr;
    }
  }
  return node;
}

// Throws unless `pointer` names an existing node (insert = false) or a place a value can be added (insert = true).
// nlohmann's patch turns a null parent into an object and silently skips a scalar parent: refused here first.
void check_target(const json& doc, const std::string& pointer, bool insert, std::size_t index, const json& op) {
  const Tokens tokens = *parse_pointer(pointer);
  if (tokens.empty()) return;
  const json* parent = locate(doc, tokens, tokens.size() - 1);
  if (parent == nullptr) cannot_apply(index, op, "path_not_found", fmt::format("{} does not exist", pointer));
  if (!parent->is_object() && !parent->is_array()) {
    cannot_apply(index, op, "not_a_container", fmt::format("the parent of {} is not an object or array", pointer));
  }
  const std::string& last = tokens.back();
  if (parent->is_object()) {
    if (!insert && !parent->contains(last)) {
      cannot_apply(index, op, "path_not_found", fmt::format("{} does not exist", pointer));
    }
    return;
  }
  if (insert && last == "-") return;
  const auto at = array_index(last);
  if (!at) cannot_apply(index, op, "path_not_found", fmt::format("{}: '{}' is not an array index", pointer, last));
  if (insert ? *at > parent->size() : *at >= parent->size()) {
    cannot_apply(index, op, "index_out_of_range",
                 fmt::format("{}: index {} past the array's {} elements", pointer, *at, parent->size()));
  }
}

void apply_one(json& doc, const json& op, std::size_t index) {
  const std::string& name = op.at("op").get_ref<const std::string&>();
  const std::string& path = op.at("path").get_ref<const std::string&>();
  if (name == "test") {
    const json* node = locate(doc, *parse_pointer(path), parse_pointer(path)->size());
    if (node == nullptr || *node != op.at("value")) {
      cannot_apply(index, op, "test_failed", fmt::format("the value at {} is not the tested one", path));
    }
    return;
  }
  if (name == "move" || name == "copy") {
    const std::string& from = op.at("from").get_ref<const std::string&>();
    const json* source = locate(doc, *parse_pointer(from), parse_pointer(from)->size());
    if (source == nullptr) cannot_apply(index, op, "path_not_found", fmt::format("from {} does not exist", from));
    json value = *source;
    if (name == "move") {
      check_target(doc, from, false, index, op);
      doc.patch_inplace(json::array({{{"op", "remove"}, {"path", from}}}));
    }
    check_target(doc, path, true, index, op);
    doc.patch_inplace(json::array({{{"op", "add"}, {"path", path}, {"value", std::move(value)}}}));
    return;
  }
  check_target(doc, path, name == "add", index, op);
  doc.patch_inplace(json::array({op}));
}

// ---- what changed base → current --------------------------------------------------------------------------

// kNode: the node at `path` was changed, added or removed. kInsert: elements were inserted into the array at `path`.
enum class ChangeKind { kNode, kInsert };
struct Change {
  Tokens path;
  ChangeKind kind;
};

// Origin of each element of a rebased array: a base index (>= 0), or one of these, or an edit's insert (<= -2).
constexpr std::int64_t kOtherInserted = -1;

struct BaseDiff {
  std::vector<Change> changes;
  // Base pointer of each array that changed → the origin of every element of its current version.
  std::map<std::string, std::vector<std::int64_t>> arrays;
};

// Two objects that differ in at most one member (and share at least one): an element changed in place.
bool alike(const json& a, const json& b) {
  if (!a.is_object() || !b.is_object()) return false;
  std::size_t equal = 0;
  for (const auto& [key, value] : a.items()) {
    const auto it = b.find(key);
    if (it != b.end() && *it == value) ++equal;
  }
  return equal > 0 && equal + 1 >= std::max(a.size(), b.size());
}

// Pairs removed base elements with inserted current ones in order (an LCS over `alike`); when none look alike
// and the counts are equal, pairs them by position (a value changed in place).
void pair_changed(const json& base, const json& current, const std::vector<std::size_t>& removed,
                  const std::vector<std::size_t>& inserted, std::vector<std::int64_t>& origin) {
  const std::size_t n = removed.size();
  const std::size_t m = inserted.size();
  if (m > kMaxLcsCells / n) return;
  std::vector<std::uint32_t> lcs((n + 1) * (m + 1), 0);
  const auto at = [&](std::size_t i, std::size_t j) -> std::uint32_t& { return lcs[i * (m + 1) + j]; };
  const auto like = [&](std::size_t i, std::size_t j) { return alike(base[removed[i]], current[inserted[j]]); };
  for (std::size_t i = n; i-- > 0;) {
    for (std::size_t j = m; j-- > 0;) {
      at(i, j) = like(i, j) ? at(i + 1, j + 1) + 1 : std::max(at(i + 1, j), at(i, j + 1));
    }
  }
  if (at(0, 0) == 0) {
    if (n != m) return;
    for (std::size_t k = 0; k < n; ++k) origin[inserted[k]] = static_cast<std::int64_t>(removed[k]);
    return;
  }
  for (std::size_t i = 0, j = 0; i < n && j < m;) {
    if (like(i, j) && at(i, j) == at(i + 1, j + 1) + 1) {
      origin[inserted[j++]] = static_cast<std::int64_t>(removed[i++]);
    } else if (at(i + 1, j) >= at(i, j + 1)) {
      ++i;
    } else {
      ++j;
    }
  }
}

enum class Step : std::uint8_t { kKeep, kRemove, kInsert };

// A shortest edit script from a[0..n) to b[0..m) (Myers' O((n + m) D) greedy algorithm, "An O(ND) Difference
// Algorithm and Its Variations", 1986): keeps form a longest common subsequence. nullopt past kMaxEditDistance.
template <typename Same>
std::optional<std::vector<Step>> shortest_edit(std::size_t n, std::size_t m, const Same& same) {
  const auto N = static_cast<std::int64_t>(n);
  const auto M = static_cast<std::int64_t>(m);
  const std::int64_t max_d = std::min<std::int64_t>(N + M, kMaxEditDistance);
  // v[k + offset]: the furthest x reached on diagonal k = x - y. trace[d]: v over k in [-d-1, d+1] before step d.
  const std::int64_t offset = max_d + 1;
  std::vector<std::int64_t> v(static_cast<std::size_t>(2 * max_d + 3), 0);
  std::vector<std::vector<std::int64_t>> trace;
  const auto at = [&](std::int64_t k) -> std::int64_t& { return v[static_cast<std::size_t>(k + offset)]; };
  std::int64_t found = -1;
  for (std::int64_t d = 0; d <= max_d && found < 0; ++d) {
    trace.emplace_back(v.begin() + (offset - d - 1), v.begin() + (offset + d + 2));
    for (std::int64_t k = -d; k <= d; k += 2) {
      std::int64_t x = (k == -d || (k != d && at(k - 1) < at(k + 1))) ? at(k + 1) : at(k - 1) + 1;
      std::int64_t y = x - k;
      while (x < N && y < M && same(static_cast<std::size_t>(x), static_cast<std::size_t>(y))) {
        ++x;
        ++y;
      }
      at(k) = x;
      if (x >= N && y >= M) {
        found = d;
        break;
      }
    }
  }
  if (found < 0) return std::nullopt;
  std::vector<Step> steps;
  std::int64_t x = N;
  std::int64_t y = M;
  for (std::int64_t d = found; d >= 0; --d) {
    const auto& before = trace[static_cast<std::size_t>(d)];
    const auto prior = [&](std::int64_t k) { return before[static_cast<std::size_t>(k + d + 1)]; };
    const std::int64_t k = x - y;
    const bool down = k == -d || (k != d && prior(k - 1) < prior(k + 1));
    const std::int64_t prev_k = down ? k + 1 : k - 1;
    const std::int64_t prev_x = d == 0 ? 0 : prior(prev_k);
    const std::int64_t prev_y = d == 0 ? 0 : prev_x - prev_k;
    while (x > prev_x && y > prev_y) {
      steps.push_back(Step::kKeep);
      --x;
      --y;
    }
    if (d > 0) steps.push_back(down ? Step::kInsert : Step::kRemove);
    x = prev_x;
    y = prev_y;
  }
  std::reverse(steps.begin(), steps.end());
  return steps;
}

// Aligns two arrays by a longest common subsequence of whole elements; nullopt when too different to compute.
std::optional<std::vector<std::int64_t>> align(const json& base, const json& current) {
  const std::size_t n = base.size();
  const std::size_t m = current.size();
  std::size_t head = 0;
  while (head < n && head < m && base[head] == current[head]) ++head;
  std::size_t tail = 0;
  while (tail < n - head && tail < m - head && base[n - 1 - tail] == current[m - 1 - tail]) ++tail;
  const std::size_t bn = n - head - tail;
  const std::size_t cm = m - head - tail;
  std::vector<std::size_t> base_hash(bn);
  std::vector<std::size_t> current_hash(cm);
  const std::hash<json> hasher;
  for (std::size_t i = 0; i < bn; ++i) base_hash[i] = hasher(base[head + i]);
  for (std::size_t j = 0; j < cm; ++j) current_hash[j] = hasher(current[head + j]);
  const auto same = [&](std::size_t i, std::size_t j) {
    return base_hash[i] == current_hash[j] && base[head + i] == current[head + j];
  };
  const auto script = shortest_edit(bn, cm, same);
  if (!script) return std::nullopt;
  std::vector<std::int64_t> origin(m, kOtherInserted);
  for (std::size_t k = 0; k < head; ++k) origin[k] = static_cast<std::int64_t>(k);
  for (std::size_t k = 0; k < tail; ++k) origin[m - 1 - k] = static_cast<std::int64_t>(n - 1 - k);
  // Between two kept elements, removed and inserted elements that look alike are taken for elements changed in
  // place, so that they keep their place as anchors of inserts (they still count as changed).
  std::vector<std::size_t> removed;
  std::vector<std::size_t> inserted;
  const auto pair_run = [&] {
    if (!removed.empty() && !inserted.empty()) pair_changed(base, current, removed, inserted, origin);
    removed.clear();
    inserted.clear();
  };
  std::size_t i = 0;
  std::size_t j = 0;
  for (const Step step : *script) {
    if (step == Step::kKeep) {
      pair_run();
      origin[head + j++] = static_cast<std::int64_t>(head + i++);
    } else if (step == Step::kRemove) {
      removed.push_back(head + i++);
    } else {
      inserted.push_back(head + j++);
    }
  }
  pair_run();
  return origin;
}

void diff(const json& base, const json& current, Tokens& path, BaseDiff& out) {
  if (base == current) return;
  if (base.is_object() && current.is_object()) {
    for (const auto& [key, value] : base.items()) {
      path.push_back(key);
      const auto it = current.find(key);
      if (it == current.end()) {
        out.changes.push_back({path, ChangeKind::kNode});
      } else {
        diff(value, *it, path, out);
      }
      path.pop_back();
    }
    for (const auto& [key, value] : current.items()) {
      if (base.contains(key)) continue;
      path.push_back(key);
      out.changes.push_back({path, ChangeKind::kNode});
      path.pop_back();
    }
    return;
  }
  if (base.is_array() && current.is_array()) {
    if (auto origin = align(base, current)) {
      std::vector<bool> kept(base.size(), false);
      bool inserted = false;
      for (std::size_t j = 0; j < origin->size(); ++j) {
        const auto o = (*origin)[j];
        if (o < 0) {
          inserted = true;
        } else {
          kept[static_cast<std::size_t>(o)] = base[static_cast<std::size_t>(o)] == current[j];
        }
      }
      for (std::size_t i = 0; i < kept.size(); ++i) {
        if (kept[i]) continue;
        path.push_back(std::to_string(i));
        out.changes.push_back({path, ChangeKind::kNode});
        path.pop_back();
      }
      if (inserted) out.changes.push_back({path, ChangeKind::kInsert});
      out.arrays[to_pointer(path)] = std::move(*origin);
      return;
    }
  }
  out.changes.push_back({path, ChangeKind::kNode});
}

// ---- rebase -----------------------------------------------------------------------------------------------

// How an edit operation uses the node it names.
enum class Use { kInsert, kWrite, kRemove, kRead };

class Rebaser {
 public:
  Rebaser(const json& base, const json& current) : base_(base), working_(base) {
    Tokens path;
    diff(base, current, path, diff_);
  }

  RebaseResult run(const json& edit, const json& current) {
    json patch = json::array();
    for (std::size_t i = 0; i < edit.size(); ++i) {
      const json& op = edit[i];
      const std::string& name = op.at("op").get_ref<const std::string&>();
      const std::string& path = op.at("path").get_ref<const std::string&>();
      json rebased = op;
      bool ok = true;
      std::string out;
      if (name == "move") {
        const std::string& from = op.at("from").get_ref<const std::string&>();
        ok = target(*parse_pointer(from), Use::kRemove, i, from, out);
        rebased["from"] = out;
        json value = working_.at(json::json_pointer(from));
        working_.patch_inplace(json::array({{{"op", "remove"}, {"path", from}}}));
        ok = target(*parse_pointer(path), Use::kInsert, i, path, out) && ok;
        rebased["path"] = out;
        working_.patch_inplace(json::array({{{"op", "add"}, {"path", path}, {"value", std::move(value)}}}));
      } else {
        if (name == "copy") {
          const std::string& from = op.at("from").get_ref<const std::string&>();
          ok = target(*parse_pointer(from), Use::kRead, i, from, out);
          rebased["from"] = out;
        }
        const Use use = name == "add" || name == "copy" ? Use::kInsert
                        : name == "remove"              ? Use::kRemove
                        : name == "replace"             ? Use::kWrite
                                                        : Use::kRead;
        ok = target(*parse_pointer(path), use, i, path, out) && ok;
        rebased["path"] = out;
        working_.patch_inplace(json::array({op}));
      }
      if (ok) patch.push_back(std::move(rebased));
    }
    RebaseResult result;
    if (!conflicts_.empty()) {
      result.conflicts = std::move(conflicts_);
      return result;
    }
    try {
      (void)apply_patch(current, patch);
    } catch (const Error& e) {
      const auto& d = e.details();
      const std::size_t index = d.value("index", std::size_t{0});
      result.conflicts.push_back(
          {index, edit[index].at("path").get<std::string>(),
           fmt::format("the rebased operation does not apply to the current document: {}", e.what())});
      return result;
    }
    result.ok = true;
    result.patch = std::move(patch);
    return result;
  }

 private:
  struct ArrayState {
    std::vector<std::int64_t> edit;     // origin of each element of the array in the edit's own document
    std::vector<std::int64_t> rebased;  // origin of each element of the array in current + the rebased ops so far
  };
  struct Resolved {
    bool owned = false;          // inside a value the edit wrote: the rest of the path is the same in both documents
    bool lost = false;           // passes through an element the other edits removed (base holds its base path)
    Tokens base;                 // base coordinates (while not owned)
    Tokens out;                  // rebased coordinates
    const json* node = nullptr;  // the node reached, in the edit's own document
  };

  ArrayState& array_state(const Tokens& base_path) {
    const std::string key = to_pointer(base_path);
    auto it = arrays_.find(key);
    if (it != arrays_.end()) return it->second;
    ArrayState state;
    const std::size_t n = base_.at(json::json_pointer(key)).size();
    for (std::size_t i = 0; i < n; ++i) state.edit.push_back(static_cast<std::int64_t>(i));
    const auto changed = diff_.arrays.find(key);
    state.rebased = changed != diff_.arrays.end() ? changed->second : state.edit;
    return arrays_.emplace(key, std::move(state)).first->second;
  }

  static std::size_t position(const std::vector<std::int64_t>& list, std::int64_t token) {
    const auto it = std::find(list.begin(), list.end(), token);
    return it == list.end() ? list.size() : static_cast<std::size_t>(it - list.begin());
  }

  // Walks the first `count` tokens of a path of the edit's own document.
  Resolved resolve(const Tokens& tokens, std::size_t count) {
    Resolved r;
    r.owned = owned_.contains("");
    r.node = &working_;
    for (std::size_t i = 0; i < count; ++i) {
      const std::string& token = tokens[i];
      if (r.node->is_object()) {
        r.out.push_back(token);
        if (!r.owned) {
          r.base.push_back(token);
          r.owned = owned_.contains(to_pointer(r.base));
        }
        r.node = &r.node->at(token);
        continue;
      }
      const std::size_t index = *array_index(token);
      if (r.owned) {
        r.out.push_back(token);
      } else {
        const ArrayState& state = array_state(r.base);
        const std::int64_t origin = state.edit.at(index);
        const std::size_t at = position(state.rebased, origin);
        if (origin >= 0) r.base.push_back(std::to_string(origin));
        if (at == state.rebased.size()) {
          r.lost = true;
          return r;
        }
        r.out.push_back(std::to_string(at));
        r.owned = origin < 0 || owned_.contains(to_pointer(r.base));
      }
      r.node = &r.node->at(index);
    }
    return r;
  }

  // Records a conflict when `path` (base coordinates; `gap`: an insert into the array there) overlaps a change.
  bool check(const Tokens& path, bool gap, std::size_t index, const std::string& text) {
    for (const auto& change : diff_.changes) {
      std::string reason;
      const std::string other = describe(change.path);
      if (change.kind == ChangeKind::kInsert) {
        if (gap || !is_prefix(path, change.path)) continue;
        reason = fmt::format("another edit inserted elements into {}", other);
      } else if (gap) {
        if (!is_prefix(change.path, path)) continue;
        reason = fmt::format("another edit replaced or removed {}", other);
      } else if (change.path == path) {
        reason = fmt::format("another edit changed or removed {}", other);
      } else if (is_prefix(change.path, path)) {
        reason = fmt::format("another edit replaced or removed {}, which holds it", other);
      } else if (is_prefix(path, change.path)) {
        reason = fmt::format("another edit changed {} inside it", other);
      } else {
        continue;
      }
      conflicts_.push_back({index, text, std::move(reason)});
      return false;
    }
    return true;
  }

  // Maps one path of operation `index` to the rebased document, checking it against the other edits' changes
  // and keeping the arrays' origins in step with the operation. False (and a conflict recorded) on overlap.
  bool target(const Tokens& tokens, Use use, std::size_t index, const std::string& text, std::string& out) {
    out.clear();
    if (tokens.empty()) {
      if (owned_.contains("")) return true;
      if (!check({}, false, index, text)) return false;
      if (use != Use::kRead) owned_.insert("");
      return true;
    }
    const Resolved parent = resolve(tokens, tokens.size() - 1);
    if (parent.lost) {
      if (check(parent.base, false, index, text)) {
        conflicts_.push_back({index, text, "another edit removed an element on its path"});
      }
      return false;
    }
    Tokens rebased = parent.out;
    const std::string& leaf = tokens.back();
    if (parent.owned) {
      rebased.push_back(leaf);
      out = to_pointer(rebased);
      return true;
    }
    if (parent.node->is_object()) {
      Tokens base_path = parent.base;
      base_path.push_back(leaf);
      const bool ok = check(base_path, false, index, text);
      if (use == Use::kInsert || use == Use::kWrite) owned_.insert(to_pointer(base_path));
      rebased.push_back(leaf);
      out = to_pointer(rebased);
      return ok;
    }
    ArrayState& state = array_state(parent.base);
    if (use == Use::kInsert) {
      const bool ok = check(parent.base, true, index, text);
      const std::int64_t token = next_token_--;
      if (leaf == "-") {
        state.edit.push_back(token);
        state.rebased.push_back(token);
        rebased.push_back("-");
      } else {
        // Before the first element at or after the edit's index that the rebased array still holds, that is after
        // whatever the other edits inserted in the same gap.
        const std::size_t at = *array_index(leaf);
        std::size_t where = state.rebased.size();
        for (std::size_t q = at; q < state.edit.size(); ++q) {
          const std::size_t found = position(state.rebased, state.edit[q]);
          if (found != state.rebased.size()) {
            where = found;
            break;
          }
        }
        state.edit.insert(state.edit.begin() + static_cast<std::ptrdiff_t>(at), token);
        state.rebased.insert(state.rebased.begin() + static_cast<std::ptrdiff_t>(where), token);
        rebased.push_back(std::to_string(where));
      }
      out = to_pointer(rebased);
      return ok;
    }
    const std::size_t at = *array_index(leaf);
    const std::int64_t origin = state.edit.at(at);
    Tokens base_path = parent.base;
    bool ok = true;
    if (origin >= 0) {
      base_path.push_back(std::to_string(origin));
      ok = check(base_path, false, index, text);
    }
    const std::size_t where = position(state.rebased, origin);
    if (use == Use::kRemove) state.edit.erase(state.edit.begin() + static_cast<std::ptrdiff_t>(at));
    if (where == state.rebased.size()) {
      if (ok) conflicts_.push_back({index, text, "another edit removed this element"});
      return false;
    }
    if (use == Use::kRemove) state.rebased.erase(state.rebased.begin() + static_cast<std::ptrdiff_t>(where));
    if (use == Use::kWrite && origin >= 0) owned_.insert(to_pointer(base_path));
    rebased.push_back(std::to_string(where));
    out = to_pointer(rebased);
    return ok;
  }

  const json& base_;
  json working_;  // the edit's own document, after the operations seen so far
  BaseDiff diff_;
  std::map<std::string, ArrayState> arrays_;  // by base pointer
  std::set<std::string> owned_;               // base pointers of values the edit wrote
  std::int64_t next_token_ = -2;
  std::vector<PatchConflict> conflicts_;
};

}  // namespace

void validate_patch(const json& patch, std::size_t max_ops) {
  if (!patch.is_array()) invalid(std::nullopt, "", "must be an array of operations");
  if (patch.size() > max_ops)
    invalid(std::nullopt, "", fmt::format("has {} operations, at most {}", patch.size(), max_ops));
  for (std::size_t i = 0; i < patch.size(); ++i) {
    const json& op = patch[i];
    if (!op.is_object()) invalid(i, "", "must be an object");
    const auto name_it = op.find("op");
    if (name_it == op.end()) invalid(i, "op", "is missing");
    if (!name_it->is_string()) invalid(i, "op", "must be a string");
    const std::string& name = name_it->get_ref<const std::string&>();
    static const std::set<std::string, std::less<>> kOps = {"add", "remove", "replace", "move", "copy", "test"};
    if (!kOps.contains(name)) {
      invalid(i, "op", fmt::format("'{}' is not one of add, remove, replace, move, copy, test", name));
    }
    const auto path = checked_pointer(op, i, "path");
    if (!path) invalid(i, "path", "is missing");
    if (name == "remove" && path->empty()) invalid(i, "path", "cannot remove the whole document");
    if (name == "move" || name == "copy") {
      const auto from = checked_pointer(op, i, "from");
      if (!from) invalid(i, "from", "is missing");
      if (name == "move" && from->size() < path->size() && is_prefix(*from, *path)) {
        invalid(i, "from", "cannot move a value into itself");
      }
    }
    if ((name == "add" || name == "replace" || name == "test") && !op.contains("value")) {
      invalid(i, "value", "is missing");
    }
  }
}

json apply_patch(const json& doc, const json& patch) {
  validate_patch(patch);
  json result = doc;
  for (std::size_t i = 0; i < patch.size(); ++i) {
    try {
      apply_one(result, patch[i], i);
    } catch (const json::exception& e) {
      cannot_apply(i, patch[i], "cannot_apply", e.what());
    }
  }
  return result;
}

RebaseResult rebase_patch(const json& edit, const json& base, const json& current) {
  (void)apply_patch(base, edit);  // throws when malformed or not written against base
  if (base == current) return {true, edit, {}};
  return Rebaser(base, current).run(edit, current);
}

}  // namespace tyto
