// qvk/runtime/sampler_candidates.hpp — how logits become an ordered candidate
// list: the sanitizing rule, the total order, greedy argmax and top-k.
//
// Sanitizing (applied wherever a logit is read, so it is the same on every
// device): NaN -> -inf (such a token is never drawn while any logit is above
// -inf); +inf -> FLT_MAX (so "max - logit" stays finite and several +inf tokens
// share the mass); |z| <= FLT_MIN -> +0 (the tiny-value rule, and -0 -> +0 so
// the order can also be taken on integer keys).
//
// Candidate order: logit descending, ties by token id ascending. It is a total
// order on sanitized logits, so every selection or sort algorithm on every
// device yields the same list.
#pragma once

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <vector>

#include "qvk/numerics/flush.hpp"

namespace qvk::runtime {

struct Candidate {
  float logit;  // sanitized
  std::int32_t id;
};

inline float sanitize_logit(float z) {
  const std::uint32_t b = std::bit_cast<std::uint32_t>(z);
  const std::uint32_t mag = b & 0x7fffffffu;
  if (mag > 0x7f800000u) return -std::numeric_limits<float>::infinity();
  if (b == 0x7f800000u) return std::numeric_limits<float>::max();
  if (mag <= numerics::kFltMinBits) return 0.0f;
  return z;
}

// True when a comes before b in the candidate order.
inline bool precedes(const Candidate& a, const Candidate& b) {
  return a.logit > b.logit || (a.logit == b.logit && a.id < b.id);
}

namespace detail {
// A function object, so the sort and heap calls inline the comparison.
struct Precedes {
  bool operator()(const Candidate& a, const Candidate& b) const { return precedes(a, b); }
};
}  // namespace detail

// The first token in the candidate order: the largest sanitized logit, ties to
// the lowest id (all NaN / -inf: token 0). Requires a non-empty span.
inline std::int32_t greedy_token(std::span<const float> logits) {
  std::int32_t best = 0;
  float best_z = sanitize_logit(logits[0]);
  for (std::size_t i = 1; i < logits.size(); ++i) {
    const float z = sanitize_logit(logits[i]);
    if (z > best_z) {
      best_z = z;
      best = static_cast<std::int32_t>(i);
    }
  }
  return best;
}

namespace detail {

// A sanitized logit's rank key: ascending key = descending logit. The float bits
// mapped monotonically to uint (negatives reversed below positives), then
// inverted. Sanitized logits hold no NaN and no -0, so equal keys <-> equal logits.
inline std::uint32_t descending_key(float z) {
  const std::uint32_t b = std::bit_cast<std::uint32_t>(z);
  return ~((b & 0x80000000u) != 0 ? ~b : (b | 0x80000000u));
}
inline float logit_of_key(std::uint32_t key) {
  const std::uint32_t o = ~key;
  return std::bit_cast<float>((o & 0x80000000u) != 0 ? (o & 0x7fffffffu) : ~o);
}

// Every logit in candidate order: a stable LSD radix sort (4 passes of 8 bits)
// of (key, id) words on the key. Ids enter ascending and a stable sort keeps
// equal keys in entry order, so ties come out by id ascending: the candidate
// order exactly, in O(n) (the vocabulary's std::sort took ~14 ms of a token).
inline void sort_all_candidates(std::span<const float> logits, std::vector<Candidate>& out) {
  const std::size_t n = logits.size();
  std::vector<std::uint64_t> a(n), b(n);
  for (std::size_t i = 0; i < n; ++i)
    a[i] = (std::uint64_t(descending_key(sanitize_logit(logits[i]))) << 32) | std::uint64_t(i);
  for (int shift = 32; shift < 64; shift += 8) {
    std::size_t count[257] = {};
    for (const std::uint64_t w : a) ++count[((w >> shift) & 0xffu) + 1];
    if (count[((a[0] >> shift) & 0xffu) + 1] == n) continue;  // one digit everywhere: nothing moves
    for (int d = 0; d < 256; ++d) count[d + 1] += count[d];
    for (const std::uint64_t w : a) b[count[(w >> shift) & 0xffu]++] = w;
    a.swap(b);
  }
  out.resize(n);
  for (std::size_t i = 0; i < n; ++i)
    out[i] = {logit_of_key(std::uint32_t(a[i] >> 32)), static_cast<std::int32_t>(a[i] & 0xffffffffu)};
}

}  // namespace detail

// The first min(top_k, n) candidates in candidate order (top_k = 0: all n),
// written to `out`. For top_k > 0 a bounded heap scans the logits once
// (O(n log k)); top_k = 0 (or >= n) radix-sorts the whole vocabulary.
inline void gather_candidates(std::span<const float> logits, std::size_t top_k, std::vector<Candidate>& out) {
  const std::size_t n = logits.size();
  out.clear();
  if (top_k == 0 || top_k >= n) {
    if (n > 0) detail::sort_all_candidates(logits, out);
    return;
  }
  // Max-heap under `precedes`: front() is the worst kept candidate. Ids arrive
  // in increasing order, so a newcomer displaces the worst only when its logit
  // is strictly larger (on a tie the kept one has the lower id).
  out.reserve(top_k);
  std::size_t i = 0;
  for (; i < top_k; ++i) {
    out.push_back({sanitize_logit(logits[i]), static_cast<std::int32_t>(i)});
    std::push_heap(out.begin(), out.end(), detail::Precedes{});
  }
  float worst = out.front().logit;
  for (; i < n; ++i) {
    const float z = sanitize_logit(logits[i]);
    if (z > worst) {
      std::pop_heap(out.begin(), out.end(), detail::Precedes{});
      out.back() = {z, static_cast<std::int32_t>(i)};
      std::push_heap(out.begin(), out.end(), detail::Precedes{});
      worst = out.front().logit;
    }
  }
  std::sort_heap(out.begin(), out.end(), detail::Precedes{});
}

}  // namespace qvk::runtime
