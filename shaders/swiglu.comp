#version 450
// shaders/swiglu.comp — out = (g·sigmoid(g))·u element-wise, sigmoid(g) =
// recip(1 + exp(−g)). The contract is the header comment of
// include/qvk/ops/swiglu.hpp; prelude: WORKGROUP_SIZE, pc.n, buffers g, u, out_.
#extension GL_GOOGLE_include_directive : require

#include "prelude.glsl"
#include "numerics.glsl"
#include "swiglu.glsl"

void main() {
  const uint stride = gl_NumWorkGroups.x * WORKGROUP_SIZE;
  for (uint i = gl_GlobalInvocationID.x; i < pc.n; i += stride) out_[i] = qvk_swiglu(g[i], u[i]);
}
