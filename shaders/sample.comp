#version 450
// shaders/sample.comp — the sampler's draw from the top-k candidate list (the
// contract is the header comment of include/qvk/ops/sample.hpp; its CPU twin is
// runtime::sample_candidates). One workgroup: weights one per thread, totals
// over LANES lanes (reduce.glsl), prefix scans on thread 0 — a scan is a chain
// of dependent adds by definition, and k <= MAX_K keeps it short.
// Prelude: WORKGROUP_SIZE, LANES, MAX_K, pc.{k, top_p, min_p, inv_temp},
// buffers values, ids, draw, token.
#extension GL_GOOGLE_include_directive : require

#include "prelude.glsl"
#include "numerics.glsl"
#include "reduce.glsl"

shared float s_z[MAX_K];  // sanitized logits of the kept candidates, in order
shared uint s_id[MAX_K];  // their ids
shared float s_w[MAX_K];  // their weights
shared uint s_n;          // candidates kept by top-p and min-p

void sync() {
  memoryBarrierShared();
  barrier();
}

// numerics::strided_sum of s_w[0, n): lane l adds terms l, l+LANES, … from +0,
// then the pairwise tree. Uniform control flow; s_w visible to every thread.
float total(uint n) {
  for (uint l = gl_LocalInvocationID.x; l < LANES; l += WORKGROUP_SIZE) {
    float acc = 0.0;
    for (uint i = l; i < n; i += LANES) acc = qvk_add(acc, s_w[i]);
    qvk_lanes[l] = acc;
  }
  return qvk_tree_reduce();
}

void main() {
  const uint t = gl_LocalInvocationID.x;
  const uint k = pc.k;
  const float z0 = values[0];
  // Every logit NaN / -inf: the first candidate (uniform: every thread returns).
  if (floatBitsToUint(z0) == 0xff800000u) {
    if (t == 0u) token[0] = ids[0];
    return;
  }
  for (uint i = t; i < k; i += WORKGROUP_SIZE) {
    s_z[i] = values[i];
    s_id[i] = ids[i];
  }
  uint n = k;
  if (pc.top_p < 1.0 || pc.min_p > 0.0) {
    // Unit weights w1_i = exp(z_i - z_0); top-p on their running sum, min-p per candidate.
    for (uint i = t; i < k; i += WORKGROUP_SIZE) s_w[i] = qvk_exp(qvk_sub(values[i], z0));
    sync();
    float threshold = 0.0;
    if (pc.top_p < 1.0) threshold = qvk_mul(pc.top_p, total(k));
    if (t == 0u) {
      uint m = k;
      if (pc.top_p < 1.0) {
        float cum = 0.0;
        for (uint i = 0u; i < k; ++i) {
          cum = qvk_add(cum, s_w[i]);
          if (cum >= threshold) {
            m = i + 1u;
            break;
          }
        }
      }
      if (pc.min_p > 0.0) {
        uint kept = 0u;  // compacts in order; candidate 0 (w1 = 1 >= min_p) stays first
        for (uint i = 0u; i < m; ++i) {
          if (s_w[i] >= pc.min_p) {
            s_z[kept] = s_z[i];
            s_id[kept] = s_id[i];
            ++kept;
          }
        }
        m = kept;
      }
      s_n = m;
    }
    sync();
    n = s_n;
  }
  sync();  // s_z / s_id complete for every thread (also when nothing was filtered)
  if (n == 1u) {
    if (t == 0u) token[0] = s_id[0];
    return;
  }
  // Temperature weights w_i = exp((z_i - z_0) * inv_temp); the draw: the first
  // index whose running sum exceeds u * total, else the last positive weight.
  for (uint i = t; i < n; i += WORKGROUP_SIZE) s_w[i] = qvk_exp(qvk_mul(qvk_sub(s_z[i], z0), pc.inv_temp));
  sync();
  const float threshold = qvk_mul(draw[0], total(n));
  if (t == 0u) {
    float cum = 0.0;
    uint last_positive = 0u;
    uint pick = 0xffffffffu;
    for (uint i = 0u; i < n; ++i) {
      cum = qvk_add(cum, s_w[i]);
      if (cum > threshold) {
        pick = i;
        break;
      }
      if (s_w[i] > 0.0) last_positive = i;
    }
    token[0] = s_id[pick == 0xffffffffu ? last_positive : pick];
  }
}
