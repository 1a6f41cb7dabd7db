#include "tyto/core/json_schema.hpp"

#include "tyto/core/error.hpp"
#include "tyto/core/time.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <memory>
#include <mutex>
#include <regex>
#include <string_view>
#include <unordered_map>

#include <fmt/format.h>

namespace tyto {
namespace {

using nlohmann::json;

constexpr std::size_t kMaxPatternSubjectBytes = 2048;
constexpr std::size_t kMaxCachedPatterns = 256;
constexpr std::size_t kMaxShownValueChars = 80;
constexpr std::array<std::string_view, 7> kTypeNames = {"null",   "boolean", "object", "array",
                                                        "number", "string",  "integer"};
constexpr std::array<std::string_view, 4> kCountKeywords = {"minItems", "maxItems", "minLength", "maxLength"};
constexpr std::array<std::string_view, 4> kBoundKeywords = {"minimum", "maximum", "exclusiveMinimum",
                                                            "exclusiveMaximum"};

#if defined(__GLIBCXX__)
// libstdc++'s breadth-first matcher: polynomial time and a stack depth independent of the subject's length.
constexpr auto kPatternSyntax = std::regex::ECMAScript | std::regex_constants::__polynomial;
#else
constexpr auto kPatternSyntax = std::regex::ECMAScript;
#endif

const json* member(const json& object, std::string_view key) {
  const auto it = object.find(key);
  return it != object.end() ? &*it : nullptr;
}

std::string child_path(const std::string& path, std::string_view key) {
  std::string out = path + '/';
  for (const char c : key) {
    if (c == '~') {
      out += "~0";
    } else if (c == '/') {
      out += "~1";
    } else {
      out += c;
    }
  }
  return out;
}

std::string child_path(const std::string& path, std::size_t index) { return path + '/' + std::to_string(index); }

std::string shown(const json& value) {
  std::string text = value.dump();
  if (text.size() > kMaxShownValueChars) text = text.substr(0, kMaxShownValueChars) + "…";
  return text;
}

bool is_integral(const json& value) {
  if (value.is_number_integer()) return true;  // signed and unsigned
  if (!value.is_number_float()) return false;
  const double d = value.get<double>();
  return std::isfinite(d) && std::floor(d) == d;
}

std::string_view type_of(const json& value) {
  switch (value.type()) {
    case json::value_t::null:
      return "null";
    case json::value_t::boolean:
      return "boolean";
    case json::value_t::object:
      return "object";
    case json::value_t::array:
      return "array";
    case json::value_t::string:
      return "string";
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
      return "integer";
    default:
      return "number";
  }
}

bool has_type(const json& value, std::string_view type) {
  if (type == "integer") return is_integral(value);
  if (type == "number") return value.is_number();
  return type_of(value) == type;
}

// Exact for integers of either signedness; doubles otherwise.
int compare_numbers(const json& a, const json& b) {
  const auto sign = [](auto x, auto y) { return x < y ? -1 : (y < x ? 1 : 0); };
  if (a.is_number_integer() && b.is_number_integer()) {
    const bool a_negative = a.is_number_unsigned() ? false : a.get<std::int64_t>() < 0;
    const bool b_negative = b.is_number_unsigned() ? false : b.get<std::int64_t>() < 0;
    if (a_negative != b_negative) return a_negative ? -1 : 1;
    if (a_negative) return sign(a.get<std::int64_t>(), b.get<std::int64_t>());
    return sign(a.get<std::uint64_t>(), b.get<std::uint64_t>());
  }
  return sign(a.get<double>(), b.get<double>());
}

std::size_t code_points(const std::string& s) {
  return static_cast<std::size_t>(std::ranges::count_if(s, [](char c) { return (c & 0xC0) != 0x80; }));
}

// A keyword whose value must be a non-negative integer; nullopt when absent or malformed.
std::optional<std::uint64_t> count_keyword(const json& schema, std::string_view key) {
  const json* count = member(schema, key);
  if (!count || !is_integral(*count) || compare_numbers(*count, json(0)) < 0) return std::nullopt;
  if (!count->is_number_float()) return count->get<std::uint64_t>();
  constexpr double kBeyondUint64 = 18446744073709551616.0;  // 2^64
  const double d = count->get<double>();
  return d >= kBeyondUint64 ? std::numeric_limits<std::uint64_t>::max() : static_cast<std::uint64_t>(d);
}

const json* number_keyword(const json& schema, std::string_view key) {
  const json* bound = member(schema, key);
  return bound && bound->is_number() ? bound : nullptr;
}

// nullptr when the pattern does not compile; invalid patterns are cached too.
std::shared_ptr<const std::regex> compiled_pattern(const std::string& pattern) {
  static auto* mutex = new std::mutex;
  static auto* cache = new std::unordered_map<std::string, std::shared_ptr<const std::regex>>;
  {
    std::lock_guard lock(*mutex);
    if (const auto it = cache->find(pattern); it != cache->end()) return it->second;
  }
  std::shared_ptr<const std::regex> compiled;
  try {
    compiled = std::make_shared<const std::regex>(pattern, kPatternSyntax);
  } catch (const std::regex_error&) {
  }
  std::lock_guard lock(*mutex);
  if (cache->size() >= kMaxCachedPatterns) cache->clear();
  cache->emplace(pattern, compiled);
  return compiled;
}

class Validator {
 public:
  void validate(const json& schema, const json& value, const std::string& path) {
    if (full()) return;
    if (schema.is_boolean()) {
      if (!schema.get<bool>()) add(path, "no value is allowed here");
      return;
    }
    if (!schema.is_object() || !check_type(schema, value, path)) return;
    check_enum_and_const(schema, value, path);
    if (value.is_number()) check_number(schema, value, path);
    if (value.is_string()) check_string(schema, value.get_ref<const std::string&>(), path);
    if (value.is_array()) check_array(schema, value, path);
    if (value.is_object()) check_object(schema, value, path);
  }

