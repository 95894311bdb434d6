#version 450
// shaders/read_probe.comp — streaming read for the bandwidth roofline. The
// contract is the header comment of include/qvk/ops/read_probe.hpp; the prelude
// gives WORKGROUP_SIZE, UNROLL, pc.n and the buffers data (uvec4), out_xor.
#extension GL_GOOGLE_include_directive : require

#include "prelude.glsl"

void main() {
  const uint g = gl_GlobalInvocationID.x;
  const uint stride = gl_NumWorkGroups.x * WORKGROUP_SIZE;
  uvec4 acc = uvec4(0u);
  uint i = g;
  // UNROLL independent loads per iteration while all of them are in range.
  const uint span = (UNROLL - 1u) * stride;
  const uint limit = pc.n > span ? pc.n - span : 0u;  // i < limit: all UNROLL loads in range
  while (i < limit) {
    for (uint u = 0u; u < UNROLL; ++u) acc ^= data[i + u * stride];
    i += UNROLL * stride;
  }
  for (; i < pc.n; i += stride) acc ^= data[i];
  out_xor[g] = acc.x ^ acc.y ^ acc.z ^ acc.w;
}
