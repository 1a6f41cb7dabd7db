#include "tyto/core/json_schema.hpp"
#include "tyto/core/error.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace {

using nlohmann::json;
using tyto::SchemaViolation;

// The violations as "path: message" lines, so that failures show what was found.
std::vector<std::string> violations(const json& schema, const json& value) {
  std::vector<std::string> lines;
  for (const SchemaViolation& v : tyto::validate_json(schema, value)) lines.push_back(v.path + ": " + v.message);
  return lines;
}

bool valid(const json& schema, const json& value) { return tyto::validate_json(schema, value).empty(); }

using Lines = std::vector<std::string>;

}  // namespace

TEST_CASE("Schema type accepts the named JSON types, integers including 3.0", "[json_schema]") {
  CHECK(valid({{"type", "string"}}, "x"));
  CHECK(valid({{"type", "boolean"}}, true));
  CHECK(valid({{"type", "null"}}, nullptr));
  CHECK(valid({{"type", "object"}}, json::object()));
  CHECK(valid({{"type", "array"}}, json::array()));
  CHECK(valid({{"type", "number"}}, 2.5));
  CHECK(valid({{"type", "number"}}, 3));
  CHECK(valid({{"type", "integer"}}, 3));
  CHECK(valid({{"type", "integer"}}, -3));
  CHECK(valid({{"type", "integer"}}, 18446744073709551615ULL));
  CHECK(valid({{"type", "integer"}}, 3.0));
  CHECK(valid({{"type", json::array({"string", "null"})}}, nullptr));

  CHECK(violations({{"type", "integer"}}, 3.5) == Lines{": expected integer, got number"});
  CHECK(violations({{"type", "integer"}}, "3") == Lines{": expected integer, got string"});
  CHECK(violations({{"type", "number"}}, true) == Lines{": expected number, got boolean"});
  CHECK(violations({{"type", "boolean"}}, 0) == Lines{": expected boolean, got integer"});
  CHECK(violations({{"type", "object"}}, json::array()) == Lines{": expected object, got array"});
  CHECK(violations({{"type", "null"}}, json::object()) == Lines{": expected null, got object"});
  CHECK(violations({{"type", json::array({"string", "null"})}}, 1) == Lines{": expected string or null, got integer"});
}

TEST_CASE("Schema type mismatch is the only violation reported for that value", "[json_schema]") {
  const json schema = {{"type", "string"}, {"enum", {"a", "b"}}, {"minLength", 5}};
  CHECK(violations(schema, 7) == Lines{": expected string, got integer"});
}

TEST_CASE("Schema enum and const compare JSON values, numbers by value", "[json_schema]") {
  const json colors = {{"enum", {"red", "green", 3, nullptr}}};
  CHECK(valid(colors, "red"));
  CHECK(valid(colors, 3.0));
  CHECK(valid(colors, nullptr));
  CHECK(violations(colors, "blue") == Lines{R"(: must be one of ["red","green",3,null])"});
  CHECK_FALSE(valid(colors, true));

  CHECK(valid({{"const", {{"a", 1}}}}, {{"a", 1.0}}));
  CHECK(violations({{"const", "v1"}}, "v2") == Lines{R"(: must equal "v1")"});
  CHECK_FALSE(valid({{"const", 1}}, true));
}

TEST_CASE("Schema properties, required and additionalProperties check objects", "[json_schema]") {
  const json schema = {{"type", "object"},
                       {"properties", {{"name", {{"type", "string"}}}, {"priority", {{"type", "integer"}}}}},
                       {"required", {"name"}}};
  CHECK(valid(schema, {{"name", "a"}}));
  CHECK(valid(schema, {{"name", "a"}, {"priority", 2}, {"other", "anything"}}));
  CHECK(violations(schema, json::object()) == Lines{"/name: is required"});
  CHECK(violations(schema, {{"name", 1}, {"priority", "high"}}) ==
        Lines{"/name: expected string, got integer", "/priority: expected integer, got string"});

  json closed = schema;
  closed["additionalProperties"] = false;
  CHECK(valid(closed, {{"name", "a"}}));
  CHECK(violations(closed, {{"name", "a"}, {"extra", 1}}) == Lines{"/extra: is not allowed"});

  json typed_extras = schema;
  typed_extras["additionalProperties"] = {{"type", "number"}};
  CHECK(valid(typed_extras, {{"name", "a"}, {"weight", 0.5}}));
  CHECK(violations(typed_extras, {{"name", "a"}, {"weight", "heavy"}}) ==
        Lines{"/weight: expected number, got string"});
}

