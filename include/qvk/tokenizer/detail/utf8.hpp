// qvk/tokenizer/detail/utf8.hpp — strict UTF-8 scanning and encoding.
//
// "Well-formed" is Unicode's Table 3-7: no overlong forms, no surrogates,
// nothing above U+10FFFF. The scanner reports how far a sequence is valid so
// that the stream decoder can tell "incomplete, wait for more bytes" from
// "ill-formed, replace now".
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace qvk::tokenizer::detail {

inline constexpr char32_t kReplacementChar = 0xFFFD;

struct Utf8Scan {
  // Bytes of the longest prefix at the start that a well-formed sequence may
  // begin with (0: the first byte cannot start any sequence).
  std::size_t valid = 0;
  // True when those `valid` bytes are a whole sequence.
  bool complete = false;
  char32_t cp = 0;  // the code point when complete
};

// Scans the sequence starting at s[0] (at most its 4 bytes).
inline Utf8Scan scan_utf8(std::string_view s) {
  const auto at = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char b0 = at(0);
  if (b0 < 0x80) return {1, true, b0};
  std::size_t need = 0;
  unsigned char lo = 0x80, hi = 0xBF;  // allowed range of the second byte
  char32_t cp = 0;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    need = 2, cp = b0 & 0x1Fu;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    need = 3, cp = b0 & 0x0Fu;
    if (b0 == 0xE0) lo = 0xA0;  // overlong
    if (b0 == 0xED) hi = 0x9F;  // surrogates
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    need = 4, cp = b0 & 0x07u;
    if (b0 == 0xF0) lo = 0x90;  // overlong
    if (b0 == 0xF4) hi = 0x8F;  // above U+10FFFF
  } else {
    return {};
  }
  std::size_t k = 1;
  for (; k < need && k < s.size(); ++k) {
    const unsigned char b = at(k);
    const unsigned char l = k == 1 ? lo : 0x80, h = k == 1 ? hi : 0xBF;
    if (b < l || b > h) return {k, false, 0};
    cp = (cp << 6) | (b & 0x3Fu);
  }
  if (k < need) return {k, false, 0};
  return {need, true, cp};
}

inline bool is_valid_utf8(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    if (static_cast<unsigned char>(s[i]) < 0x80) {
      ++i;
      continue;
    }
    const Utf8Scan sc = scan_utf8(s.substr(i));
    if (!sc.complete) return false;
    i += sc.valid;
  }
  return true;
}

inline void append_utf8(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

// The text with every byte of an ill-formed sequence replaced by U+FFFD —
// what llama.cpp's tokenizer does with invalid input (one replacement per
// byte), so encoding such text gives the same ids as llama.cpp wherever both
// call the bytes ill-formed. (llama.cpp also passes overlong forms and
// surrogates through as code points; qvk replaces them too.)
inline std::string replace_ill_formed(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 8);
  for (std::size_t i = 0; i < s.size();) {
    const Utf8Scan sc = scan_utf8(s.substr(i));
    if (sc.complete) {
      out.append(s.substr(i, sc.valid));
      i += sc.valid;
    } else {
      append_utf8(out, kReplacementChar);
      ++i;
    }
  }
  return out;
}

}  // namespace qvk::tokenizer::detail
