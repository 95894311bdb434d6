// qvk/runtime/sampler_params.hpp — the sampler's settings, their validation, and
// the host-side conversion of the temperature into the multiplier kernels use.
#pragma once

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <sstream>
#include <stdexcept>
#include <string>

#include "qvk/numerics/flush.hpp"

namespace qvk::runtime {

// Defaults follow llama.cpp's common defaults (penalty off).
struct SamplerParams {
  float temperature = 0.8f;   // 0 (or <= FLT_MIN): greedy
  int top_k = 40;             // 0: no top-k (full vocabulary); 1: greedy
  float top_p = 0.95f;        // in (0, 1]; 1: off
  float min_p = 0.05f;        // in [0, 1]; 0: off
  float repeat_penalty = 1.0f;  // > 0; 1: off
  int repeat_last_n = 64;     // >= 0; 0: off
  std::uint64_t seed = 0;
};

namespace detail {

[[noreturn]] inline void bad_param(const char* name, const std::string& rule, double value) {
  std::ostringstream s;
  s.precision(9);
  s << "SamplerParams." << name << " must be " << rule << ", got " << value;
  throw std::invalid_argument(s.str());
}

}  // namespace detail

// Throws std::invalid_argument naming the first bad field and its value.
// NaN and infinities are rejected everywhere (NaN fails every range test).
inline void validate(const SamplerParams& p) {
  if (!(p.temperature >= 0.0f) || !std::isfinite(p.temperature))
    detail::bad_param("temperature", ">= 0 and finite", p.temperature);
  if (p.top_k < 0) detail::bad_param("top_k", ">= 0", p.top_k);
  if (!(p.top_p > 0.0f && p.top_p <= 1.0f)) detail::bad_param("top_p", "in (0, 1]", p.top_p);
  if (!(p.min_p >= 0.0f && p.min_p <= 1.0f)) detail::bad_param("min_p", "in [0, 1]", p.min_p);
  if (!(p.repeat_penalty > 0.0f) || !std::isfinite(p.repeat_penalty))
    detail::bad_param("repeat_penalty", "> 0 and finite", p.repeat_penalty);
  if (p.repeat_last_n < 0) detail::bad_param("repeat_last_n", ">= 0", p.repeat_last_n);
}

// Greedy when the temperature is 0 by the tiny-value rule (|t| <= FLT_MIN is 0)
// or when top-k keeps a single candidate.
inline bool is_greedy(const SamplerParams& p) {
  return numerics::flush(p.temperature) == 0.0f || p.top_k == 1;
}

// The f32 nearest to 1/t (ties to even), for t > FLT_MIN; computed once on the
// host and handed to every device as is, so no kernel divides. 1/t in double is
// correctly rounded, but rounding that again to f32 could in rare cases land on
// the wrong side of a midpoint, so the two f32 neighbours are checked exactly:
// c*t is exact in double (24+24 bits) and 1 - c*t is exact (Sterbenz), so
// |1 - c*t| = t*|1/t - c| ranks the candidates exactly. For t >= ~2^126 the
// nearest f32 would be <= FLT_MIN, i.e. 0 by the tiny-value rule, and
// (-inf) * 0 would be NaN, so the result is at least the smallest float above
// FLT_MIN (then (z - z_0) * inv_temp is -inf, 0 or a finite value, as for any t).
inline constexpr std::uint32_t kMinInvTempBits = numerics::kFltMinBits + 1;

inline float inv_temperature(float t) {
  const double td = t;
  const float q = static_cast<float>(1.0 / td);
  float best = q;
  double best_err = std::fabs(1.0 - static_cast<double>(q) * td);
  for (const float c : {std::nextafter(q, 0.0f), std::nextafter(q, std::numeric_limits<float>::infinity())}) {
    const double err = std::fabs(1.0 - static_cast<double>(c) * td);
    const bool even = (std::bit_cast<std::uint32_t>(c) & 1u) == 0;
    if (err < best_err || (err == best_err && even)) {
      best = c;
      best_err = err;
    }
  }
  if ((std::bit_cast<std::uint32_t>(best) & 0x7fffffffu) < kMinInvTempBits) return std::bit_cast<float>(kMinInvTempBits);
  return best;
}

}  // namespace qvk::runtime