TEST_CASE("Schema items, minItems and maxItems check arrays", "[json_schema]") {
  const json schema = {{"type", "array"}, {"items", {{"type", "integer"}}}, {"minItems", 1}, {"maxItems", 3}};
  CHECK(valid(schema, {1, 2, 3}));
  CHECK(violations(schema, json::array()) == Lines{": must have at least 1 items"});
  CHECK(violations(schema, {1, 2, 3, 4}) == Lines{": must have at most 3 items"});
  CHECK(violations(schema, {1, "two", 3.5}) ==
        Lines{"/1: expected integer, got string", "/2: expected integer, got number"});
}

TEST_CASE("Schema violations carry the path of nested values, escaped as a JSON pointer", "[json_schema]") {
  const json schema = {
      {"properties",
       {{"items",
         {{"type", "array"},
          {"items", {{"properties", {{"name", {{"type", "string"}}}, {"tags", {{"items", {{"maxLength", 3}}}}}}}}}}}}}};
  const json value = {
      {"items", {{{"name", "ok"}}, {{"name", "ok"}}, {{"name", "ok"}}, {{"name", 5}, {"tags", {"abcd"}}}}}};
  CHECK(violations(schema, value) ==
        Lines{"/items/3/name: expected string, got integer", "/items/3/tags/0: must be at most 3 characters long"});

  const json odd_keys = {{"properties", {{"a/b", {{"type", "string"}}}, {"c~d", {{"type", "string"}}}}}};
  CHECK(violations(odd_keys, {{"a/b", 1}, {"c~d", 2}}) ==
        Lines{"/a~1b: expected string, got integer", "/c~0d: expected string, got integer"});
}

TEST_CASE("Schema numeric bounds are inclusive or exclusive and exact for large integers", "[json_schema]") {
  const json range = {{"minimum", 1}, {"maximum", 10}};
  CHECK(valid(range, 1));
  CHECK(valid(range, 10.0));
  CHECK(violations(range, 0.5) == Lines{": must be at least 1"});
  CHECK(violations(range, 11) == Lines{": must be at most 10"});
  const json open = {{"exclusiveMinimum", 0}, {"exclusiveMaximum", 1.5}};
  CHECK(valid(open, 0.001));
  CHECK(valid(open, 1));
  CHECK(violations(open, 0) == Lines{": must be greater than 0"});
  CHECK(violations(open, 1.5) == Lines{": must be less than 1.5"});
  CHECK(valid(range, "not a number"));  // bounds only apply to numbers

  // 2^53 + 1 and 2^53 are equal as doubles; the comparison must not go through double.
  CHECK_FALSE(valid({{"maximum", 9007199254740992LL}}, 9007199254740993LL));
  CHECK_FALSE(valid({{"maximum", -1}}, 18446744073709551615ULL));
  CHECK(valid({{"minimum", -1}}, 18446744073709551615ULL));
  CHECK_FALSE(valid({{"minimum", 0}}, -9223372036854775807LL - 1));
}

TEST_CASE("Schema string lengths count Unicode code points, not bytes", "[json_schema]") {
  const json three = {{"minLength", 3}, {"maxLength", 3}};
  CHECK(valid(three, "abc"));
  CHECK(valid(three, "h\u00e9!"));            // 4 bytes
  CHECK(valid(three, "\u65e5\u672c\u8a9e"));  // 9 bytes
  CHECK(valid(three, "a\U0001F600b"));        // 6 bytes
  CHECK(violations(three, "ab") == Lines{": must be at least 3 characters long"});
  CHECK(violations(three, "\u00e9\u00e9\u00e9\u00e9") == Lines{": must be at most 3 characters long"});
  CHECK(valid({{"maxLength", 2.0}}, "ab"));
  CHECK(valid({{"maxLength", 1e30}}, "ab"));
}

