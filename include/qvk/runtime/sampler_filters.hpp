// qvk/runtime/sampler_filters.hpp — softmax weights, top-p, min-p and the
// weighted draw over an ordered candidate list, in the canonical arithmetic.
//
// Nothing here divides or normalizes. Weights are unnormalized softmax terms
// relative to the first (best) candidate, whose weight is exactly e^0 = 1:
//   unit weight         w1_i = exp(z_i - z_0)                (temperature 1)
//   temperature weight  w_i  = exp((z_i - z_0) * inv_temp)
// with every op numerics::sub/mul/exp (rounded, then flushed). A total is
// numerics::strided_sum over kSamplerLanes lanes of the weights in candidate
// order; a cumulative is the running numerics::add in candidate order, from +0.
// "p of the mass" is then "cumulative vs p * total" instead of "cumulative /
// total vs p". numerics::exp is not monotone at the 1-ulp level (it rises by one
// ulp at a few thousand points in [-88, 0]), so min-p is defined per candidate,
// not as a cut of the ordered list.
#pragma once

#include <cstddef>
#include <span>
#include <vector>

#include "qvk/numerics/exp.hpp"
#include "qvk/numerics/flush.hpp"
#include "qvk/numerics/reduce.hpp"
#include "qvk/runtime/sampler_candidates.hpp"

namespace qvk::runtime {

// Logical lanes of every sampler sum (numerics::strided_sum).
inline constexpr std::size_t kSamplerLanes = 32;

// w1_i = exp(z_i - z_0). Requires z_0 > -inf (else every difference is NaN).
inline void unit_weights(std::span<const Candidate> c, std::vector<float>& w) {
  w.resize(c.size());
  for (std::size_t i = 0; i < c.size(); ++i) w[i] = numerics::exp(numerics::sub(c[i].logit, c[0].logit));
}

// w_i = exp((z_i - z_0) * inv_temp). Requires z_0 > -inf.
inline void temperature_weights(std::span<const Candidate> c, float inv_temp, std::vector<float>& w) {
  w.resize(c.size());
  for (std::size_t i = 0; i < c.size(); ++i)
    w[i] = numerics::exp(numerics::mul(numerics::sub(c[i].logit, c[0].logit), inv_temp));
}

inline float total_weight(std::span<const float> w) {
  return numerics::strided_sum<kSamplerLanes>(w.size(), [&](std::size_t i) { return w[i]; });
}

// Top-p: the length of the smallest prefix whose cumulative weight is >= top_p *
// total (all of them if rounding keeps every cumulative below it). top_p >= 1 is
// "off" and keeps everything without summing.
inline std::size_t top_p_count(std::span<const float> w1, float top_p) {
  if (top_p >= 1.0f) return w1.size();
  const float threshold = numerics::mul(top_p, total_weight(w1));
  float cum = 0.0f;
  for (std::size_t i = 0; i < w1.size(); ++i) {
    cum = numerics::add(cum, w1[i]);
    if (cum >= threshold) return i + 1;
  }
  return w1.size();
}

// Min-p: keeps, in order, each candidate with w1_i >= min_p (that is
// p_i >= min_p * p_max without dividing; the first candidate always stays since
// w1_0 = 1). Compacts c and w1 in place and returns the new count.
inline std::size_t min_p_filter(std::span<Candidate> c, std::span<float> w1, float min_p) {
  std::size_t kept = 0;
  for (std::size_t i = 0; i < c.size(); ++i) {
    if (w1[i] >= min_p) {
      c[kept] = c[i];
      w1[kept] = w1[i];
      ++kept;
    }
  }
  return kept;
}

// The weighted draw: the first index whose cumulative weight exceeds u * total
// (u in [0, 1)). A zero weight never exceeds, so it is never drawn. The
// cumulative (sequential) and the total (lane tree) round differently, so the
// last cumulative can fall a few ulps short of u * total; then the last index
// with a positive weight is the answer. Requires w[0] > 0.
inline std::size_t select_index(std::span<const float> w, float u) {
  const float threshold = numerics::mul(u, total_weight(w));
  float cum = 0.0f;
  std::size_t last_positive = 0;
  for (std::size_t i = 0; i < w.size(); ++i) {
    cum = numerics::add(cum, w[i]);
    if (cum > threshold) return i;
    if (w[i] > 0.0f) last_positive = i;
  }
  return last_positive;
}

}  // namespace qvk::runtime
