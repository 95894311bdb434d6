#version 450
// shaders/rmsnorm.comp — RMSNorm of one row per workgroup, optionally fused
// with the residual add. The contract (order, mapping, flushes) is the header
// comment of include/qvk/ops/rmsnorm.hpp; the prelude comes from that
// descriptor: QVK_ADD_RESIDUAL, WORKGROUP_SIZE, LANES, push constants pc.{rows,
// n, eps, inv_n}, buffers x, [r,] w, y.
#extension GL_GOOGLE_include_directive : require

#include "prelude.glsl"
#include "numerics.glsl"
#include "reduce.glsl"

// h_i: the (flushed) input of the norm, x_i + r_i when the residual is fused.
float load_h(uint i) {
#if QVK_ADD_RESIDUAL
  return qvk_add(qvk_flush(x[i]), qvk_flush(r[i]));
#else
  return qvk_flush(x[i]);
#endif
}

void main() {
  const uint row = gl_WorkGroupID.x;
  const uint t = gl_LocalInvocationID.x;
  const uint n = pc.n;
  const uint base = row * n;

  for (uint l = t; l < LANES; l += WORKGROUP_SIZE) {
    float acc = 0.0;
    for (uint i = l; i < n; i += LANES) {
      float h = load_h(base + i);
      acc = qvk_add(acc, qvk_mul(h, h));
    }
    qvk_lanes[l] = acc;
  }
  const float ss = qvk_tree_reduce();
  const float rs = qvk_rsqrt(qvk_add(qvk_mul(ss, pc.inv_n), pc.eps));

  for (uint i = t; i < n; i += WORKGROUP_SIZE) {
    float h = load_h(base + i);
#if QVK_ADD_RESIDUAL
    x[base + i] = h;
#endif
    y[base + i] = qvk_mul(qvk_mul(h, rs), qvk_flush(w[i]));
  }
}
