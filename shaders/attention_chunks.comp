#version 450
// shaders/attention_chunks.comp — pass 1 of decode attention: every chunk's
// (m_c, l_c, o_c) for the query heads of one kv head. One workgroup per (kv head
// g, chunk c, query row). The contract (order, layouts, mapping, fast paths) is the header
// comment of include/qvk/ops/attention.hpp; the prelude comes from
// ops::AttentionChunks: WORKGROUP_SIZE, HEAD_DIM, MAX_GROUP, K_TILE, K_STRIDE,
// V_SLICE, TILE_FLOATS, Q_FLOATS, SCORE_FLOATS, pc.{heads, kv_heads, group,
// n_pos, scale}, buffers q, k, v, part_ml, part_o.
#extension GL_GOOGLE_include_directive : require
#extension GL_EXT_control_flow_attributes : require

#include "prelude.glsl"
#include "numerics.glsl"
#include "attention.glsl"

shared vec4 qs[Q_FLOATS / 4u];    // q of the group's heads, flushed: [head][HEAD_DIM]
shared vec4 sp[SCORE_FLOATS / 4u];  // s_j, then p_j: [head][64]
shared vec4 tile[TILE_FLOATS / 4u];  // K tile [K_TILE][K_STRIDE] or V slice [64][V_SLICE], f32
shared float ms[MAX_GROUP];       // m_c per head
shared uint tiny_q, tiny_p;       // a value below the fast-path bound was seen

void sync_shared() {
  memoryBarrierShared();
  barrier();
}

// q·k of the head whose q starts at qs[qb] with the K row at tile[kb] (vec4
// indices). acc[v] holds lanes 4v … 4v+3: lane l sums terms l, l+32, … from +0
// (attn_zero_plus4 for the first), then the 32-lane tree: for s >= 4 lane l + s
// is the same component of acc[v + s/4]; s = 2 pairs x with z and y with w; s = 1 x with y.
float dot_flushed(uint qb, uint kb) {
  vec4 acc[8];
  [[unroll]] for (uint v = 0u; v < 8u; ++v) {
    precise vec4 pr = qs[qb + v] * tile[kb + v];
    acc[v] = attn_zero_plus4(attn_flush4(pr));
  }
  for (uint i0 = 8u; i0 < HEAD_DIM / 4u; i0 += 8u)
    [[unroll]] for (uint v = 0u; v < 8u; ++v) {
      precise vec4 pr = qs[qb + i0 + v] * tile[kb + i0 + v];
      precise vec4 sum = acc[v] + attn_flush4(pr);
      acc[v] = attn_flush4(sum);
    }
  [[unroll]] for (uint s = 4u; s > 0u; s >>= 1)
    [[unroll]] for (uint v = 0u; v < s; ++v) {
      precise vec4 sum = acc[v] + acc[v + s];
      acc[v] = attn_flush4(sum);
    }
  return qvk_add(qvk_add(acc[0].x, acc[0].z), qvk_add(acc[0].y, acc[0].w));
}

// The same sum when every nonzero |q| >= 2^-78: no flush can fire, so none is tested.
float dot_fast(uint qb, uint kb) {
  vec4 acc[8];
  [[unroll]] for (uint v = 0u; v < 8u; ++v) {
    precise vec4 pr = qs[qb + v] * tile[kb + v];
    acc[v] = attn_zero_plus4(pr);
  }
  for (uint i0 = 8u; i0 < HEAD_DIM / 4u; i0 += 8u)
    [[unroll]] for (uint v = 0u; v < 8u; ++v) {
      precise vec4 sum = acc[v] + qs[qb + i0 + v] * tile[kb + i0 + v];
      acc[v] = sum;
    }
  [[unroll]] for (uint s = 4u; s > 0u; s >>= 1)
    [[unroll]] for (uint v = 0u; v < s; ++v) {
      precise vec4 sum = acc[v] + acc[v + s];
      acc[v] = sum;
    }
  precise float total = (acc[0].x + acc[0].z) + (acc[0].y + acc[0].w);
  return total;
}

// One float of the V slice.
float tile_at(uint e) { return tile[e >> 2][e & 3u]; }

