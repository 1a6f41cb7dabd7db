// JSON text from outside the process (request bodies, token payloads, WebSocket messages) through
// tyto::parse_json_text with the default depth limit. Asserts: it never throws; json_nesting_depth
// counts what the parser builds and its early stop is consistent; a value it returns nests no deeper
// than the limit, dumps without throwing, and reparses equal.
#include "fuzz_check.hpp"
#include "tyto/core/json_text.hpp"

#include <algorithm>
#include <utility>
#include <vector>

namespace {

using nlohmann::json;

// Nesting depth of a built value, without recursion (the point of the limit is that recursion can fail).
std::size_t value_depth(const json& root) {
  std::size_t deepest = 0;
  std::vector<std::pair<const json*, std::size_t>> stack{{&root, 0}};
  while (!stack.empty()) {
    const auto [value, above] = stack.back();
    stack.pop_back();
    if (!value->is_structured()) continue;
    deepest = std::max(deepest, above + 1);
    for (const auto& child : *value) stack.emplace_back(&child, above + 1);
  }
  return deepest;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text = tyto::fuzz::as_text(data, size);
  constexpr std::size_t kLimit = tyto::kDefaultJsonDepth;

  const std::size_t counted = tyto::json_nesting_depth(text, kLimit);
  FUZZ_CHECK(counted <= kLimit + 1);
  for (const std::size_t stop : {std::size_t{0}, std::size_t{3}, std::size_t{17}}) {
    FUZZ_CHECK(tyto::json_nesting_depth(text, stop) == std::min(counted, stop + 1));
  }

  tyto::JsonTextError error;
  const auto value = tyto::parse_json_text(text, kLimit, &error);
  if (!value) {
    FUZZ_CHECK(!error.reason.empty());
    FUZZ_CHECK(error.byte <= size + 1);
    return 0;
  }
  FUZZ_CHECK(counted <= kLimit);
  FUZZ_CHECK(value_depth(*value) == counted);

  std::string dumped;
  try {
    dumped = value->dump();
  } catch (const json::exception& e) {
    std::fprintf(stderr, "dump threw: %s\n", e.what());
    FUZZ_CHECK(!"a parsed value dumps");
  }
  const auto again = tyto::parse_json_text(dumped, kLimit);
  FUZZ_CHECK(again.has_value());
  FUZZ_CHECK(*again == *value);
  FUZZ_CHECK(again->dump() == dumped);
  return 0;
}
