// qvk/tokenizer/detail/byte_unicode.hpp — GPT-2's byte <-> code point map.
//
// Byte-level BPE vocabularies store every token as text in which each byte is
// one printable code point: the 188 printable Latin-1 bytes stand for
// themselves and the other 68 (controls, space, 0x7F-0xA0, soft hyphen) are
// shifted, in byte order, to U+0100..U+0143. So " the" is stored as "Ġthe".
#pragma once

#include <array>
#include <cstdint>

namespace qvk::tokenizer::detail {

inline constexpr bool byte_stands_for_itself(int b) {
  return (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
}

// byte -> code point
inline constexpr std::array<char32_t, 256> kByteToCodepoint = [] {
  std::array<char32_t, 256> t{};
  char32_t next = 0x100;
  for (int b = 0; b < 256; ++b) t[b] = byte_stands_for_itself(b) ? static_cast<char32_t>(b) : next++;
  return t;
}();

inline constexpr char32_t kByteCodepointEnd = 0x100 + 68;  // one past the largest mapped code point

// code point -> byte, or -1 for code points that stand for no byte
inline constexpr std::array<std::int16_t, kByteCodepointEnd> kCodepointToByte = [] {
  std::array<std::int16_t, kByteCodepointEnd> t{};
  t.fill(-1);
  for (int b = 0; b < 256; ++b) t[kByteToCodepoint[b]] = static_cast<std::int16_t>(b);
  return t;
}();

static_assert(kByteToCodepoint[' '] == 0x120, "space is stored as U+0120 'Ġ'");
static_assert(kByteToCodepoint['\n'] == 0x10A, "newline is stored as U+010A 'Ċ'");

}  // namespace qvk::tokenizer::detail
