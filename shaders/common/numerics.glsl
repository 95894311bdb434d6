// shaders/common/numerics.glsl — GLSL mirror of include/qvk/numerics (flush.hpp,
// rsqrt.hpp, recip.hpp, exp.hpp, half.hpp). Keep op for op identical to the C++: the property tests compare
// bits. Every float op is `precise` (SPIR-V NoContraction; the build checks
// it), and every result that can become tiny goes through qvk_flush.

const uint QVK_FLT_MIN_BITS = 0x00800000u;
const uint QVK_CANONICAL_NAN = 0x7fc00000u;
const uint QVK_RSQRT_MAGIC = 0x5f375a86u;
const int QVK_RSQRT_NEWTON_STEPS = 3;

// ±0 for |x| <= FLT_MIN (sign kept), x otherwise — decided on the bits, so the
// device's own subnormal handling never matters.
float qvk_flush(float x) {
  uint b = floatBitsToUint(x);
  return (b & 0x7fffffffu) <= QVK_FLT_MIN_BITS ? uintBitsToFloat(b & 0x80000000u) : x;
}

float qvk_add(float a, float b) {
  precise float r = a + b;
  return qvk_flush(r);
}

float qvk_sub(float a, float b) {
  precise float r = a - b;
  return qvk_flush(r);
}

float qvk_mul(float a, float b) {
  precise float r = a * b;
  return qvk_flush(r);
}

// numerics::rsqrt_reduced: 1/sqrt(m) for m in [1, 4). No flush inside, as in
// the C++: every intermediate is a normal number or exactly 0.
float qvk_rsqrt_reduced(float m) {
  float y = uintBitsToFloat(QVK_RSQRT_MAGIC - (floatBitsToUint(m) >> 1));
  precise float h = 0.5 * m;
  for (int step = 0; step < QVK_RSQRT_NEWTON_STEPS; ++step) {
    precise float e = 0.5 - (h * y) * y;
    precise float yn = y + y * e;
    y = yn;
  }
  return y;
}

// numerics::rsqrt: NaN or negative -> canonical NaN; <= FLT_MIN -> +inf; +inf -> +0.
float qvk_rsqrt(float x) {
  uint b = floatBitsToUint(x);
  uint mag = b & 0x7fffffffu;
  if (mag > 0x7f800000u || (b >> 31) != 0u) {
    if (mag <= QVK_FLT_MIN_BITS) return uintBitsToFloat(0x7f800000u);  // -0 or tiny negative
    return uintBitsToFloat(QVK_CANONICAL_NAN);
  }
  if (b <= QVK_FLT_MIN_BITS) return uintBitsToFloat(0x7f800000u);
  if (b == 0x7f800000u) return 0.0;
  int e = int(b >> 23) - 127;
  int r = e & 1;
  int k = (e - r) >> 1;  // exact: e - r is even
  float m = uintBitsToFloat((b & 0x007fffffu) | (uint(127 + r) << 23));
  float y = qvk_rsqrt_reduced(m);
  return uintBitsToFloat(floatBitsToUint(y) - (uint(k) << 23));
}

// ---- numerics::recip (recip.hpp) ------------------------------------------
const uint QVK_RECIP_MAGIC = 0x7ef311c3u;
const int QVK_RECIP_NEWTON_STEPS = 3;

// 1/m for m in [1, 2).
float qvk_recip_unit(float m) {
  float y = uintBitsToFloat(QVK_RECIP_MAGIC - floatBitsToUint(m));
  for (int step = 0; step < QVK_RECIP_NEWTON_STEPS; ++step) {
    precise float e = 1.0 - m * y;
    precise float yn = y + y * e;
    y = yn;
  }
  return y;
}

// NaN -> canonical NaN; ±inf -> ±0; |x| <= FLT_MIN -> ±inf; tiny results -> ±0.
float qvk_recip(float x) {
  uint bits = floatBitsToUint(x);
  uint sign = bits & 0x80000000u;
  uint mag = bits & 0x7fffffffu;
  if (mag > 0x7f800000u) return uintBitsToFloat(QVK_CANONICAL_NAN);
  if (mag == 0x7f800000u) return uintBitsToFloat(sign);
  if (mag <= QVK_FLT_MIN_BITS) return uintBitsToFloat(sign | 0x7f800000u);
  int exponent = int(mag >> 23);
  float m = uintBitsToFloat((mag & 0x007fffffu) | 0x3f800000u);
  uint r = floatBitsToUint(qvk_recip_unit(m));
  int result_exponent = int(r >> 23) - exponent + 127;
  uint result_mantissa = r & 0x007fffffu;
  if (result_exponent < 1 || (result_exponent == 1 && result_mantissa == 0u)) return uintBitsToFloat(sign);
  return uintBitsToFloat(sign | (uint(result_exponent) << 23) | result_mantissa);
}