  std::vector<SchemaViolation> take() { return std::move(violations_); }

 private:
  bool full() const { return violations_.size() >= kMaxSchemaViolations; }

  void add(const std::string& path, std::string message) {
    if (!full()) violations_.push_back({path, std::move(message)});
  }

  // False when the type is wrong: the other keywords would only add noise about the same value.
  bool check_type(const json& schema, const json& value, const std::string& path) {
    const auto it = schema.find("type");
    if (it == schema.end()) return true;
    std::string expected;
    if (it->is_string()) {
      if (has_type(value, it->get_ref<const std::string&>())) return true;
      expected = it->get<std::string>();
    } else if (it->is_array()) {
      for (const json& type : *it) {
        if (!type.is_string()) continue;
        if (has_type(value, type.get_ref<const std::string&>())) return true;
        expected += (expected.empty() ? "" : " or ") + type.get<std::string>();
      }
      if (expected.empty()) return true;
    } else {
      return true;
    }
    add(path, fmt::format("expected {}, got {}", expected, type_of(value)));
    return false;
  }

  void check_enum_and_const(const json& schema, const json& value, const std::string& path) {
    if (const auto it = schema.find("enum"); it != schema.end() && it->is_array()) {
      if (std::ranges::none_of(*it, [&](const json& allowed) { return allowed == value; })) {
        add(path, "must be one of " + shown(*it));
      }
    }
    if (const auto it = schema.find("const"); it != schema.end() && *it != value) {
      add(path, "must equal " + shown(*it));
    }
  }

  void check_number(const json& schema, const json& value, const std::string& path) {
    if (const json* bound = number_keyword(schema, "minimum"); bound && compare_numbers(value, *bound) < 0) {
      add(path, "must be at least " + bound->dump());
    }
    if (const json* bound = number_keyword(schema, "maximum"); bound && compare_numbers(value, *bound) > 0) {
      add(path, "must be at most " + bound->dump());
    }
    if (const json* bound = number_keyword(schema, "exclusiveMinimum"); bound && compare_numbers(value, *bound) <= 0) {
      add(path, "must be greater than " + bound->dump());
    }
    if (const json* bound = number_keyword(schema, "exclusiveMaximum"); bound && compare_numbers(value, *bound) >= 0) {
      add(path, "must be less than " + bound->dump());
    }
  }

