// qvk/numerics/reduce.hpp — the canonical order of every floating-point sum.
//
// A reduction over n terms is defined over a fixed number of logical lanes L (a
// power of two, part of the op's plan): lane l accumulates terms l, l+L, l+2L, …
// in increasing order starting from +0, then lanes combine in a fixed pairwise
// tree: for s = L/2, L/4, …, 1: lane[i] = lane[i] + lane[i+s] for i < s. The
// result is lane[0]. Physical threads, workgroup and subgroup sizes only choose
// who computes which lane; they never change this order, so the bits do not
// depend on the device. Every add is numerics::add (rounded, then flushed).
#pragma once

#include <array>
#include <cstddef>

#include "qvk/numerics/flush.hpp"

namespace qvk::numerics {

template <std::size_t L>
inline float tree_reduce(std::array<float, L>& lanes) {
  static_assert(L > 0 && (L & (L - 1)) == 0, "lane count must be a power of two");
  for (std::size_t s = L / 2; s >= 1; s /= 2)
    for (std::size_t i = 0; i < s; ++i) lanes[i] = add(lanes[i], lanes[i + s]);
  return lanes[0];
}

// Σ term(i) for i in [0, n) in the canonical order over L lanes.
template <std::size_t L, class Term>
inline float strided_sum(std::size_t n, Term&& term) {
  std::array<float, L> lanes{};
  std::size_t i = 0;
  for (; i + L <= n; i += L)
    for (std::size_t l = 0; l < L; ++l) lanes[l] = add(lanes[l], term(i + l));
  for (std::size_t l = 0; i + l < n; ++l) lanes[l] = add(lanes[l], term(i + l));
  return tree_reduce<L>(lanes);
}

}  // namespace qvk::numerics
