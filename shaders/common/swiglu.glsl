// shaders/common/swiglu.glsl — the SwiGLU element, written once: swiglu.comp
// stores it, quantize_act.comp (QVK_ACT_SWIGLU) quantizes it without storing.
// The contract is the header comment of include/qvk/ops/swiglu.hpp
// (ref::swiglu on flushed inputs). Needs numerics.glsl included before it.

// g and u as loaded from memory (flushed here, so subnormal inputs give the
// same bits on every device); the result is flushed by qvk_mul.
float qvk_swiglu(float g_in, float u_in) {
  const float gf = qvk_flush(g_in);
  const float neg = uintBitsToFloat(floatBitsToUint(gf) ^ 0x80000000u);  // -g, exact
  const float sig = qvk_recip(qvk_add(1.0, qvk_exp(neg)));
  return qvk_mul(qvk_mul(gf, sig), qvk_flush(u_in));
}