// ---- numerics::exp (exp.hpp) -----------------------------------------------
// Constants as bit patterns (the f32 values of exp.hpp), so no decimal parsing can differ;
// macros because uintBitsToFloat is not a constant expression in GLSL 4.50.
#define QVK_EXP_OVERFLOW uintBitsToFloat(0x42b17218u)   // 88.7228394
#define QVK_EXP_UNDERFLOW uintBitsToFloat(0xc2aeac50u)  // -87.3365479
#define QVK_LOG2E uintBitsToFloat(0x3fb8aa3bu)
#define QVK_LN2_HI uintBitsToFloat(0x3f318000u)
#define QVK_LN2_LO uintBitsToFloat(0xb95e8083u)

// 2^k for -126 <= k <= 127.
float qvk_pow2i(int k) { return uintBitsToFloat(uint(k + 127) << 23); }

float qvk_exp(float x) {
  x = qvk_flush(x);
  uint b = floatBitsToUint(x);
  if ((b & 0x7fffffffu) > 0x7f800000u) return uintBitsToFloat(QVK_CANONICAL_NAN);
  if (x >= QVK_EXP_OVERFLOW) return uintBitsToFloat(0x7f800000u);
  if (x <= QVK_EXP_UNDERFLOW) return 0.0;
  float t = qvk_mul(x, QVK_LOG2E);
  float at = uintBitsToFloat(floatBitsToUint(t) & 0x7fffffffu);
  int n = int(at);  // truncation of |t|
  if (qvk_sub(at, float(n)) >= 0.5) ++n;
  if (t < 0.0) n = -n;
  float fn = float(n);
  float r = qvk_sub(qvk_sub(x, qvk_mul(fn, QVK_LN2_HI)), qvk_mul(fn, QVK_LN2_LO));
  // Taylor coefficients 1/k!, k = 7..2, as in kExpCoeffs.
  float p = uintBitsToFloat(0x39500d01u);
  p = qvk_add(qvk_mul(p, r), uintBitsToFloat(0x3ab60b61u));
  p = qvk_add(qvk_mul(p, r), uintBitsToFloat(0x3c088889u));
  p = qvk_add(qvk_mul(p, r), uintBitsToFloat(0x3d2aaaabu));
  p = qvk_add(qvk_mul(p, r), uintBitsToFloat(0x3e2aaaabu));
  p = qvk_add(qvk_mul(p, r), 0.5);
  p = qvk_add(qvk_mul(p, r), 1.0);
  p = qvk_add(qvk_mul(p, r), 1.0);
  int a = n / 2;  // truncates toward zero, as C++'s n / 2
  return qvk_mul(qvk_mul(p, qvk_pow2i(a)), qvk_pow2i(n - a));
}

// ---- numerics::half (half.hpp): f16/bf16 conversions in integer code --------
uint qvk_f32_to_f16_bits(float value) {
  uint bits = floatBitsToUint(value);
  uint sign = (bits >> 16) & 0x8000u;
  uint mag = bits & 0x7fffffffu;
  if (mag > 0x7f800000u) return sign | 0x7e00u | ((mag >> 13) & 0x03ffu);
  if (mag >= 0x477ff000u) return sign | 0x7c00u;
  if (mag >= 0x38800000u) {
    uint h = (mag >> 13) - (112u << 10);
    uint rest = mag & 0x1fffu;
    if (rest > 0x1000u || (rest == 0x1000u && (h & 1u) != 0u)) ++h;
    return sign | h;
  }
  if (mag <= 0x33000000u) return sign;
  uint e = mag >> 23;
  uint m = (mag & 0x007fffffu) | 0x00800000u;
  uint shift = 126u - e;
  uint h = m >> shift;
  uint rest = m & ((1u << shift) - 1u);
  uint half_ = 1u << (shift - 1u);
  if (rest > half_ || (rest == half_ && (h & 1u) != 0u)) ++h;
  return sign | h;
}

// F16 -> f32 exactly, without a loop or branch (a loop over the subnormal's
// leading zeros made each conversion its own control flow: AttentionRows took
// about a fifth longer with it on the H100, docs/perf.md). Normal: exponent rebiased by
// +112; inf/NaN: exponent 255, payload kept; zero/subnormal (exponent 0):
// m·2^-24 = (2^-14·(1 + m/1024)) − 2^-14, both operands normal and the
// difference exact (>= 2^-24 or 0, so no flush bites).
float qvk_f16_bits_to_f32(uint h) {
  const uint m = h & 0x7fffu, e = m & 0x7c00u;
  const float sub = qvk_sub(uintBitsToFloat((m << 13) + 0x38800000u), uintBitsToFloat(0x38800000u));
  const uint nb = (m << 13) + (e == 0x7c00u ? 0x70000000u : 0x38000000u);
  return uintBitsToFloat(((h & 0x8000u) << 16) | (e == 0u ? floatBitsToUint(sub) : nb));
}

float qvk_bf16_bits_to_f32(uint h) { return uintBitsToFloat(h << 16); }
