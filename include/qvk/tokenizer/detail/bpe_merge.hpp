// qvk/tokenizer/detail/bpe_merge.hpp — the BPE merge loop over one word.
//
// A word starts as one symbol per byte (its byte token). Repeatedly, the
// adjacent pair with the lowest merge rank is replaced by its merged token;
// among equal ranks the leftmost pair goes first. Two equivalent loops:
//  - short words: an array of pair ranks, scanned for the minimum each step
//    (few symbols, so a scan beats any heap);
//  - long words (runs of CJK, spaces, base64...): a linked list of symbols
//    and a min-heap of candidate pairs keyed (rank, left position); entries
//    made stale by a merge are skipped when popped.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

#include "qvk/tokenizer/detail/merge_table.hpp"

namespace qvk::tokenizer::detail {

inline constexpr std::size_t kShortWordSymbols = 48;

struct BpeScratch {
  std::vector<Merge> pairs;  // short: pairs[i] merges ids[i], ids[i+1]
  struct Node {
    std::int32_t id, prev, next;
  };
  std::vector<Node> nodes;
  struct Candidate {
    std::int32_t rank, left, right, left_id, right_id, merged;
  };
  std::vector<Candidate> heap;
};

// Merges `ids` in place with the array scan.
inline void bpe_merge_short(std::vector<std::int32_t>& ids, const MergeTable& table, BpeScratch& s) {
  std::size_t n = ids.size();
  if (n < 2) return;
  s.pairs.resize(n - 1);
  for (std::size_t i = 0; i + 1 < n; ++i) s.pairs[i] = table.find(ids[i], ids[i + 1]);
  for (;;) {
    std::size_t best = n;
    std::int32_t best_rank = std::numeric_limits<std::int32_t>::max();
    for (std::size_t i = 0; i + 1 < n; ++i) {
      const std::int32_t r = s.pairs[i].rank;
      if (r >= 0 && r < best_rank) best_rank = r, best = i;
    }
    if (best == n) break;
    ids[best] = s.pairs[best].merged;
    ids.erase(ids.begin() + static_cast<std::ptrdiff_t>(best) + 1);
    s.pairs.erase(s.pairs.begin() + static_cast<std::ptrdiff_t>(best));
    --n;
    if (best > 0) s.pairs[best - 1] = table.find(ids[best - 1], ids[best]);
    if (best + 1 < n) s.pairs[best] = table.find(ids[best], ids[best + 1]);
  }
}

// Merges `ids` in place with the linked list and heap.
inline void bpe_merge_long(std::vector<std::int32_t>& ids, const MergeTable& table, BpeScratch& s) {
  const auto n = static_cast<std::int32_t>(ids.size());
  if (n < 2) return;
  s.nodes.resize(static_cast<std::size_t>(n));
  for (std::int32_t i = 0; i < n; ++i) s.nodes[i] = {ids[i], i - 1, i + 1 < n ? i + 1 : -1};
  // std heap functions build a max-heap; "greater" puts the lowest (rank, left) on top.
  const auto later = [](const BpeScratch::Candidate& a, const BpeScratch::Candidate& b) {
    return a.rank != b.rank ? a.rank > b.rank : a.left > b.left;
  };
  s.heap.clear();
  const auto offer = [&](std::int32_t left, std::int32_t right) {
    if (left < 0 || right < 0) return;
    const Merge m = table.find(s.nodes[left].id, s.nodes[right].id);
    if (m.rank < 0) return;
    s.heap.push_back({m.rank, left, right, s.nodes[left].id, s.nodes[right].id, m.merged});
    std::push_heap(s.heap.begin(), s.heap.end(), later);
  };
  for (std::int32_t i = 0; i + 1 < n; ++i) offer(i, i + 1);
  while (!s.heap.empty()) {
    std::pop_heap(s.heap.begin(), s.heap.end(), later);
    const BpeScratch::Candidate c = s.heap.back();
    s.heap.pop_back();
    BpeScratch::Node& l = s.nodes[c.left];
    BpeScratch::Node& r = s.nodes[c.right];
    // Still the same two symbols side by side? (A merged-away symbol has id -1.)
    if (l.id != c.left_id || l.next != c.right || r.id != c.right_id) continue;
    l.id = c.merged;
    l.next = r.next;
    if (r.next >= 0) s.nodes[r.next].prev = c.left;
    r.id = -1;
    offer(l.prev, c.left);
    offer(c.left, l.next);
  }
  ids.clear();
  for (std::int32_t i = 0; i >= 0; i = s.nodes[i].next) ids.push_back(s.nodes[i].id);
}

inline void bpe_merge(std::vector<std::int32_t>& ids, const MergeTable& table, BpeScratch& s) {
  if (ids.size() <= kShortWordSymbols)
    bpe_merge_short(ids, table, s);
  else
    bpe_merge_long(ids, table, s);
}

}  // namespace qvk::tokenizer::detail