// Four consecutive positions j … j+3 of column col of the V slice.
vec4 v_column(uint j, uint col) {
  return vec4(tile_at(j * V_SLICE + col), tile_at((j + 1u) * V_SLICE + col), tile_at((j + 2u) * V_SLICE + col),
              tile_at((j + 3u) * V_SLICE + col));
}

// o_c of one element: the 64-lane tree of p_j·v_j (lane = position; absent
// positions have p = +0 and a zeroed V row, so their term is +0 as in the
// reference). a[v] holds lanes 4v … 4v+3 after level s = 32 (lane j + lane j+32);
// the rest of the tree as in dot_flushed. p of the head is sp[pb …], vec4 indices.
float pv_flushed(uint pb, uint col) {
  vec4 a[8];
  [[unroll]] for (uint v = 0u; v < 8u; ++v) {
    precise vec4 lo = sp[pb + v] * v_column(4u * v, col);
    precise vec4 hi = sp[pb + v + 8u] * v_column(4u * v + 32u, col);
    precise vec4 sum = attn_flush4(lo) + attn_flush4(hi);
    a[v] = attn_flush4(sum);
  }
  [[unroll]] for (uint s = 4u; s > 0u; s >>= 1)
    [[unroll]] for (uint v = 0u; v < s; ++v) {
      precise vec4 sum = a[v] + a[v + s];
      a[v] = attn_flush4(sum);
    }
  return qvk_add(qvk_add(a[0].x, a[0].z), qvk_add(a[0].y, a[0].w));
}

// The same tree when every nonzero p >= 2^-78.
float pv_fast(uint pb, uint col) {
  vec4 a[8];
  [[unroll]] for (uint v = 0u; v < 8u; ++v) {
    precise vec4 sum = sp[pb + v] * v_column(4u * v, col) + sp[pb + v + 8u] * v_column(4u * v + 32u, col);
    a[v] = sum;
  }
  [[unroll]] for (uint s = 4u; s > 0u; s >>= 1)
    [[unroll]] for (uint v = 0u; v < s; ++v) {
      precise vec4 sum = a[v] + a[v + s];
      a[v] = sum;
    }
  precise float total = (a[0].x + a[0].z) + (a[0].y + a[0].w);
  return total;
}

// l_c: the 64-lane tree of p_j (absent lanes +0).
float sum_p(uint pb) {
  vec4 a[8];
  [[unroll]] for (uint v = 0u; v < 8u; ++v) {
    precise vec4 sum = sp[pb + v] + sp[pb + v + 8u];
    a[v] = attn_flush4(sum);
  }
  [[unroll]] for (uint s = 4u; s > 0u; s >>= 1)
    [[unroll]] for (uint v = 0u; v < s; ++v) {
      precise vec4 sum = a[v] + a[v + s];
      a[v] = attn_flush4(sum);
    }
  return qvk_add(qvk_add(a[0].x, a[0].z), qvk_add(a[0].y, a[0].w));
}

