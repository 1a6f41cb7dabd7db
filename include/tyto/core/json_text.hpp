// Parsing JSON text that came from outside the process, with bounds on what it may make us do.
//
// nlohmann::json parses iteratively, but dumping, comparing and copying a value recurse once per
// nesting level: a body nested 60,000 levels deep overflows the stack of whoever serializes it.
// Every JSON text a client sends (request bodies, token payloads, WebSocket messages) is therefore
// parsed here, which refuses it before any value is built when it nests deeper than the limit.
#pragma once

#include <nlohmann/json.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace tyto {

// The default nesting limit of request bodies (http.max_json_depth). Values nested this deep are
// still far from any stack limit when serialized recursively.
inline constexpr std::size_t kDefaultJsonDepth = 256;

// The deepest nesting of arrays and objects in `text` (0 for a scalar), counted without parsing and
// stopping as soon as `stop_above` is exceeded (then the result is stop_above + 1). Brackets inside
// strings do not count. Malformed text gets a count too; the parser rejects it afterwards.
std::size_t json_nesting_depth(std::string_view text, std::size_t stop_above) noexcept;

struct JsonTextError {
  std::string reason;    // "nested deeper than 256 levels", "syntax error …", "number out of range …"
  std::size_t byte = 0;  // 1-based position where the parser stopped; 0 when not known
};

// Parses `text` as one JSON value no deeper than `max_depth`. Never throws: on failure the result
// is nullopt and `error` (when given) says why. Numbers that do not fit a double (1e400, a
// 500-digit integer) are failures, not infinities; so is an object that names a member twice
// ({"a":1,"a":2}), which parsers resolve differently.
std::optional<nlohmann::json> parse_json_text(std::string_view text, std::size_t max_depth,
                                              JsonTextError* error = nullptr);

}  // namespace tyto
