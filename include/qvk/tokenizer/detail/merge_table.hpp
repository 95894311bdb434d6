// qvk/tokenizer/detail/merge_table.hpp — (left id, right id) -> merge rank
// and the id of the merged token.
//
// BPE asks this table for every adjacent pair of every word it merges, so it
// is an open-addressing hash on the packed pair: one multiply, usually one
// probe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace qvk::tokenizer::detail {

struct Merge {
  std::int32_t rank = -1;    // -1: the pair never merges
  std::int32_t merged = -1;  // token id of left+right
};

class MergeTable {
 public:
  void reserve(std::size_t n_merges) {
    std::size_t cap = 16;
    while (cap < n_merges * 2) cap *= 2;
    slots_.assign(cap, Slot{});
    mask_ = cap - 1;
  }

  // Keeps the first (lowest) rank when a pair is listed twice, as
  // tokenizers do. Returns false when the pair was already present.
  bool insert(std::int32_t left, std::int32_t right, Merge m) {
    const std::uint64_t key = pack(left, right);
    for (std::size_t s = hash(key) & mask_;; s = (s + 1) & mask_) {
      if (slots_[s].key == kEmpty) {
        slots_[s] = {key, m};
        return true;
      }
      if (slots_[s].key == key) return false;
    }
  }

  Merge find(std::int32_t left, std::int32_t right) const {
    const std::uint64_t key = pack(left, right);
    for (std::size_t s = hash(key) & mask_;; s = (s + 1) & mask_) {
      if (slots_[s].key == key) return slots_[s].merge;
      if (slots_[s].key == kEmpty) return {};
    }
  }

 private:
  static constexpr std::uint64_t kEmpty = ~std::uint64_t{0};
  struct Slot {
    std::uint64_t key = kEmpty;
    Merge merge;
  };
  static std::uint64_t pack(std::int32_t l, std::int32_t r) {
    return (static_cast<std::uint64_t>(static_cast<std::uint32_t>(l)) << 32) | static_cast<std::uint32_t>(r);
  }
  static std::size_t hash(std::uint64_t k) {
    return static_cast<std::size_t>((k * 0x9E3779B97F4A7C15ull) >> 20);
  }

  std::vector<Slot> slots_;
  std::size_t mask_ = 0;
};

}  // namespace qvk::tokenizer::detail
