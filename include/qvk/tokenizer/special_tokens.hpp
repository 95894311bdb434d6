// qvk/tokenizer/special_tokens.hpp — finds special tokens in text before BPE.
//
// Text is first cut at occurrences of the vocabulary's special tokens; only
// the pieces between them go through the pre-tokenizer and BPE. Which tokens
// count: CONTROL ones (<|im_start|>, <|endoftext|>, ...) only when the caller
// asks for special parsing; USER_DEFINED ones (<think>, </think>,
// <tool_call>, ...) always — the tokenizer.json "added tokens" rule that
// llama.cpp follows too, so "<think>" typed by a user is one token.
//
// Where occurrences overlap, the rule is llama.cpp's: tokens are taken
// longest first (ties: lower id first), each one at every place, left to
// right, where it lies wholly inside text no earlier token has claimed.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <iterator>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace qvk::tokenizer {

// A piece of the input: a special token, or raw text [begin, end) when
// token < 0.
struct TextPiece {
  std::size_t begin = 0, end = 0;
  std::int32_t token = -1;
};

class SpecialTokenMatcher {
 public:
  struct Entry {
    std::string text;
    std::int32_t id = -1;
    bool needs_parse_special = true;  // CONTROL/UNKNOWN: only with parse_special
  };

  SpecialTokenMatcher() = default;
  explicit SpecialTokenMatcher(std::vector<Entry> entries);

  // Cuts `text` into pieces in text order (raw pieces are never empty).
  void partition(std::string_view text, bool parse_special, std::vector<TextPiece>& out) const;

  const std::vector<Entry>& entries() const { return entries_; }  // in priority order

 private:
  std::vector<Entry> entries_;
  std::vector<unsigned char> first_bytes_;
  std::array<std::vector<std::uint32_t>, 256> by_first_byte_;  // indices into entries_
};

// ---- implementation --------------------------------------------------------

inline SpecialTokenMatcher::SpecialTokenMatcher(std::vector<Entry> entries) : entries_(std::move(entries)) {
  std::erase_if(entries_, [](const Entry& e) { return e.text.empty(); });
  std::sort(entries_.begin(), entries_.end(), [](const Entry& a, const Entry& b) {
    return a.text.size() != b.text.size() ? a.text.size() > b.text.size() : a.id < b.id;
  });
  for (std::uint32_t k = 0; k < entries_.size(); ++k) {
    const auto b = static_cast<unsigned char>(entries_[k].text[0]);
    if (by_first_byte_[b].empty()) first_bytes_.push_back(b);
    by_first_byte_[b].push_back(k);
  }
}

inline void SpecialTokenMatcher::partition(std::string_view text, bool parse_special,
                                           std::vector<TextPiece>& out) const {
  // Every occurrence of every eligible token: (priority, position).
  std::vector<std::pair<std::uint32_t, std::size_t>> found;
  for (const unsigned char b : first_bytes_) {
    const char* base = text.data();
    for (std::size_t p = 0; p < text.size();) {
      const void* hit = std::memchr(base + p, b, text.size() - p);
      if (hit == nullptr) break;
      p = static_cast<std::size_t>(static_cast<const char*>(hit) - base);
      for (const std::uint32_t k : by_first_byte_[b]) {
        const Entry& e = entries_[k];
        if ((parse_special || !e.needs_parse_special) && text.substr(p).starts_with(e.text)) found.emplace_back(k, p);
      }
      ++p;
    }
  }
  if (found.empty()) {
    if (!text.empty()) out.push_back({0, text.size(), -1});
    return;
  }
  std::sort(found.begin(), found.end());
  std::map<std::size_t, std::pair<std::size_t, std::int32_t>> claimed;  // begin -> (end, token)
  for (const auto& [k, p] : found) {
    const std::size_t end = p + entries_[k].text.size();
    auto next = claimed.lower_bound(p);
    if (next != claimed.end() && next->first < end) continue;
    if (next != claimed.begin() && std::prev(next)->second.first > p) continue;
    claimed.emplace_hint(next, p, std::pair{end, entries_[k].id});
  }
  std::size_t at = 0;
  for (const auto& [begin, rest] : claimed) {
    if (begin > at) out.push_back({at, begin, -1});
    out.push_back({begin, rest.first, rest.second});
    at = rest.first;
  }
  if (at < text.size()) out.push_back({at, text.size(), -1});
}

}  // namespace qvk::tokenizer
