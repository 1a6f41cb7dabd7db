#include "tyto/core/json_text.hpp"

#include <fmt/format.h>

namespace tyto {

std::size_t json_nesting_depth(std::string_view text, std::size_t stop_above) noexcept {
  std::size_t depth = 0;
  std::size_t deepest = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;  // the escaped character cannot end the string
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    switch (c) {
      case '"':
        in_string = true;
        break;
      case '[':
      case '{':
        if (++depth > deepest) {
          deepest = depth;
          if (deepest > stop_above) return deepest;
        }
        break;
      case ']':
      case '}':
        if (depth > 0) --depth;
        break;
      default:
        break;
    }
  }
  return deepest;
}

std::optional<nlohmann::json> parse_json_text(std::string_view text, std::size_t max_depth, JsonTextError* error) {
  auto fail = [&](std::string reason, std::size_t byte) -> std::optional<nlohmann::json> {
    if (error) *error = {std::move(reason), byte};
    return std::nullopt;
  };
  if (json_nesting_depth(text, max_depth) > max_depth) {
    return fail(fmt::format("nested deeper than {} levels", max_depth), 0);
  }
  // nlohmann stops at a NUL byte as if the text ended there, so "{}\0anything" would pass as {}. No JSON text
  // holds one (control characters in strings must be escaped).
  if (const auto nul = text.find('\0'); nul != std::string_view::npos) return fail("syntax error", nul + 1);
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    return fail("syntax error", e.byte);
  } catch (const nlohmann::json::out_of_range&) {
    return fail("a number is out of range", 0);  // 1e400 and the like
  } catch (const nlohmann::json::exception&) {
    return fail("not valid JSON", 0);
  }
}

}  // namespace tyto
