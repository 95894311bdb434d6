// shaders/common/numerics.glsl — GLSL mirror of include/qvk/numerics (flush.hpp,
// rsqrt.hpp). Keep op for op identical to the C++: the property tests compare
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
