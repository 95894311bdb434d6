// qvk/numerics/rsqrt.hpp — the canonical 1/sqrt(x): float add/mul and integer bit ops only.
//
// Why: sqrt and division are not correctly rounded on every Vulkan device, and
// RMSNorm needs 1/sqrt(mean + eps) with the same bits everywhere. Sequence:
//   1. x = m * 2^(2k) with m in [1, 4) (integer bit ops, exact);
//   2. y0 = bits(0x5f375a86 - (bits(m) >> 1)) (integer-magic guess);
//   3. h = 0.5 * m (exact); three Newton steps  e = 0.5 - (h*y)*y;  y = y + y*e,
//      each op a rounded f32 op in exactly that order (the correction form
//      rounds better than y*(1.5 - h*y*y));
//   4. result = y * 2^(-k) (integer exponent adjustment, exact).
// Specials: NaN or x < 0 -> canonical NaN; x <= FLT_MIN (0, subnormals, per the
// flush rule) -> +inf; +inf -> +0. Accuracy is measured exhaustively over m in
// [1, 4) by tests/numerics/rsqrt_test.cpp and recorded in docs/numerics.md.
#pragma once

#include <bit>
#include <cstdint>

#include "qvk/numerics/flush.hpp"
#include "qvk/numerics/recip.hpp"

namespace qvk::numerics {

inline constexpr std::uint32_t kRsqrtMagic = 0x5f375a86u;
inline constexpr int kRsqrtNewtonSteps = 3;

// 1/sqrt(m) for m in [1, 4); the result lies in (0.5, 1].
inline float rsqrt_reduced(float m) {
  float y = std::bit_cast<float>(kRsqrtMagic - (std::bit_cast<std::uint32_t>(m) >> 1));
  const float h = 0.5f * m;
  for (int step = 0; step < kRsqrtNewtonSteps; ++step) {
    const float e = 0.5f - (h * y) * y;  // small near convergence: the update below adds it exactly-ish
    y = y + y * e;
  }
  return y;
}

inline float rsqrt(float x) {
  const std::uint32_t b = std::bit_cast<std::uint32_t>(x);
  if ((b & 0x7fffffffu) > 0x7f800000u || (b >> 31) != 0) {
    if ((b & 0x7fffffffu) <= kFltMinBits) return std::bit_cast<float>(0x7f800000u);  // -0 or tiny negative
    return std::bit_cast<float>(kCanonicalNan);
  }
  if (b <= kFltMinBits) return std::bit_cast<float>(0x7f800000u);
  if (b == 0x7f800000u) return 0.0f;
  // Unbiased exponent e of x, split as e = 2k + r with r in {0, 1}: m = mant * 2^r in [1, 4).
  const int e = static_cast<int>(b >> 23) - 127;
  const int r = e & 1;
  const int k = (e - r) / 2;
  const float m = std::bit_cast<float>((b & 0x007fffffu) | (static_cast<std::uint32_t>(127 + r) << 23));
  const float y = rsqrt_reduced(m);
  // y in (0.5, 1]; scaling by 2^-k keeps it normal for every normal x (|k| <= 63).
  const std::uint32_t yb = std::bit_cast<std::uint32_t>(y);
  return std::bit_cast<float>(yb - (static_cast<std::uint32_t>(k) << 23));
}

}  // namespace qvk::numerics
