#include "tyto/core/json_text.hpp"

#include <fmt/format.h>

#include <set>
#include <vector>

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
  // A member name given twice is refused rather than resolved: parsers disagree on which copy wins (nlohmann keeps
  // the last, others the first), so a body a proxy or a signature check read one way could act another way here.
  // Names are tracked per open object; a key event always belongs to the innermost one.
  struct DuplicateName {
    std::string name;
  };
  std::vector<std::set<std::string>> open_objects;
  const nlohmann::json::parser_callback_t track = [&](int, nlohmann::json::parse_event_t event,
                                                      nlohmann::json& parsed) {
    using Event = nlohmann::json::parse_event_t;
    if (event == Event::object_start) {
      open_objects.emplace_back();
    } else if (event == Event::object_end) {
      open_objects.pop_back();
    } else if (event == Event::key && !open_objects.back().insert(parsed.get<std::string>()).second) {
      throw DuplicateName{parsed.get<std::string>()};
    }
    return true;
  };
  try {
    return nlohmann::json::parse(text, track);
  } catch (const DuplicateName& duplicate) {
    return fail(fmt::format("member name \"{}\" appears twice in one object", duplicate.name), 0);
  } catch (const nlohmann::json::parse_error& e) {
    return fail("syntax error", e.byte);
  } catch (const nlohmann::json::out_of_range&) {
    return fail("a number is out of range", 0);  // 1e400 and the like
  } catch (const nlohmann::json::exception&) {
    return fail("not valid JSON", 0);
  }
}

}  // namespace tyto
