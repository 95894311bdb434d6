// qvk/runtime/sampler_penalty.hpp — the repetition penalty (llama.cpp's
// "repeat" penalty): every distinct token among the last `last_n` of the history
// has its logit divided by `penalty` when positive and multiplied by it when
// <= 0, once however often it occurs. Division is banned, so "divided" is
// numerics::mul by numerics::recip(penalty), computed once per call.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "qvk/numerics/flush.hpp"
#include "qvk/numerics/recip.hpp"
#include "qvk/runtime/sampler_candidates.hpp"

namespace qvk::runtime {

// The penalized value of one (raw) logit: sanitized first, so NaN stays -inf
// (-inf * penalty) and +inf becomes FLT_MAX * recip(penalty).
inline float penalized_logit(float z, float penalty, float inv_penalty) {
  const float s = sanitize_logit(z);
  return s > 0.0f ? numerics::mul(s, inv_penalty) : numerics::mul(s, penalty);
}

// The distinct token ids of the last `last_n` entries of `history`, ascending.
// Throws std::out_of_range for an id outside [0, n_vocab).
inline std::vector<std::int32_t> penalized_tokens(std::span<const std::int32_t> history, std::size_t last_n,
                                                  std::size_t n_vocab) {
  const std::size_t n = std::min(last_n, history.size());
  std::vector<std::int32_t> ids(history.end() - static_cast<std::ptrdiff_t>(n), history.end());
  for (const std::int32_t id : ids)
    if (id < 0 || static_cast<std::size_t>(id) >= n_vocab)
      throw std::out_of_range("sampler history holds token id " + std::to_string(id) + ", outside [0, " +
                              std::to_string(n_vocab) + ")");
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  return ids;
}

// Applies the penalty in place to `logits` (the whole vocabulary). penalty == 1
// or last_n == 0 leaves the logits untouched.
inline void apply_repeat_penalty(std::span<float> logits, std::span<const std::int32_t> history, std::size_t last_n,
                                 float penalty) {
  if (penalty == 1.0f || last_n == 0) return;
  const float inv_penalty = numerics::recip(penalty);
  for (const std::int32_t id : penalized_tokens(history, last_n, logits.size()))
    logits[static_cast<std::size_t>(id)] = penalized_logit(logits[static_cast<std::size_t>(id)], penalty, inv_penalty);
}

}  // namespace qvk::runtime