void main() {
  const uint t = gl_LocalInvocationID.x;
  const uint g = gl_WorkGroupID.x;
  const uint c = gl_WorkGroupID.y;
  const uint c0 = c * QVK_ATTN_CHUNK;
  const uint n_pos = attn_n_pos();
  if (c0 >= n_pos) return;  // past the attended positions: write nothing (uniform per workgroup)
  const uint n = min(QVK_ATTN_CHUNK, n_pos - c0);
  const uint G = pc.group;
  const uint head0 = g * G;                       // first query head of this kv head
  const uint row_words = pc.kv_heads * (HEAD_DIM / 2u);
  const uint head_word = g * (HEAD_DIM / 2u);
  const uint part_row = attn_query() * attn_query_part_rows() + c * pc.heads + head0;  // (row, chunk c, head head0)
  const uint q0 = attn_query() * pc.heads * HEAD_DIM;  // this query row's q

  if (t == 0u) {
    tiny_q = 0u;
    tiny_p = 0u;
  }
  sync_shared();
  for (uint e = t; e < G * HEAD_DIM; e += WORKGROUP_SIZE) {
    const float x = qvk_flush(q[q0 + head0 * HEAD_DIM + e]);
    qs[e >> 2][e & 3u] = x;
    if (attn_below_fast_bound(x)) atomicOr(tiny_q, 1u);
  }

  // Scores, one K tile at a time.
  for (uint j0 = 0u; j0 < n; j0 += K_TILE) {
    const uint rows = min(K_TILE, n - j0);
    sync_shared();  // q stored; the previous tile's readers are done
    for (uint e = t; e < rows * (HEAD_DIM / 2u); e += WORKGROUP_SIZE) {
      const uint r = e / (HEAD_DIM / 2u), w = e % (HEAD_DIM / 2u);
      const uint word = k[(c0 + j0 + r) * row_words + head_word + w];
      const uint f = r * K_STRIDE + 2u * w;
      tile[f >> 2][f & 3u] = qvk_f16_bits_to_f32(word & 0xffffu);
      tile[f >> 2][(f & 3u) + 1u] = qvk_f16_bits_to_f32(word >> 16);
    }
    sync_shared();
    const bool fast = tiny_q == 0u;
    for (uint task = t; task < G * rows; task += WORKGROUP_SIZE) {
      const uint h = task / rows, r = task % rows;
      const float d = fast ? dot_fast(h * (HEAD_DIM / 4u), r * (K_STRIDE / 4u)) : dot_flushed(h * (HEAD_DIM / 4u), r * (K_STRIDE / 4u));
      const uint e = h * QVK_ATTN_CHUNK + j0 + r;
      sp[e >> 2][e & 3u] = qvk_mul(d, pc.scale);
    }
  }
  sync_shared();

  // m_c: the first score, then each later one that is greater, in position order.
  if (t < G) {
    const uint b = t * QVK_ATTN_CHUNK;
    float m = sp[b >> 2].x;
    for (uint j = 1u; j < n; ++j) {
      const float sj = sp[(b + j) >> 2][(b + j) & 3u];
      if (attn_greater(sj, m)) m = sj;
    }
    ms[t] = m;
  }
  sync_shared();

  for (uint task = t; task < G * QVK_ATTN_CHUNK; task += WORKGROUP_SIZE) {
    const uint h = task / QVK_ATTN_CHUNK, j = task % QVK_ATTN_CHUNK;
    const float p = j < n ? qvk_exp(qvk_sub(sp[task >> 2][task & 3u], ms[h])) : 0.0;
    sp[task >> 2][task & 3u] = p;
    if (attn_below_fast_bound(p)) atomicOr(tiny_p, 1u);
  }
  sync_shared();

  if (t < G) {
    part_ml[(part_row + t) * 2u] = ms[t];
    part_ml[(part_row + t) * 2u + 1u] = sum_p(t * (QVK_ATTN_CHUNK / 4u));
  }

  // o_c, one V slice of V_SLICE elements at a time.
  const bool pfast = tiny_p == 0u;
  for (uint i0 = 0u; i0 < HEAD_DIM; i0 += V_SLICE) {
    sync_shared();  // the previous slice's (or the K tile's) readers are done
    for (uint e = t; e < QVK_ATTN_CHUNK * (V_SLICE / 2u); e += WORKGROUP_SIZE) {
      const uint j = e / (V_SLICE / 2u), w = e % (V_SLICE / 2u);
      float lo = 0.0, hi = 0.0;  // absent positions: a zero row, so p·v = +0
      if (j < n) {
        const uint word = v[(c0 + j) * row_words + head_word + i0 / 2u + w];
        lo = qvk_f16_bits_to_f32(word & 0xffffu);
        hi = qvk_f16_bits_to_f32(word >> 16);
      }
      const uint f = j * V_SLICE + 2u * w;
      tile[f >> 2][f & 3u] = lo;
      tile[f >> 2][(f & 3u) + 1u] = hi;
    }
    sync_shared();
    for (uint task = t; task < G * V_SLICE; task += WORKGROUP_SIZE) {
      const uint h = task / V_SLICE, i = task % V_SLICE;
      const float o = pfast ? pv_fast(h * (QVK_ATTN_CHUNK / 4u), i) : pv_flushed(h * (QVK_ATTN_CHUNK / 4u), i);
      part_o[(part_row + h) * HEAD_DIM + i0 + i] = o;
    }
  }
}
