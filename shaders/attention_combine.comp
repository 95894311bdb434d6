#version 450
// shaders/attention_combine.comp — pass 2 of decode attention: the left fold of
// the chunk partials of one head in increasing chunk order, then out = O·recip(L).
// One workgroup per (head h, slice of WORKGROUP_SIZE elements). The contract is
// the header comment of include/qvk/ops/attention.hpp; the prelude comes from
// ops::AttentionCombine: WORKGROUP_SIZE, HEAD_DIM, pc.{heads, kv_heads, group,
// n_pos, scale}, buffers part_ml, part_o, attn (the output).
#extension GL_GOOGLE_include_directive : require

#include "prelude.glsl"
#include "numerics.glsl"
#include "attention.glsl"

// One block of WORKGROUP_SIZE chunks at a time.
shared float m_blk[WORKGROUP_SIZE];        // m_c
shared float l_blk[WORKGROUP_SIZE];        // l_c
shared float a_blk[WORKGROUP_SIZE];        // a = exp(M_before − M_after)
shared float b_blk[WORKGROUP_SIZE];        // b = exp(m_c − M_after)
shared float M_before[WORKGROUP_SIZE];     // M before chunk cb + k is folded
shared float M_after[WORKGROUP_SIZE];      // M after it

void sync_shared() {
  memoryBarrierShared();
  barrier();
}

void main() {
  const uint t = gl_LocalInvocationID.x;
  const uint h = gl_WorkGroupID.x;
  const uint i = gl_WorkGroupID.y * WORKGROUP_SIZE + t;  // this thread's element of the head
  const uint heads = pc.heads;
  const uint pr0 = attn_query() * attn_query_part_rows();  // this query row's partials
  const uint nc = (attn_n_pos() + QVK_ATTN_CHUNK - 1u) / QVK_ATTN_CHUNK;
  const bool owns = i < HEAD_DIM;

  float M = 0.0;  // the running max, kept by thread 0 only
  float L = 0.0, O = 0.0;
  for (uint cb = 0u; cb < nc; cb += WORKGROUP_SIZE) {
    const uint cnt = min(WORKGROUP_SIZE, nc - cb);
    if (t < cnt) {
      const uint row = pr0 + (cb + t) * heads + h;
      m_blk[t] = part_ml[row * 2u];
      l_blk[t] = part_ml[row * 2u + 1u];
    }
    sync_shared();
    // M' = (m_c > M ? m_c : M) in chunk order (cheap compares; the exps follow in parallel).
    if (t == 0u) {
      for (uint k = 0u; k < cnt; ++k) {
        const float m = m_blk[k];
        M_before[k] = M;
        M = (cb + k == 0u || attn_greater(m, M)) ? m : M;
        M_after[k] = M;
      }
    }
    sync_shared();
    if (t < cnt && cb + t != 0u) {
      a_blk[t] = qvk_exp(qvk_sub(M_before[t], M_after[t]));
      b_blk[t] = qvk_exp(qvk_sub(m_blk[t], M_after[t]));
    }
    sync_shared();
    for (uint k = 0u; k < cnt; ++k) {
      const uint c = cb + k;
      const float o = owns ? part_o[(pr0 + c * heads + h) * HEAD_DIM + i] : 0.0;
      if (c == 0u) {
        L = l_blk[0];
        O = o;
      } else {
        const float a = a_blk[k], b = b_blk[k];
        L = qvk_add(qvk_mul(L, a), qvk_mul(l_blk[k], b));
        O = qvk_add(qvk_mul(O, a), qvk_mul(o, b));
      }
    }
    sync_shared();  // the block's shared values are read before the next block overwrites them
  }
  if (owns) attn[(attn_query() * heads + h) * HEAD_DIM + i] = qvk_mul(O, qvk_recip(L));
}
