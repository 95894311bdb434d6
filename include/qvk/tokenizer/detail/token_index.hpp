// qvk/tokenizer/detail/token_index.hpp — token text -> id, without copies.
//
// Open addressing over ids; a probe compares against the text the owner
// keeps (the table stores no strings), so the index stays valid when its
// owner moves.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string_view>
#include <vector>

namespace qvk::tokenizer::detail {

class TokenIndex {
 public:
  void reserve(std::size_t n_tokens) {
    std::size_t cap = 16;
    while (cap < n_tokens * 2) cap *= 2;
    slots_.assign(cap, -1);
    mask_ = cap - 1;
  }

  // text_of(id) returns the text of token `id`, for every id inserted.
  // Inserts id under `text`; returns the id already there if the text is taken.
  template <class TextOf>
  std::int32_t insert(std::string_view text, std::int32_t id, TextOf&& text_of) {
    for (std::size_t s = hash(text) & mask_;; s = (s + 1) & mask_) {
      if (slots_[s] < 0) {
        slots_[s] = id;
        return id;
      }
      if (text_of(slots_[s]) == text) return slots_[s];
    }
  }

  template <class TextOf>
  std::int32_t find(std::string_view text, TextOf&& text_of) const {
    if (slots_.empty()) return -1;
    for (std::size_t s = hash(text) & mask_;; s = (s + 1) & mask_) {
      if (slots_[s] < 0) return -1;
      if (text_of(slots_[s]) == text) return slots_[s];
    }
  }

 private:
  static std::size_t hash(std::string_view s) { return std::hash<std::string_view>{}(s); }

  std::vector<std::int32_t> slots_;
  std::size_t mask_ = 0;
};

}  // namespace qvk::tokenizer::detail
