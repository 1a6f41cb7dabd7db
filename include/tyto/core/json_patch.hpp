// JSON Patch (RFC 6902): validation, atomic application, and rebasing an edit onto a newer document.
//
// Used where users propose edits to a JSON document that others may have edited since (the music
// catalog's community edits of maps). nlohmann::json applies the operations; this file adds what it
// leaves out: strict validation with the failing operation named, errors that never leave a half-patched
// document, and rebase_patch, which moves an edit written against an old version onto the current one.
//
// All functions are pure and thread-safe (no shared state).
#pragma once

#include <nlohmann/json.hpp>

#include <cstddef>
#include <string>
#include <vector>

namespace tyto {

// Operations a patch may hold, at most (validate_patch's default).
inline constexpr std::size_t kMaxPatchOps = 1000;

// Checks that `patch` is a well-formed RFC 6902 document: an array of at most `max_ops` objects, each with
// an `op` among add, remove, replace, move, copy and test; a `path` that is a JSON Pointer (RFC 6901: empty,
// or '/'-separated tokens where '~' is only followed by 0 or 1); a `from` pointer for move and copy (a move's
// `from` must not be a proper prefix of its `path`); a `value` for add, replace and test. Members beyond
// these are ignored, as the RFC says. Throws tyto::Error kValidationFailed otherwise; details are
// {"index": i, "fields": {"patch[i].member": "problem"}} (index absent when the document itself is wrong).
void validate_patch(const nlohmann::json& patch, std::size_t max_ops = kMaxPatchOps);

// Applies `patch` to a copy of `doc` and returns the result. Validates first (validate_patch). When an
// operation cannot apply — a failing `test`, a path or `from` that does not exist, an array index out of
// range, a parent that is not an object or array — throws tyto::Error kConflict with details
// {"index": i, "op": "...", "path": "...", "reason": "test_failed" | "path_not_found" | "not_a_container"
// | "index_out_of_range" | "cannot_apply"}. Atomic: `doc` is never modified and no partly patched result escapes.
nlohmann::json apply_patch(const nlohmann::json& doc, const nlohmann::json& patch);

// One operation of an edit that overlaps what others changed.
struct PatchConflict {
  std::size_t index = 0;  // the operation's position in the edit
  std::string path;       // its path (or `from`) as the edit wrote it
  std::string reason;     // what the other edits changed there, naming their pointer (base coordinates)
};

struct RebaseResult {
  bool ok = false;
  nlohmann::json patch = nlohmann::json::array();  // when ok: the edit, rewritten to apply to `current`
  std::vector<PatchConflict> conflicts;            // when !ok: one entry per conflicting operation
};

// Rebases `edit`, a patch written against `base`, onto `current`, a newer version derived from `base` by
// other accepted edits.
//
// What changed base → current is computed structurally: objects member by member; arrays by a longest
// common subsequence of whole elements (Myers' diff after trimming the common head and tail; when more than
// 2,000 elements were removed plus inserted the array counts as replaced as a whole). An array element is the unit of
// change: an element the other edits modified in any way counts as removed there (and a new one inserted),
// so two edits of the same note conflict even when they touch different fields of it. Between two kept
// elements, a removed and an inserted object that differ in at most one member (or, when none look alike,
// as many removed as inserted values, pairwise) are taken for an element changed in place: it still counts
// as changed, and it keeps its place for the inserts of the edit (below).
//
// Overlap, in base coordinates (an edit operation's path is mapped back through the edit's own earlier
// operations, so a note the edit inserted itself is its own and never conflicts):
//   * an operation that writes or reads a node (add to an object member, replace, remove, test, a move's
//     and a copy's `from`) conflicts with any change at that node, inside it, or at an ancestor of it —
//     JSON Pointer prefix overlap in either direction; a `test` counts as a read of its whole subtree;
//   * an insert into an array (add at an index, or at `-`) touches no element: it conflicts only when the
//     other edits replaced or removed the array itself or an ancestor. Appends with `-` are therefore
//     always safe while the array exists, and so are inserts next to or between notes others removed;
//   * two inserts into the same gap of the same array do not conflict: the rebased one lands after the
//     elements the other edits inserted there. Precisely, an insert before element e lands before e in
//     `current`, or before the next element after e that `current` still holds when others removed e
//     (the end when none), so after whatever the other edits inserted just before that element;
//   * members others added or removed in an object conflict only with operations on that member.
// Without conflict, the result is `edit` with every array index moved to where that element now is in
// `current` (a note inserted or removed before /notes/i shifts /notes/i), object members unchanged, and
// `-` kept. The rebased patch is checked to apply to `current`; if it does not, that is reported as a
// conflict. Throws tyto::Error as apply_patch does when `edit` is malformed or does not apply to `base`.
RebaseResult rebase_patch(const nlohmann::json& edit, const nlohmann::json& base, const nlohmann::json& current);

}  // namespace tyto
