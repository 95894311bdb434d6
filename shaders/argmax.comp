#version 450
// shaders/argmax.comp — greedy sampling in two passes (the contract is the
// header comment of include/qvk/ops/argmax.hpp). QVK_ARGMAX_FINAL = 0: one key
// per workgroup of ITEMS_PER_GROUP logits; 1: one workgroup reduces those keys
// to the token. The maximum under the total candidate order does not depend on
// the combination order, so threads and workgroups combine freely.
#extension GL_GOOGLE_include_directive : require

#include "prelude.glsl"
#include "candidates.glsl"

shared uvec2 s_best[WORKGROUP_SIZE];

// The best key of the workgroup: every invocation passes its own, all get the result.
uvec2 workgroup_best(uvec2 mine) {
  const uint t = gl_LocalInvocationID.x;
  s_best[t] = mine;
  memoryBarrierShared();
  barrier();
  for (uint s = 1u; s < WORKGROUP_SIZE; s <<= 1) {
    if ((t & (2u * s - 1u)) == 0u && t + s < WORKGROUP_SIZE && qvk_precedes(s_best[t + s], s_best[t]))
      s_best[t] = s_best[t + s];
    memoryBarrierShared();
    barrier();
  }
  return s_best[0];
}

void main() {
  const uint t = gl_LocalInvocationID.x;
  uvec2 best = QVK_NO_CANDIDATE;
#if QVK_ARGMAX_FINAL
  for (uint i = t; i < pc.partials; i += WORKGROUP_SIZE) {
    const uvec2 c = uvec2(partial[2u * i], partial[2u * i + 1u]);
    if (qvk_precedes(c, best)) best = c;
  }
  best = workgroup_best(best);
  if (t == 0u) {
    token[0] = best.y;
    token[1] = qvk_bits_of_order(best.x);
  }
#else
  const uint g = gl_WorkGroupID.x;
  const uint begin = g * ITEMS_PER_GROUP;
  const uint end = min(begin + ITEMS_PER_GROUP, pc.n);
  for (uint i = begin + t; i < end; i += WORKGROUP_SIZE) {
    const uvec2 c = qvk_logit_key(floatBitsToUint(logits[i]), i);
    if (qvk_precedes(c, best)) best = c;
  }
  best = workgroup_best(best);
  if (t == 0u) {
    partial[2u * g] = best.x;
    partial[2u * g + 1u] = best.y;
  }
#endif
}
