// qvk/tokenizer/detail/codepoint_flags.hpp — the Unicode classes the Qwen
// pre-tokenizers ask about: \p{L}, \p{N}, \p{M} and \s (White_Space).
//
// The Basic Multilingual Plane — nearly every code point real text uses — is
// answered from a 64 KiB table built once from the generated ranges; code
// points above it by binary search in the ranges.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <memory>
#include <span>

#include "qvk/tokenizer/detail/unicode_ranges.hpp"

namespace qvk::tokenizer::detail {

inline constexpr std::uint8_t kLetter = 1;
inline constexpr std::uint8_t kNumber = 2;
inline constexpr std::uint8_t kMark = 4;
inline constexpr std::uint8_t kSpace = 8;

inline bool in_ranges(std::span<const CodepointRange> ranges, char32_t cp) {
  const auto it = std::upper_bound(ranges.begin(), ranges.end(), cp,
                                   [](char32_t c, const CodepointRange& r) { return c < r.first; });
  return it != ranges.begin() && cp <= std::prev(it)->last;
}

inline std::uint8_t codepoint_flags_slow(char32_t cp) {
  std::uint8_t f = 0;
  if (in_ranges(kLetterRanges, cp)) f |= kLetter;
  if (in_ranges(kNumberRanges, cp)) f |= kNumber;
  if (in_ranges(kMarkRanges, cp)) f |= kMark;
  if (in_ranges(kWhiteSpaceRanges, cp)) f |= kSpace;
  return f;
}

using BmpFlags = std::array<std::uint8_t, 0x10000>;

inline const BmpFlags& bmp_flags() {
  static const std::unique_ptr<const BmpFlags> table = [] {
    auto t = std::make_unique<BmpFlags>();
    t->fill(0);
    const auto mark = [&](std::span<const CodepointRange> ranges, std::uint8_t bit) {
      for (const CodepointRange& r : ranges)
        for (char32_t c = r.first; c <= r.last && c < 0x10000; ++c) (*t)[c] |= bit;
    };
    mark(kLetterRanges, kLetter);
    mark(kNumberRanges, kNumber);
    mark(kMarkRanges, kMark);
    mark(kWhiteSpaceRanges, kSpace);
    return t;
  }();
  return *table;
}

inline std::uint8_t codepoint_flags(char32_t cp) {
  return cp < 0x10000 ? bmp_flags()[cp] : codepoint_flags_slow(cp);
}

}  // namespace qvk::tokenizer::detail
