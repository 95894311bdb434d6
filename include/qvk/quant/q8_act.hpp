// qvk/quant/q8_act.hpp — Q8Act32: the 8-bit activation block the integer-dot kernels use.
//
// 32 activations become int8 codes c[i] and one f32 scale d, x[i] ≈ d * c[i];
// `sum` = Σ c[i] (int32) is what applies the K-quant mins: Σ (dj*q - mj)·(d*c) =
// d * (dj * Σ q·c - mj * Σ c). The quantizer is part of the numerics contract
// (shaders mirror it op for op), so it uses no division and no library rounding:
//   1. if any input is ±inf or NaN: d = canonical NaN (0x7fc00000), all codes 0,
//      sum 0 — the dot products that use the block become NaN, as float math would;
//   2. inputs with |x| <= FLT_MIN count as 0 (the contract's flush rule);
//   3. amax = max |x| (compared as integer bit patterns, which order like the
//      magnitudes); d = amax * kInv127 (one rounded f32 multiply; kInv127 is the
//      f32 nearest to 1/127, bits 0x3c010204);
//   4. if d <= FLT_MIN (amax == 0 included): d = 0, all codes 0, sum 0;
//   5. inv = numerics::recip(d); c[i] = round_half_away(x[i] * inv), clamped to
//      [-127, 127]; round_half_away(v) = sign(v) * (t + (|v| - t >= 0.5)) with
//      t = trunc(|v|) taken as an integer (|v| < 2^31 here, so exact). A product
//      x*inv small enough to be subnormal rounds to code 0 whatever a device
//      does with subnormals.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>

#include "qvk/numerics/recip.hpp"

namespace qvk::quant {

struct Q8Act32 {
  static constexpr std::size_t kBlockElems = 32;
  static constexpr float kInv127 = 1.0f / 127.0f;  // evaluated at compile time, exactly rounded

  float d;
  std::int32_t sum;  // Σ qs[i]
  std::int8_t qs[32];

  float value(std::size_t i) const { return d * static_cast<float>(qs[i]); }
};
static_assert(sizeof(Q8Act32) == 40);
static_assert(std::bit_cast<std::uint32_t>(Q8Act32::kInv127) == 0x3c010204u);

// Round half away from zero for |v| < 2^31, with integer truncation only.
inline int round_half_away_int(float v) {
  const std::uint32_t bits = std::bit_cast<std::uint32_t>(v);
  const float a = std::bit_cast<float>(bits & 0x7fffffffu);
  const int t = static_cast<int>(a);  // truncation
  const int r = (a - static_cast<float>(t) >= 0.5f) ? t + 1 : t;
  return (bits >> 31) != 0 ? -r : r;
}

inline void quantize_q8_act(const float* x, Q8Act32& out) {
  out.sum = 0;
  for (std::size_t i = 0; i < 32; ++i) out.qs[i] = 0;

  std::uint32_t amax_bits = 0;
  for (std::size_t i = 0; i < 32; ++i) {
    const std::uint32_t mag = std::bit_cast<std::uint32_t>(x[i]) & 0x7fffffffu;
    if (mag >= 0x7f800000u) {
      out.d = std::bit_cast<float>(numerics::kCanonicalNan);
      return;
    }
    if (mag > 0x00800000u && mag > amax_bits) amax_bits = mag;
  }
  const float d = std::bit_cast<float>(amax_bits) * Q8Act32::kInv127;
  if (std::bit_cast<std::uint32_t>(d) <= 0x00800000u) {
    out.d = 0.0f;
    return;
  }
  out.d = d;
  const float inv = numerics::recip(d);
  std::int32_t sum = 0;
  for (std::size_t i = 0; i < 32; ++i) {
    const std::uint32_t bits = std::bit_cast<std::uint32_t>(x[i]);
    const float xi = (bits & 0x7fffffffu) <= 0x00800000u ? 0.0f : x[i];
    int c = round_half_away_int(xi * inv);
    c = c > 127 ? 127 : (c < -127 ? -127 : c);
    out.qs[i] = static_cast<std::int8_t>(c);
    sum += c;
  }
  out.sum = sum;
}

}  // namespace qvk::quant
