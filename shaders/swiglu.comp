#version 450
// shaders/swiglu.comp — out = (g·sigmoid(g))·u element-wise, sigmoid(g) =
// recip(1 + exp(−g)). The contract is the header comment of
// include/qvk/ops/swiglu.hpp; prelude: WORKGROUP_SIZE, pc.n, buffers g, u, out_.
#extension GL_GOOGLE_include_directive : require

#include "prelude.glsl"
#include "numerics.glsl"

void main() {
  const uint stride = gl_NumWorkGroups.x * WORKGROUP_SIZE;
  for (uint i = gl_GlobalInvocationID.x; i < pc.n; i += stride) {
    const float gi = qvk_flush(g[i]);
    const float neg = uintBitsToFloat(floatBitsToUint(gi) ^ 0x80000000u);
    const float sig = qvk_recip(qvk_add(1.0, qvk_exp(neg)));
    out_[i] = qvk_mul(qvk_mul(gi, sig), qvk_flush(u[i]));
  }
}