  void check_string(const json& schema, const std::string& value, const std::string& path) {
    const std::size_t length = code_points(value);
    if (const auto min = count_keyword(schema, "minLength"); min && length < *min) {
      add(path, fmt::format("must be at least {} characters long", *min));
    }
    if (const auto max = count_keyword(schema, "maxLength"); max && length > *max) {
      add(path, fmt::format("must be at most {} characters long", *max));
    }
    if (const auto format = schema.find("format");
        format != schema.end() && *format == "date-time" && !parse_rfc3339(value)) {
      add(path, "must be an RFC 3339 time, e.g. 2026-01-02T03:04:05Z");
    }
    const auto it = schema.find("pattern");
    if (it == schema.end() || !it->is_string()) return;
    const auto& pattern = it->get_ref<const std::string&>();
    const auto regex = compiled_pattern(pattern);
    if (!regex) {
      add(path, fmt::format("cannot be checked: the schema's pattern {} is invalid", shown(*it)));
    } else if (value.size() > kMaxPatternSubjectBytes) {
      add(path, fmt::format("is too long ({} bytes) to check against a pattern", value.size()));
    } else if (!std::regex_search(value, *regex)) {
      add(path, "must match the pattern " + shown(*it));
    }
  }

  void check_array(const json& schema, const json& value, const std::string& path) {
    if (const auto min = count_keyword(schema, "minItems"); min && value.size() < *min) {
      add(path, fmt::format("must have at least {} items", *min));
    }
    if (const auto max = count_keyword(schema, "maxItems"); max && value.size() > *max) {
      add(path, fmt::format("must have at most {} items", *max));
    }
    const auto items = schema.find("items");
    if (items == schema.end() || !(items->is_object() || items->is_boolean())) return;
    for (std::size_t i = 0; i < value.size() && !full(); ++i) validate(*items, value[i], child_path(path, i));
  }

  void check_object(const json& schema, const json& value, const std::string& path) {
    if (const auto required = schema.find("required"); required != schema.end() && required->is_array()) {
      for (const json& name : *required) {
        if (name.is_string() && !value.contains(name.get_ref<const std::string&>())) {
          add(child_path(path, name.get_ref<const std::string&>()), "is required");
        }
      }
    }
    const auto properties = schema.find("properties");
    const bool has_properties = properties != schema.end() && properties->is_object();
    const auto additional = schema.find("additionalProperties");
    for (const auto& [key, child] : value.items()) {
      if (full()) return;
      if (const json* property = has_properties ? member(*properties, key) : nullptr) {
        validate(*property, child, child_path(path, key));
      } else if (additional != schema.end() && additional->is_boolean() && !additional->get<bool>()) {
        add(child_path(path, key), "is not allowed");
      } else if (additional != schema.end()) {
        validate(*additional, child, child_path(path, key));
      }
    }
  }

