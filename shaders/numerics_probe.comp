#version 450
// shaders/numerics_probe.comp — test-only: y[i] = f(x[i]) for one function of
// numerics.glsl, chosen by pc.fn (include/qvk/ops/numerics_probe.hpp has the
// contract). Lets tests compare the GLSL mirror with the C++ numerics bit for bit.
#extension GL_GOOGLE_include_directive : require

#include "prelude.glsl"
#include "numerics.glsl"

uint apply(uint v) {
  switch (pc.fn) {
    case 0u: return floatBitsToUint(qvk_exp(uintBitsToFloat(v)));
    case 1u: return floatBitsToUint(qvk_recip(uintBitsToFloat(v)));
    case 2u: return floatBitsToUint(qvk_rsqrt(uintBitsToFloat(v)));
    case 3u: return qvk_f32_to_f16_bits(uintBitsToFloat(v));
    case 4u: return floatBitsToUint(qvk_f16_bits_to_f32(v & 0xffffu));
    default: return floatBitsToUint(qvk_bf16_bits_to_f32(v & 0xffffu));
  }
}

void main() {
  const uint stride = gl_NumWorkGroups.x * WORKGROUP_SIZE;
  for (uint i = gl_GlobalInvocationID.x; i < pc.n; i += stride) y[i] = apply(x[i]);
}
