#version 450
// shaders/add.comp — x += y (or x += bias, broadcast over rows) in place. The
// contract is the header comment of include/qvk/ops/add.hpp; prelude:
// QVK_BROADCAST, WORKGROUP_SIZE, pc.{rows, n}, buffers x, y.
#extension GL_GOOGLE_include_directive : require

#include "prelude.glsl"
#include "numerics.glsl"

void main() {
  const uint row = gl_WorkGroupID.y;
  const uint base = row * pc.n;
  const uint stride = gl_NumWorkGroups.x * WORKGROUP_SIZE;
  for (uint i = gl_GlobalInvocationID.x; i < pc.n; i += stride) {
#if QVK_BROADCAST
    const float b = qvk_flush(y[i]);
#else
    const float b = qvk_flush(y[base + i]);
#endif
    x[base + i] = qvk_add(qvk_flush(x[base + i]), b);
  }
}
