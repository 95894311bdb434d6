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

// The shared quantizer of both activation blocks: N inputs → scale d and N
// codes, by steps 1–5 above. Returns false (d, codes zero or NaN) for the
// degenerate cases.
template <std::size_t N>
inline void quantize_q8_codes(const float* x, float& d_out, std::int8_t* qs) {
  for (std::size_t i = 0; i < N; ++i) qs[i] = 0;
  std::uint32_t amax_bits = 0;
  for (std::size_t i = 0; i < N; ++i) {
    const std::uint32_t mag = std::bit_cast<std::uint32_t>(x[i]) & 0x7fffffffu;
    if (mag >= 0x7f800000u) {
      d_out = std::bit_cast<float>(numerics::kCanonicalNan);
      return;
    }
    if (mag > 0x00800000u && mag > amax_bits) amax_bits = mag;
  }
  const float d = std::bit_cast<float>(amax_bits) * Q8Act32::kInv127;
  if (std::bit_cast<std::uint32_t>(d) <= 0x00800000u) {
    d_out = 0.0f;
    return;
  }
  d_out = d;
  const float inv = numerics::recip(d);
  for (std::size_t i = 0; i < N; ++i) {
    const std::uint32_t bits = std::bit_cast<std::uint32_t>(x[i]);
    const float xi = (bits & 0x7fffffffu) <= 0x00800000u ? 0.0f : x[i];
    int c = round_half_away_int(xi * inv);
    c = c > 127 ? 127 : (c < -127 ? -127 : c);
    qs[i] = static_cast<std::int8_t>(c);
  }
}

inline void quantize_q8_act(const float* x, Q8Act32& out) {
  quantize_q8_codes<32>(x, out.d, out.qs);
  std::int32_t sum = 0;
  for (std::size_t i = 0; i < 32; ++i) sum += out.qs[i];
  out.sum = sum;
}

// Q8Act256: the activation block of the K-quant dot products. One scale for a
// whole 256-element super-block (as llama.cpp's Q8_K), so a K-quant block's
// integer part spans all 256 elements: Σ_j sc[j]·(Σ q·c) and Σ_j m[j]·sums[j]
// stay int32 and floats enter once per super-block. `sums[j]` = Σ of the codes
// of elements 32j..32j+31 (applies Q4_K/Q5_K mins). Same quantizer as Q8Act32.
struct Q8Act256 {
  static constexpr std::size_t kBlockElems = 256;
  float d;
  std::int32_t sums[8];
  std::int8_t qs[256];
  float value(std::size_t i) const { return d * static_cast<float>(qs[i]); }
};
static_assert(sizeof(Q8Act256) == 4 + 32 + 256);

inline void quantize_q8_act(const float* x, Q8Act256& out) {
  quantize_q8_codes<256>(x, out.d, out.qs);
  for (std::size_t j = 0; j < 8; ++j) {
    std::int32_t sum = 0;
    for (std::size_t i = 0; i < 32; ++i) sum += out.qs[32 * j + i];
    out.sums[j] = sum;
  }
}

}  // namespace qvk::quant