TEST_CASE("Schema pattern searches the string with an ECMAScript regular expression", "[json_schema]") {
  const json slug = {{"pattern", "^[a-z0-9-]{1,16}$"}};
  CHECK(valid(slug, "my-stage-1"));
  CHECK(violations(slug, "My Stage") == Lines{R"(: must match the pattern "^[a-z0-9-]{1,16}$")"});
  CHECK(valid({{"pattern", "b"}}, "abc"));  // unanchored
  CHECK(valid({{"pattern", "^\\d{4}-\\d{2}$"}}, "2026-01"));
  CHECK(valid({{"pattern", "^(?!tmp)"}}, "stage"));
  CHECK_FALSE(valid({{"pattern", "^(?!tmp)"}}, "tmp1"));
  CHECK(valid({{"pattern", "^(a|b)*$"}}, std::string(2048, 'a')));  // no deep recursion
  CHECK(violations({{"pattern", "a"}}, std::string(2049, 'a')) ==
        Lines{": is too long (2049 bytes) to check against a pattern"});
  CHECK(violations({{"pattern", "("}}, "x") == Lines{R"(: cannot be checked: the schema's pattern "(" is invalid)"});
  for (int i = 0; i < 3; ++i) CHECK(valid(slug, "cached"));  // the compiled pattern is reused
}

TEST_CASE("Schema booleans, annotations and unknown keywords", "[json_schema]") {
  CHECK(valid(true, {{"anything", 1}}));
  CHECK(violations(false, 1) == Lines{": no value is allowed here"});
  CHECK(violations({{"properties", {{"secret", false}}}}, {{"secret", 1}}) ==
        Lines{"/secret: no value is allowed here"});
  const json annotated = {{"title", "T"},       {"description", "D"}, {"default", 5},
                          {"examples", {1, 2}}, {"x-ui", "slider"},   {"type", "integer"}};
  CHECK(valid(annotated, 1));
  CHECK(valid(json::object(), {1, "two", nullptr}));
}

TEST_CASE("Schema validation collects at most 50 violations", "[json_schema]") {
  const json schema = {{"items", {{"type", "string"}}}};
  const auto found = tyto::validate_json(schema, json(std::vector<int>(100, 1)));
  REQUIRE(found.size() == tyto::kMaxSchemaViolations);
  CHECK(found.front() == SchemaViolation{"/0", "expected string, got integer"});
  CHECK(found.back().path == "/49");
}

TEST_CASE("require_valid throws a validation error naming each failing field", "[json_schema]") {
  const json schema = {{"type", "object"},
                       {"properties",
                        {{"priority", {{"type", "integer"}, {"enum", {1, 2}}}},
                         {"stage", {{"properties", {{"name", {{"minLength", 2}, {"pattern", "^[a-z]+$"}}}}}}}}},
                       {"required", {"input"}}};
  CHECK_NOTHROW(tyto::require_valid(schema, {{"input", 1}}));
  try {
    tyto::require_valid(schema, {{"priority", 3}, {"stage", {{"name", "A"}}}});
    FAIL("accepted");
  } catch (const tyto::Error& e) {
    CHECK(e.code() == tyto::ErrorCode::kValidationFailed);
    CHECK(std::string(e.what()) == "input does not match the schema");
    CHECK(e.details() ==
          json{{"fields",
                {{"input", "is required"},
                 {"priority", "must be one of [1,2]"},
                 {"stage/name", R"(must be at least 2 characters long; must match the pattern "^[a-z]+$")"}}}});
  }
  try {
    tyto::require_valid(schema, "text");
    FAIL("accepted");
  } catch (const tyto::Error& e) {
    CHECK(e.details() == json{{"fields", {{"(root)", "expected object, got string"}}}});
  }
}

TEST_CASE("check_schema accepts a well-formed schema and names each malformed keyword", "[json_schema]") {
  const json good = {
      {"type", "object"},
      {"required", {"a"}},
      {"additionalProperties", false},
      {"properties",
       {{"a", {{"type", {"integer", "null"}}, {"minimum", 0}, {"exclusiveMaximum", 1.5}, {"default", 1}}},
        {"b", {{"type", "array"}, {"items", {{"type", "string"}, {"pattern", "^x"}}}, {"maxItems", 3}}},
        {"c", true}}}};
  CHECK(tyto::check_schema(good).empty());
  CHECK(tyto::check_schema(true).empty());

  const json bad = {{"type", "str"},
                    {"required", "a"},
                    {"enum", "a"},
                    {"minLength", -1},
                    {"maxItems", 1.5},
                    {"minimum", "0"},
                    {"pattern", "("},
                    {"items", {{{"type", "string"}}}},
                    {"additionalProperties", 3},
                    {"properties", {{"a", {{"maximum", true}}}, {"b", "string"}}}};
  CHECK(tyto::check_schema(bad) ==
        Lines{"/type: \"str\" is not a type name", "/enum: must be an array", "/required: must be an array of strings",
              "/maxItems: must be a non-negative integer", "/minLength: must be a non-negative integer",
              "/minimum: must be a number", "/pattern: is not a valid regular expression (backreferences are refused)",
              "/properties/a/maximum: must be a number", "/properties/b: a schema must be an object or a boolean",
              "/additionalProperties: a schema must be an object or a boolean",
              "/items: must be a schema (the array form, prefixItems, is not supported)"});
  CHECK(tyto::check_schema("string") == Lines{"(root): a schema must be an object or a boolean"});
  CHECK(tyto::check_schema({{"type", json::array()}}) ==
        Lines{"/type: must be a type name or a non-empty array of type names"});
  CHECK(tyto::check_schema({{"pattern", "(a)\\1"}}).size() == 1);
  CHECK(tyto::check_schema({{"properties", json::array()}}) == Lines{"/properties: must be an object"});
}

TEST_CASE("apply_defaults fills missing properties at every level and keeps given values", "[json_schema]") {
  const json schema = {{"properties",
                        {{"priority", {{"type", "integer"}, {"default", 5}}},
                         {"mode", {{"default", "fast"}}},
                         {"resize", {{"properties", {{"width", {{"default", 640}}}, {"height", {{"default", 480}}}}}}},
                         {"crop", {{"default", json::object()}, {"properties", {{"margin", {{"default", 0}}}}}}},
                         {"stages", {{"items", {{"properties", {{"enabled", {{"default", true}}}}}}}}},
                         {"label", {{"type", "string"}}}}}};
  const json given = {
      {"mode", "slow"}, {"resize", {{"width", 100}}}, {"stages", {json::object(), {{"enabled", false}}}}};
  CHECK(tyto::apply_defaults(schema, given) == json{{"priority", 5},
                                                    {"mode", "slow"},
                                                    {"resize", {{"width", 100}, {"height", 480}}},
                                                    {"crop", {{"margin", 0}}},
                                                    {"stages", {{{"enabled", true}}, {{"enabled", false}}}}});
  CHECK(tyto::apply_defaults(schema, "not an object") == "not an object");
  CHECK(tyto::apply_defaults(true, {{"a", 1}}) == json{{"a", 1}});
}

TEST_CASE("Schema format date-time asserts an RFC 3339 time, other formats are annotations only", "[json_schema]") {
  const json time = {{"type", "string"}, {"format", "date-time"}};
  CHECK(valid(time, "2026-01-02T03:04:05Z"));
  CHECK(valid(time, "2026-01-02T03:04:05.5+02:00"));
  CHECK(violations(time, "tomorrow") == Lines{": must be an RFC 3339 time, e.g. 2026-01-02T03:04:05Z"});
  CHECK(violations(time, "2026-13-02T03:04:05Z").size() == 1);
  CHECK(valid({{"format", "date-time"}}, 7));  // format applies to strings only
  CHECK(valid({{"type", "string"}, {"format", "uri"}}, "not a uri"));
  CHECK(valid({{"type", "string"}, {"format", "email"}}, "not an email"));
}

TEST_CASE("violation_fields names fields by dotted path, as 422 details.fields do", "[json_schema]") {
  const json schema = {{"type", "object"},
                       {"required", {"pipeline"}},
                       {"properties",
                        {{"jobs", {{"items", {{"properties", {{"priority", {{"type", "integer"}, {"maximum", 9}}}}}}}}},
                         {"a/b", {{"type", "string"}, {"minLength", 2}, {"pattern", "^x"}}}}}};
  const json value = {{"jobs", {json::object(), {{"priority", 10}}}}, {"a/b", "y"}};
  CHECK(tyto::violation_fields(tyto::validate_json(schema, value)) ==
        json{{"pipeline", "is required"},
             {"jobs.1.priority", "must be at most 9"},
             {"a/b", R"(must be at least 2 characters long; must match the pattern "^x")"}});
  CHECK(tyto::violation_fields(tyto::validate_json(schema, value), "input").contains("input.jobs.1.priority"));
  CHECK(tyto::violation_fields(tyto::validate_json(schema, 3)) == json{{"(root)", "expected object, got integer"}});
  CHECK(tyto::violation_fields(tyto::validate_json(schema, 3), "input") ==
        json{{"input", "expected object, got integer"}});
  CHECK(tyto::violation_fields({}) == json::object());
}
