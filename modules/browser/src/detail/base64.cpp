#include "detail/base64.hpp"

#include <array>
#include <cstdint>

namespace tyto::browser::detail {
namespace {

constexpr std::string_view kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

constexpr std::array<std::int8_t, 256> decoding_table() {
  std::array<std::int8_t, 256> table{};
  for (auto& v : table) v = -1;
  for (std::size_t i = 0; i < kAlphabet.size(); ++i)
    table[static_cast<unsigned char>(kAlphabet[i])] = static_cast<std::int8_t>(i);
  return table;
}

}  // namespace

std::optional<std::string> base64_decode(std::string_view text) {
  static constexpr auto kTable = decoding_table();
  if (text.size() % 4 != 0) return std::nullopt;
  std::size_t padding = 0;
  while (padding < 2 && text.size() > padding && text[text.size() - 1 - padding] == '=') ++padding;
  std::string out;
  out.reserve(text.size() / 4 * 3);
  std::uint32_t bits = 0;
  int count = 0;
  for (std::size_t i = 0; i < text.size() - padding; ++i) {
    const std::int8_t v = kTable[static_cast<unsigned char>(text[i])];
    if (v < 0) return std::nullopt;
    bits = (bits << 6) | static_cast<std::uint32_t>(v);
    if (++count == 4) {
      out.push_back(static_cast<char>(bits >> 16));
      out.push_back(static_cast<char>(bits >> 8));
      out.push_back(static_cast<char>(bits));
      bits = 0;
      count = 0;
    }
  }
  if (count == 3) {
    out.push_back(static_cast<char>(bits >> 10));
    out.push_back(static_cast<char>(bits >> 2));
  } else if (count == 2) {
    out.push_back(static_cast<char>(bits >> 4));
  } else if (count == 1) {
    return std::nullopt;
  }
  return out;
}

std::pair<int, int> png_size(std::string_view png) {
  static constexpr std::string_view kSignature = "\x89PNG\r\n\x1a\n";
  if (png.size() < 24 || png.substr(0, 8) != kSignature || png.substr(12, 4) != "IHDR") return {0, 0};
  auto be32 = [&](std::size_t at) {
    return static_cast<int>((static_cast<std::uint8_t>(png[at]) << 24) |
                            (static_cast<std::uint8_t>(png[at + 1]) << 16) |
                            (static_cast<std::uint8_t>(png[at + 2]) << 8) | static_cast<std::uint8_t>(png[at + 3]));
  };
  return {be32(16), be32(20)};
}

}  // namespace tyto::browser::detail
