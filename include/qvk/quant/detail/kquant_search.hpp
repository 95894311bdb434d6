// qvk/quant/detail/kquant_search.hpp — the per-sub-block scale searches of the
// K-quant reference quantizers (llama.cpp's quantize_row_q{4,5,6}_K_ref without
// an importance matrix).
//
// Why they mirror llama.cpp's float operation order exactly: the point is to
// write the same blocks as llama.cpp, and every rounding of an intermediate sum
// can flip a level or a scale. Each accumulation below is a plain left-to-right
// float sum; products are evaluated left to right as written (build with
// -ffp-contract=off so none of them fuses).
#pragma once

#include <cmath>
#include <cstdint>

#include "qvk/quant/detail/rounding.hpp"

namespace qvk::quant::detail {

inline constexpr float kGroupMaxEps = 1e-15f;  // below this a group counts as all zero

inline int clamp_int(int v, int lo, int hi) { return v < lo ? lo : (v > hi ? hi : v); }

// Asymmetric fit x ≈ scale*level - offset with levels in [0, nmax], weights w,
// minimising the weighted squared error over a small grid of trial inverse
// scales (nmax + rmin + rdelta*k)/(max - min), k = 0..steps, each refined by a
// weighted least-squares solve. Writes the chosen levels, returns the scale and
// sets `offset` (>= 0, the amount subtracted; GGML's "min" with flipped sign).
template <int N>
float fit_scale_offset(const float* x, const float* w, int nmax, float rmin, float rdelta, int steps,
                       std::uint8_t* levels, float& offset) {
  float lo = x[0], hi = x[0];
  float sum_w = w[0];
  float sum_x = sum_w * x[0];
  for (int i = 1; i < N; ++i) {
    if (x[i] < lo) lo = x[i];
    if (x[i] > hi) hi = x[i];
    sum_w += w[i];
    sum_x += w[i] * x[i];
  }
  if (lo > 0) lo = 0;
  if (hi == lo) {
    for (int i = 0; i < N; ++i) levels[i] = 0;
    offset = -lo;
    return 0.0f;
  }
  float inv = static_cast<float>(nmax) / (hi - lo);
  float scale = 1 / inv;
  float best_err = 0;
  for (int i = 0; i < N; ++i) {
    const int l = clamp_int(round_via_magic_add(inv * (x[i] - lo)), 0, nmax);
    levels[i] = static_cast<std::uint8_t>(l);
    float diff = scale * static_cast<float>(l) + lo - x[i];
    diff = diff * diff;
    best_err += w[i] * diff;
  }
  if (steps < 1) {
    offset = -lo;
    return scale;
  }
  std::uint8_t trial[N];
  for (int k = 0; k <= steps; ++k) {
    // `lo` is updated when a trial wins, and later trials use the new value (as GGML does).
    inv = (rmin + rdelta * static_cast<float>(k) + static_cast<float>(nmax)) / (hi - lo);
    float sum_l = 0, sum_l2 = 0, sum_xl = 0;
    for (int i = 0; i < N; ++i) {
      const int l = clamp_int(round_via_magic_add(inv * (x[i] - lo)), 0, nmax);
      trial[i] = static_cast<std::uint8_t>(l);
      const float wl = w[i] * static_cast<float>(l);
      sum_l += wl;
      sum_l2 += wl * static_cast<float>(l);
      sum_xl += wl * x[i];
    }
    const float det = sum_w * sum_l2 - sum_l * sum_l;
    if (!(det > 0)) continue;
    float trial_scale = (sum_w * sum_xl - sum_x * sum_l) / det;
    float trial_lo = (sum_l2 * sum_x - sum_l * sum_xl) / det;
    if (trial_lo > 0) {
      trial_lo = 0;
      trial_scale = sum_xl / sum_l2;
    }
    float err = 0;
    for (int i = 0; i < N; ++i) {
      float diff = trial_scale * static_cast<float>(trial[i]) + trial_lo - x[i];
      diff = diff * diff;
      err += w[i] * diff;
    }
    if (err < best_err) {
      for (int i = 0; i < N; ++i) levels[i] = trial[i];
      best_err = err;
      scale = trial_scale;
      lo = trial_lo;
    }
  }
  offset = -lo;
  return scale;
}

// Symmetric fit x ≈ scale*l with l in [-nmax, nmax-1] and weights x², trying the
// inverse scales -(nmax + 0.1k)/max for k = 0, ±1..±9 (max = the value of
// largest magnitude) and keeping the one maximising (Σw·x·l)²/Σw·l². Writes
// levels + nmax (so 0..2*nmax-1) and returns the scale (may be negative).
template <int N>
float fit_symmetric_scale(const float* x, int nmax, std::int8_t* levels) {
  float peak = 0, peak_abs = 0;
  for (int i = 0; i < N; ++i) {
    const float a = std::fabs(x[i]);
    if (a > peak_abs) {
      peak_abs = a;
      peak = x[i];
    }
  }
  if (peak_abs < kGroupMaxEps) {
    for (int i = 0; i < N; ++i) levels[i] = 0;
    return 0.0f;
  }
  const auto level_at = [&](float inv, int i) { return clamp_int(round_via_magic_add(inv * x[i]), -nmax, nmax - 1); };
  const auto sums = [&](float inv, float& sum_xl, float& sum_l2) {
    sum_xl = 0;
    sum_l2 = 0;
    for (int i = 0; i < N; ++i) {
      const auto l = static_cast<float>(level_at(inv, i));
      const float w = x[i] * x[i];
      sum_xl += w * x[i] * l;
      sum_l2 += w * l * l;
    }
  };
  const auto store = [&](float inv) {
    for (int i = 0; i < N; ++i) levels[i] = static_cast<std::int8_t>(level_at(inv, i) + nmax);
  };

  const float inv0 = static_cast<float>(-nmax) / peak;
  float sum_xl, sum_l2;
  sums(inv0, sum_xl, sum_l2);
  store(inv0);
  float scale = sum_l2 != 0 ? sum_xl / sum_l2 : 0.0f;
  float best = scale * sum_xl;
  for (int k = -9; k <= 9; ++k) {
    if (k == 0) continue;
    const float inv = -(static_cast<float>(nmax) + 0.1f * static_cast<float>(k)) / peak;
    sums(inv, sum_xl, sum_l2);
    if (sum_l2 > 0 && sum_xl * sum_xl > best * sum_l2) {
      store(inv);
      scale = sum_xl / sum_l2;
      best = scale * sum_xl;
    }
  }
  return scale;
}

}  // namespace qvk::quant::detail