  std::vector<SchemaViolation> violations_;
};

void problem(std::vector<std::string>& problems, const std::string& path, std::string_view message) {
  problems.push_back(fmt::format("{}: {}", path.empty() ? "(root)" : path, message));
}

void check_schema_at(const json& schema, const std::string& path, std::vector<std::string>& problems);

void check_type_keyword(const json& type, const std::string& path, std::vector<std::string>& problems) {
  const auto known = [](const json& name) {
    return name.is_string() && std::ranges::find(kTypeNames, name.get_ref<const std::string&>()) != kTypeNames.end();
  };
  if (type.is_string() || (type.is_array() && !type.empty())) {
    for (const json& name : type.is_array() ? type : json::array({type})) {
      if (!known(name)) problem(problems, path, fmt::format("{} is not a type name", shown(name)));
    }
  } else {
    problem(problems, path, "must be a type name or a non-empty array of type names");
  }
}

void check_keywords(const json& schema, const std::string& path, std::vector<std::string>& problems) {
  if (const auto it = schema.find("type"); it != schema.end())
    check_type_keyword(*it, child_path(path, "type"), problems);
  if (const auto it = schema.find("enum"); it != schema.end() && !it->is_array()) {
    problem(problems, child_path(path, "enum"), "must be an array");
  }
  if (const auto it = schema.find("required"); it != schema.end()) {
    if (!it->is_array() || !std::ranges::all_of(*it, [](const json& name) { return name.is_string(); })) {
      problem(problems, child_path(path, "required"), "must be an array of strings");
    }
  }
  for (const std::string_view key : kCountKeywords) {
    if (schema.contains(key) && !count_keyword(schema, key)) {
      problem(problems, child_path(path, key), "must be a non-negative integer");
    }
  }
  for (const std::string_view key : kBoundKeywords) {
    if (schema.contains(key) && !number_keyword(schema, key))
      problem(problems, child_path(path, key), "must be a number");
  }
  if (const auto it = schema.find("pattern"); it != schema.end()) {
    if (!it->is_string()) {
      problem(problems, child_path(path, "pattern"), "must be a string");
    } else if (!compiled_pattern(it->get<std::string>())) {
      problem(problems, child_path(path, "pattern"), "is not a valid regular expression (backreferences are refused)");
    }
  }
}

void check_schema_at(const json& schema, const std::string& path, std::vector<std::string>& problems) {
  if (schema.is_boolean()) return;
  if (!schema.is_object()) {
    problem(problems, path, "a schema must be an object or a boolean");
    return;
  }
  check_keywords(schema, path, problems);
  if (const auto it = schema.find("properties"); it != schema.end()) {
    if (!it->is_object()) {
      problem(problems, child_path(path, "properties"), "must be an object");
    } else {
      for (const auto& [key, child] : it->items()) {
        check_schema_at(child, child_path(child_path(path, "properties"), key), problems);
      }
    }
  }
  if (const auto it = schema.find("additionalProperties"); it != schema.end()) {
    check_schema_at(*it, child_path(path, "additionalProperties"), problems);
  }
  if (const auto it = schema.find("items"); it != schema.end()) {
    if (it->is_array()) {
      problem(problems, child_path(path, "items"), "must be a schema (the array form, prefixItems, is not supported)");
    } else {
      check_schema_at(*it, child_path(path, "items"), problems);
    }
  }
}

}  // namespace

std::vector<SchemaViolation> validate_json(const nlohmann::json& schema, const nlohmann::json& value) {
  Validator validator;
  validator.validate(schema, value, "");
  return validator.take();
}

void require_valid(const nlohmann::json& schema, const nlohmann::json& value) {
  const std::vector<SchemaViolation> violations = validate_json(schema, value);
  if (violations.empty()) return;
  json fields = json::object();
  for (const SchemaViolation& violation : violations) {
    const std::string field = violation.path.empty() ? "(root)" : violation.path.substr(1);
    if (fields.contains(field)) {
      fields[field] = fields[field].get<std::string>() + "; " + violation.message;
    } else {
      fields[field] = violation.message;
    }
  }
  throw validation_error("input does not match the schema", std::move(fields));
}

nlohmann::json violation_fields(const std::vector<SchemaViolation>& violations, std::string_view prefix) {
  json fields = json::object();
  for (const SchemaViolation& violation : violations) {
    std::string field(prefix);
    for (std::size_t i = 0; i < violation.path.size(); ++i) {
      const char c = violation.path[i];
      if (c == '/') {
        if (!field.empty()) field += '.';
      } else if (c == '~' && i + 1 < violation.path.size()) {
        field += violation.path[++i] == '1' ? '/' : '~';
      } else {
        field += c;
      }
    }
    if (field.empty()) field = "(root)";
    auto& slot = fields[field];
    slot = slot.is_string() ? json(slot.get<std::string>() + "; " + violation.message) : json(violation.message);
  }
  return fields;
}

std::vector<std::string> check_schema(const nlohmann::json& schema) {
  std::vector<std::string> problems;
  check_schema_at(schema, "", problems);
  return problems;
}

nlohmann::json apply_defaults(const nlohmann::json& schema, nlohmann::json value) {
  if (!schema.is_object()) return value;
  if (value.is_object()) {
    const auto properties = schema.find("properties");
    if (properties == schema.end() || !properties->is_object()) return value;
    for (const auto& [key, child_schema] : properties->items()) {
      if (!child_schema.is_object()) continue;
      if (const auto existing = value.find(key); existing != value.end()) {
        *existing = apply_defaults(child_schema, std::move(*existing));
      } else if (const auto fallback = child_schema.find("default"); fallback != child_schema.end()) {
        value[key] = apply_defaults(child_schema, *fallback);
      }
    }
  } else if (value.is_array()) {
    const auto items = schema.find("items");
    if (items == schema.end()) return value;
    for (json& element : value) element = apply_defaults(*items, std::move(element));
  }
  return value;
}

}  // namespace tyto
