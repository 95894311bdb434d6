// qvk/numerics/exp.hpp — the canonical e^x: rounded f32 add/mul and integer bit ops only.
//
// Why: GPU exp builtins are not correctly rounded and differ between devices;
// softmax and SiLU need the same bits everywhere. Sequence (every float op is
// numerics::add/sub/mul, i.e. rounded and then flushed by the tiny-value rule):
//   1. x flushed; NaN -> canonical NaN; x >= kExpOverflow -> +inf;
//      x <= kExpUnderflow -> +0 (e^x <= FLT_MIN there, so the flush rule says 0);
//   2. t = x * log2(e);  n = round-half-away(t) as an integer (|t| < 130: exact);
//   3. r = (x - n*C1) - n*C2, with C1 = 0.693359375 (8 significant bits, so n*C1
//      is exact) and C2 = ln 2 - C1 rounded to f32;  |r| <= ~0.35;
//   4. p = Taylor polynomial of degree 7 in r, Horner from the highest term:
//      p = c7; p = p*r + c6; ...; p = p*r + 1 (mul then add, never fused);
//   5. e^x = (p * 2^a) * 2^b with a = n/2 and b = n - a (both powers built from
//      bits, both in the normal range); the first product is exact, the second
//      rounds once, and a result <= FLT_MIN is flushed to 0.
// Accuracy is measured over a dense sweep by tests/numerics/exp_test.cpp and
// recorded in docs/numerics.md.
#pragma once

#include <bit>
#include <cstdint>

#include "qvk/numerics/flush.hpp"
#include "qvk/numerics/recip.hpp"

namespace qvk::numerics {

inline constexpr float kExpOverflow = 88.7228394f;    // >= ln(FLT_MAX): +inf
inline constexpr float kExpUnderflow = -87.3365479f;  // <= ln(FLT_MIN): result would be <= FLT_MIN
inline constexpr float kLog2e = 1.44269504f;
inline constexpr float kLn2Hi = 0.693359375f;
inline constexpr float kLn2Lo = -2.12194440e-4f;
// 1/k! for k = 7..2, rounded to f32.
inline constexpr float kExpCoeffs[] = {1.98412698e-4f, 1.38888889e-3f, 8.33333333e-3f,
                                       4.16666667e-2f, 1.66666667e-1f, 0.5f};

// 2^k as a float for -126 <= k <= 127.
inline float pow2i(int k) { return std::bit_cast<float>(static_cast<std::uint32_t>(k + 127) << 23); }

inline float exp(float x) {
  x = flush(x);
  const std::uint32_t b = std::bit_cast<std::uint32_t>(x);
  if ((b & 0x7fffffffu) > 0x7f800000u) return std::bit_cast<float>(kCanonicalNan);
  if (x >= kExpOverflow) return std::bit_cast<float>(0x7f800000u);
  if (x <= kExpUnderflow) return 0.0f;

  const float t = mul(x, kLog2e);
  const float at = std::bit_cast<float>(std::bit_cast<std::uint32_t>(t) & 0x7fffffffu);
  int n = static_cast<int>(at);  // truncation of |t|
  if (sub(at, static_cast<float>(n)) >= 0.5f) ++n;
  if (t < 0.0f) n = -n;
  const float fn = static_cast<float>(n);
  const float r = sub(sub(x, mul(fn, kLn2Hi)), mul(fn, kLn2Lo));

  float p = kExpCoeffs[0];
  for (int i = 1; i < 6; ++i) p = add(mul(p, r), kExpCoeffs[i]);
  p = add(mul(p, r), 1.0f);
  p = add(mul(p, r), 1.0f);

  const int a = n / 2;
  return mul(mul(p, pow2i(a)), pow2i(n - a));
}

}  // namespace qvk::numerics
