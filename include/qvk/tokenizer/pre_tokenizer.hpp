// qvk/tokenizer/pre_tokenizer.hpp — splits text into the words BPE runs on.
//
// Qwen's tokenizer.json splits with this regex (`qwen2`):
//
//   (?i:'s|'t|'re|'ve|'m|'ll|'d) | [^\r\n\p{L}\p{N}]?\p{L}+ | \p{N}
//   | ?[^\s\p{L}\p{N}]+[\r\n]* | \s*[\r\n]+ | \s+(?!\S) | \s+
//
// and `qwen35` (Qwen3.5) lets letter runs absorb combining marks:
// [^\r\n\p{L}\p{N}]?[\p{L}\p{M}]+ and  ?[^\s\p{L}\p{M}\p{N}]+[\r\n]*.
//
// A regex engine is far too slow for this (and std::regex has no \p{..}), so
// the split is a hand-written scan over code points that tries the
// alternatives in order at each position, exactly as the leftmost-first regex
// would. \s is Unicode White_Space. Code points are classified with the
// generated tables of detail/unicode_ranges.hpp (Unicode 15.1, as llama.cpp).
//
// The input must be well-formed UTF-8 (the tokenizer replaces ill-formed bytes
// before splitting); every word is a non-empty slice of it and the words tile
// the input.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "qvk/tokenizer/detail/codepoint_flags.hpp"
#include "qvk/tokenizer/detail/utf8.hpp"

namespace qvk::tokenizer {

enum class PreTokenizer { kQwen2, kQwen35 };

inline std::string_view pre_tokenizer_name(PreTokenizer p) {
  return p == PreTokenizer::kQwen35 ? "qwen35" : "qwen2";
}

// The `tokenizer.ggml.pre` names llama.cpp maps onto these two splits.
inline std::optional<PreTokenizer> pre_tokenizer_from_name(std::string_view name) {
  if (name == "qwen2" || name == "deepseek-r1-qwen") return PreTokenizer::kQwen2;
  if (name == "qwen35") return PreTokenizer::kQwen35;
  return std::nullopt;
}

// Finds word ends one at a time, reading code points straight from the
// text (no per-call arrays: encoding streams words into BPE).
class WordSplitter {
 public:
  explicit WordSplitter(PreTokenizer pre) : pre_(pre) {}

  // Byte offset one past the word that starts at byte `begin` (< text.size())
  // of `text` (well-formed UTF-8).
  std::size_t word_end(std::string_view text, std::size_t begin) const;

  // Appends all words of `text` to `words`.
  void split(std::string_view text, std::vector<std::string_view>& words) const {
    for (std::size_t i = 0; i < text.size();) {
      const std::size_t end = word_end(text, i);
      words.push_back(text.substr(i, end - i));
      i = end;
    }
  }

 private:
  PreTokenizer pre_;
};

inline std::vector<std::string_view> split_words(std::string_view text, PreTokenizer pre) {
  std::vector<std::string_view> words;
  WordSplitter(pre).split(text, words);
  return words;
}

// ---- implementation --------------------------------------------------------

namespace detail {

struct CodepointAt {
  char32_t cp;
  std::uint32_t len;  // bytes
  std::uint8_t flags;
};

inline constexpr std::array<std::uint8_t, 128> kAsciiFlags = [] {
  std::array<std::uint8_t, 128> t{};
  for (int c = 0; c < 128; ++c) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) t[c] = kLetter;
    if (c >= '0' && c <= '9') t[c] = kNumber;
    if ((c >= '\t' && c <= '\r') || c == ' ') t[c] = kSpace;
  }
  return t;
}();

