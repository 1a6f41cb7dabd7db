// Validation of JSON values against the subset of JSON Schema (2020-12) that pipeline stage inputs use.
//
// Keywords understood:
//   type (a name or an array of names; "integer" accepts any number with no fractional part, 3.0 included)
//   enum, const (numbers compare by value: 3 equals 3.0)
//   properties, required, additionalProperties (true, false or a schema), items (one schema for every element)
//   minItems, maxItems, minimum, maximum, exclusiveMinimum, exclusiveMaximum (numbers, as in 2020-12)
//   minLength, maxLength (counted in Unicode code points)
//   pattern (std::regex ECMAScript, unanchored, run without backtracking so that no input can make it take
//            exponential time or exhaust the stack; backreferences are therefore refused. It sees UTF-8 bytes:
//            '.' matches one byte, not one character. A string over 2048 bytes fails a pattern, which bounds
//            the time an unanchored pattern can take.)
//   format "date-time" (an RFC 3339 time, as parse_rfc3339 reads it); other formats ("uri", "email", …) are
//            annotations only, as 2020-12 makes them by default
// A schema may also be `true` (anything) or `false` (nothing). default, description, title and every other
// keyword are ignored by validation. The functions are pure and thread-safe (compiled patterns are cached).
#pragma once

#include <nlohmann/json.hpp>

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace tyto {

// One failing location: a JSON pointer into the value ("" for the root, "/priority", "/items/3/name"; '~' and
// '/' in keys escaped as ~0 and ~1) and a short human message. A missing required property is reported at
// the path it should have had.
struct SchemaViolation {
  std::string path;
  std::string message;

  bool operator==(const SchemaViolation&) const = default;
};

// At most this many violations are collected.
inline constexpr std::size_t kMaxSchemaViolations = 50;

// Every violation of `schema` by `value` (up to kMaxSchemaViolations), one per failing keyword, except that a
// value of the wrong type gets only that message; empty when `value` is valid. Object members are visited in
// key order, after the object's missing required properties. Keywords with values of the wrong type (see
// check_schema) are ignored, except an invalid pattern, which fails every string it is applied to.
std::vector<SchemaViolation> validate_json(const nlohmann::json& schema, const nlohmann::json& value);

// Throws validation_error("input does not match the schema", {field: message, …}) when `value` is invalid.
// A field is the violation's path without the leading '/', "(root)" for the root; several messages for one
// field are joined with "; ".
void require_valid(const nlohmann::json& schema, const nlohmann::json& value);

// The violations as the `details.fields` of a 422 response: {"<field>": "<message>"}, a field being the
// violation's path with its segments joined by '.' ("input.ms", "jobs.3.priority") after `prefix`, or
// "(root)" for the root when there is no prefix; several messages for one field are joined with "; ".
nlohmann::json violation_fields(const std::vector<SchemaViolation>& violations, std::string_view prefix = {});

// Problems with a schema itself: keywords above with values of the wrong type ("required" not an array of
// strings, "minimum" not a number, a pattern that does not compile, …), each as "<pointer into the schema>:
// <message>" ("(root): …" for the schema itself). Empty when the schema is usable. Meant for refusing a bad pipeline
// definition at start.
std::vector<std::string> check_schema(const nlohmann::json& schema);

// `value` with the "default" of every property it lacks filled in, in the top-level object and in every
// nested object (or array element) the schema describes through properties and items. A missing property
// without a default stays missing, even if its own properties have defaults. Other values come back as they
// are.
nlohmann::json apply_defaults(const nlohmann::json& schema, nlohmann::json value);

}  // namespace tyto