// The code point at byte i (< text.size()). Ill-formed bytes cannot reach
// here through the tokenizer; a direct caller gets each as one U+FFFD.
inline CodepointAt codepoint_at(std::string_view text, std::size_t i) {
  const auto b = static_cast<unsigned char>(text[i]);
  if (b < 0x80) return {b, 1, kAsciiFlags[b]};
  const Utf8Scan sc = scan_utf8(text.substr(i));
  if (!sc.complete) return {kReplacementChar, 1, codepoint_flags(kReplacementChar)};
  return {sc.cp, static_cast<std::uint32_t>(sc.valid), codepoint_flags(sc.cp)};
}

}  // namespace detail

inline std::size_t WordSplitter::word_end(std::string_view text, std::size_t i) const {
  using namespace detail;
  const std::size_t n = text.size();
  const CodepointAt c = codepoint_at(text, i);
  const std::size_t i1 = i + c.len;  // where the next code point starts
  const auto lower = [](char32_t x) { return (x >= 'A' && x <= 'Z') ? x + ('a' - 'A') : x; };
  const auto is_newline = [](char32_t x) { return x == '\r' || x == '\n'; };
  // Letter runs of qwen35 take marks too; its punctuation class excludes them.
  const std::uint8_t word_class = pre_ == PreTokenizer::kQwen35 ? (kLetter | kMark) : kLetter;
  const std::uint8_t not_other = kSpace | kNumber | word_class;

  // (?i:'s|'t|'re|'ve|'m|'ll|'d) — only ASCII capitals lowercase onto these
  // letters (checked by the table generator).
  if (c.cp == '\'' && i1 < n) {
    const CodepointAt c1 = codepoint_at(text, i1);
    const char32_t l1 = lower(c1.cp);
    if (l1 == 's' || l1 == 't' || l1 == 'm' || l1 == 'd') return i1 + c1.len;
    if (i1 + c1.len < n) {
      const CodepointAt c2 = codepoint_at(text, i1 + c1.len);
      const char32_t l2 = lower(c2.cp);
      if ((l1 == 'r' && l2 == 'e') || (l1 == 'v' && l2 == 'e') || (l1 == 'l' && l2 == 'l'))
        return i1 + c1.len + c2.len;
    }
  }
  // Moves j past code points whose flags satisfy `keep`.
  const auto run = [&](std::size_t j, auto keep) {
    while (j < n) {
      const CodepointAt x = codepoint_at(text, j);
      if (!keep(x)) break;
      j += x.len;
    }
    return j;
  };
  // [^\r\n\p{L}\p{N}]?\p{L}+ : a letter run, optionally led by one code
  // point that is neither a newline nor a number (a letter leads itself).
  if (!is_newline(c.cp) && !(c.flags & kNumber)) {
    if ((c.flags & word_class) || (i1 < n && (codepoint_at(text, i1).flags & word_class)))
      return run(i1, [&](const CodepointAt& x) { return (x.flags & word_class) != 0; });
  }
  // \p{N} : one digit at a time
  if (c.flags & kNumber) return i1;
  // ' ?[^\s\p{L}\p{N}]+[\r\n]*' : a punctuation run, optionally led by one
  // space and trailed by newlines.
  {
    const std::size_t j = c.cp == ' ' ? i1 : i;
    if (j < n && !(codepoint_at(text, j).flags & not_other)) {
      const std::size_t k = run(j, [&](const CodepointAt& x) { return !(x.flags & not_other); });
      return run(k, [&](const CodepointAt& x) { return is_newline(x.cp); });
    }
  }
  // What is left starts with white space.
  std::size_t j = i, last_start = i, after_last_newline = 0, count = 0;
  while (j < n) {
    const CodepointAt x = codepoint_at(text, j);
    if (!(x.flags & kSpace)) break;
    if (is_newline(x.cp)) after_last_newline = j + x.len;
    last_start = j;
    j += x.len;
    ++count;
  }
  if (after_last_newline != 0) return after_last_newline;  // \s*[\r\n]+
  if (count > 1 && j < n) return last_start;  // \s+(?!\S): leave the last space to lead the next word
  if (count > 0) return j;                    // \s+
  return i1;  // unreachable for well-formed text: every code point matches some alternative
}

}  // namespace qvk::tokenizer
