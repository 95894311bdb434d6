#version 450
// shaders/attention_rows.comp — pass 1 of attention for a run of query rows:
// every (row, chunk, head) partial of AttentionChunks, for a block of 16 query
// vectors of one kv head per workgroup. The order of every float op is the
// contract of include/qvk/ops/attention.hpp; the mapping is described in
// include/qvk/ops/attention_rows.hpp. Prelude: WORKGROUP_SIZE (128), HEAD_DIM
// (128), QVECS (16), K_TILE (32), V_SLICE (64), Q_STRIDE, pc.{heads, kv_heads,
// group, n_pos, scale, capacity, queries}, buffers q, k, v, part_ml, part_o.
#extension GL_GOOGLE_include_directive : require
#extension GL_EXT_control_flow_attributes : require

#include "prelude.glsl"
#include "numerics.glsl"
#include "attention.glsl"

// Words each thread stages per K tile or V slice (both 2,048 words).
const uint STAGE_WORDS = K_TILE * (HEAD_DIM / 2u) / WORKGROUP_SIZE;
const uint TILE_VEC4 = K_TILE * (HEAD_DIM / 4u) > QVK_ATTN_CHUNK * V_SLICE / 4u ? K_TILE * (HEAD_DIM / 4u)
                                                                                : QVK_ATTN_CHUNK * V_SLICE / 4u;

shared vec4 qs[QVECS * Q_STRIDE];  // q, flushed: [vector][lane], component t = dim lane + 32t
shared vec4 tile[TILE_VEC4];       // K tile [position][lane] as qs, or V slice [leaf][V_SLICE] f32
shared vec4 sp[QVECS * 16u];       // s_j, then p_j: [vector][leaf], leaf k = bitrev6(j)
shared float ms[QVECS];            // m_c per vector
shared uint cnt[QVECS];            // positions of the chunk the vector attends (0: idle)
shared uint q_at[QVECS];           // where the vector's q starts (floats); 0 for vectors past the last row
shared uint part_at[QVECS];        // its partials row (row, chunk, head)
shared float seg_m[QVECS * 16u];   // per vector, per 4 positions: the first greatest present score (NaN: none)
shared uint tiny_q, tiny_p;        // a value below the fast-path bound was seen

void sync_shared() {
  memoryBarrierShared();
  barrier();
}

// NaN, decided on the bits (no compiler may assume it away). A segment with no
// present non-NaN score records NaN.
bool is_nan(float x) { return (floatBitsToUint(x) & 0x7fffffffu) > 0x7f800000u; }
const uint NONE_BITS = 0x7fc00000u;

uint bitrev6(uint j) { return bitfieldReverse(j) >> 26; }
uint bitrev5(uint j) { return bitfieldReverse(j) >> 27; }

float sp_at(uint e) { return sp[e >> 2][e & 3u]; }
void sp_set(uint e, float x) { sp[e >> 2][e & 3u] = x; }
float tile_at(uint e) { return tile[e >> 2][e & 3u]; }
void tile_set(uint e, float x) { tile[e >> 2][e & 3u] = x; }

// a + b, flushed (numerics::add) or not (the fast paths, where no flush can fire).
vec4 add4(vec4 a, vec4 b, bool flushed) {
  precise vec4 s = a + b;
  return flushed ? attn_flush4(s) : s;
}

// q·k of vector x against tile rows jb … jb+3 (component s: row jb + s), before
// the scale. Lane l's sum is ((+0 + q_l k_l) + q_{l+32} k_{l+32}) + … in order,
// then the 32-lane tree: lanes visited in bit-reversed order, finished siblings
// merged on the stack st (st[i] holds a pending left subtree of 2^i lanes).
vec4 dot4(uint x, uint jb, const bool flushed) {
  vec4 st[5];
  vec4 res = vec4(0.0);
  // Eight lanes per iteration, the iterations rolled (the stack's branches on
  // bits 3 and 4 of i become dynamic). Less code, and faster: with pv8 rolled
  // the same way, 6–7 % at 1,793 positions and 17 % at 1 on the H100
  // (docs/perf.md, session 13).
  [[dont_unroll]] for (uint i4 = 0u; i4 < 32u; i4 += 8u) [[unroll]] for (uint ii = 0u; ii < 8u; ++ii) {
    const uint i = i4 + ii, lane = bitrev5(i);
    const vec4 qv = qs[x * Q_STRIDE + lane];
    const vec4 k0 = tile[(jb + 0u) * 32u + lane], k1 = tile[(jb + 1u) * 32u + lane],
               k2 = tile[(jb + 2u) * 32u + lane], k3 = tile[(jb + 3u) * 32u + lane];
    precise vec4 p0 = vec4(k0.x, k1.x, k2.x, k3.x) * qv.x;
    precise vec4 p1 = vec4(k0.y, k1.y, k2.y, k3.y) * qv.y;
    precise vec4 p2 = vec4(k0.z, k1.z, k2.z, k3.z) * qv.z;
    precise vec4 p3 = vec4(k0.w, k1.w, k2.w, k3.w) * qv.w;
    vec4 a;
    if (flushed) {
      a = attn_zero_plus4(attn_flush4(p0));
      a = add4(a, attn_flush4(p1), true);
      a = add4(a, attn_flush4(p2), true);
      a = add4(a, attn_flush4(p3), true);
    } else {
      a = attn_zero_plus4(p0);
      precise vec4 a1 = a + p1;
      precise vec4 a2 = a1 + p2;
      precise vec4 a3 = a2 + p3;
      a = a3;
    }
    // Merge with every finished left sibling: one per trailing 1 bit of i.
    if ((i & 1u) == 0u) { st[0] = a; continue; }
    a = add4(st[0], a, flushed);
    if ((i & 2u) == 0u) { st[1] = a; continue; }
    a = add4(st[1], a, flushed);
    if ((i & 4u) == 0u) { st[2] = a; continue; }
    a = add4(st[2], a, flushed);
    if ((i & 8u) == 0u) { st[3] = a; continue; }
    a = add4(st[3], a, flushed);
    if ((i & 16u) == 0u) { st[4] = a; continue; }
    res = add4(st[4], a, flushed);  // i == 31: the root
  }
  return res;
}

// o_c of element i0 + i for vectors xb … xb+7 (component u of the pair: vector
// xb + u): leaves k = 0 … 63 in order (position bitrev6(k)), one product per
// leaf, merged on a 6-entry stack: the 64-lane tree. masked: a leaf whose
// position the vector does not attend is +0 (rows past a vector's count may
// hold another vector's keys); unmasked only when every vector attends all 64.
void pv8(uint xb, uint i, const bool flushed, const bool masked, uvec4 n_lo, uvec4 n_hi, out vec4 out_lo,
         out vec4 out_hi) {
  vec4 st_lo[6], st_hi[6];
  out_lo = vec4(0.0);
  out_hi = vec4(0.0);
  // 16 leaves per iteration, the iterations rolled (as dot4's lanes).
  [[dont_unroll]] for (uint k16 = 0u; k16 < 16u; k16 += 4u) [[unroll]] for (uint kk = 0u; kk < 4u; ++kk) {
    const uint k4 = k16 + kk;
    vec4 p[8];
    [[unroll]] for (uint u = 0u; u < 8u; ++u) p[u] = sp[(xb + u) * 16u + k4];
    [[unroll]] for (uint e = 0u; e < 4u; ++e) {
      const uint k = 4u * k4 + e;
      const float vv = tile_at(k * V_SLICE + i);
      precise vec4 lo = vec4(p[0][e], p[1][e], p[2][e], p[3][e]) * vv;
      precise vec4 hi = vec4(p[4][e], p[5][e], p[6][e], p[7][e]) * vv;
      if (flushed) {
        lo = attn_flush4(lo);
        hi = attn_flush4(hi);
      }
      if (masked) {
        const uint j = bitrev6(k);
        lo = mix(vec4(0.0), lo, lessThan(uvec4(j), n_lo));
        hi = mix(vec4(0.0), hi, lessThan(uvec4(j), n_hi));
      }
      if ((k & 1u) == 0u) { st_lo[0] = lo; st_hi[0] = hi; continue; }
      lo = add4(st_lo[0], lo, flushed); hi = add4(st_hi[0], hi, flushed);
      if ((k & 2u) == 0u) { st_lo[1] = lo; st_hi[1] = hi; continue; }
      lo = add4(st_lo[1], lo, flushed); hi = add4(st_hi[1], hi, flushed);
      if ((k & 4u) == 0u) { st_lo[2] = lo; st_hi[2] = hi; continue; }
      lo = add4(st_lo[2], lo, flushed); hi = add4(st_hi[2], hi, flushed);
      if ((k & 8u) == 0u) { st_lo[3] = lo; st_hi[3] = hi; continue; }
      lo = add4(st_lo[3], lo, flushed); hi = add4(st_hi[3], hi, flushed);
      if ((k & 16u) == 0u) { st_lo[4] = lo; st_hi[4] = hi; continue; }
      lo = add4(st_lo[4], lo, flushed); hi = add4(st_hi[4], hi, flushed);
      if ((k & 32u) == 0u) { st_lo[5] = lo; st_hi[5] = hi; continue; }
      out_lo = add4(st_lo[5], lo, flushed);  // k == 63: the root
      out_hi = add4(st_hi[5], hi, flushed);
    }
  }
}

// Query vector f of the flattened (row, head-in-group) range: its row.
uint vec_row(uint f) { return f / pc.group; }
// Its partials row (row, chunk c, head).
uint vec_part_row(uint f, uint g, uint c) {
  return vec_row(f) * attn_query_part_rows() + c * pc.heads + g * pc.group + f % pc.group;
}

void main() {
  const uint t = gl_LocalInvocationID.x;
  const uint g = gl_WorkGroupID.x;
  const uint c = gl_WorkGroupID.y;
  const uint f0 = gl_WorkGroupID.z * QVECS;
  const uint c0 = c * QVK_ATTN_CHUNK;
  const uint n_vec = pc.queries * pc.group;
  const uint f_last = min(f0 + QVECS, n_vec) - 1u;
  // Counts grow with the row: the block's last vector attends the most.
  const uint count_last = attn_n_pos_row(vec_row(f_last));
  if (c0 >= count_last) return;  // no vector attends the chunk (uniform per workgroup)
  const uint n_max = min(QVK_ATTN_CHUNK, count_last - c0);
  const bool full = attn_n_pos_row(vec_row(f0)) >= c0 + QVK_ATTN_CHUNK;  // every vector attends all 64
  const uint row_words = pc.kv_heads * (HEAD_DIM / 2u);
  const uint head_word = g * (HEAD_DIM / 2u);

  if (t < QVECS) {
    const uint f = f0 + t;
    uint n = 0u, qa = 0u, pa = 0u;
    if (f < n_vec) {
      const uint count = attn_n_pos_row(vec_row(f));
      n = c0 < count ? min(QVK_ATTN_CHUNK, count - c0) : 0u;
      qa = (vec_row(f) * pc.heads + g * pc.group + f % pc.group) * HEAD_DIM;
      pa = vec_part_row(f, g, c);
    }
    cnt[t] = n;
    q_at[t] = qa;
    part_at[t] = pa;
  }
  if (t == 0u) {
    tiny_q = 0u;
    tiny_p = 0u;
  }
  sync_shared();
  // q of the block, flushed; vectors past the last row are zeros. Thread t
  // loads dim t of every vector, all loads issued before any is used (the
  // staging loops are latency-bound otherwise).
  {
    float qv[QVECS];
    [[unroll]] for (uint x = 0u; x < QVECS; ++x) qv[x] = f0 + x < n_vec ? q[q_at[x] + t] : 0.0;
    [[unroll]] for (uint x = 0u; x < QVECS; ++x) {
      const float val = qvk_flush(qv[x]);
      if (cnt[x] != 0u && attn_below_fast_bound(val)) atomicOr(tiny_q, 1u);
      qs[x * Q_STRIDE + t % 32u][t / 32u] = val;
    }
  }

  // Scores, one K tile at a time; thread t: vector t % 16, tile rows 4(t / 16) … +3.
  const uint xs = t % QVECS, jt = 4u * (t / QVECS);
  for (uint j0 = 0u; j0 < n_max; j0 += K_TILE) {
    sync_shared();  // q stored; the previous tile's readers are done
    uint kw[STAGE_WORDS];
    [[unroll]] for (uint u = 0u; u < STAGE_WORDS; ++u) {
      const uint e = t + u * WORKGROUP_SIZE, r = e / (HEAD_DIM / 2u), w = e % (HEAD_DIM / 2u);
      kw[u] = j0 + r < n_max ? k[(c0 + j0 + r) * row_words + head_word + w] : 0u;
    }
    [[unroll]] for (uint u = 0u; u < STAGE_WORDS; ++u) {
      const uint e = t + u * WORKGROUP_SIZE, r = e / (HEAD_DIM / 2u), d = 2u * (e % (HEAD_DIM / 2u));
      // dims d and d + 1: lanes d % 32 and d % 32 + 1, term d / 32
      tile[r * 32u + d % 32u][d / 32u] = qvk_f16_bits_to_f32(kw[u] & 0xffffu);
      tile[r * 32u + d % 32u + 1u][d / 32u] = qvk_f16_bits_to_f32(kw[u] >> 16);
    }
    sync_shared();
    const vec4 d4 = tiny_q == 0u ? dot4(xs, jt, false) : dot4(xs, jt, true);
    // The scores, and the first greatest present non-NaN one of these 4 positions.
    float sm = uintBitsToFloat(NONE_BITS);
    [[unroll]] for (uint s = 0u; s < 4u; ++s) {
      const uint j = j0 + jt + s;
      const float sc = qvk_mul(d4[s], pc.scale);
      sp_set(xs * QVK_ATTN_CHUNK + bitrev6(j), sc);
      if (j < cnt[xs] && !is_nan(sc) && (is_nan(sm) || attn_greater(sc, sm))) sm = sc;
    }
    seg_m[xs * 16u + (j0 + jt) / 4u] = sm;
  }
  sync_shared();

  // m_c = s_0, then each later score that is greater, in position order: NaN
  // when s_0 is NaN (no score is greater than NaN), else the first greatest
  // non-NaN score, which is the in-order fold of the segments' first greatest.
  if (t < QVECS) {
    const uint n = cnt[t];
    float m = 0.0;
    if (n != 0u) {
      m = sp_at(t * QVK_ATTN_CHUNK);
      // All 16 segments loaded at once, the fold over the present ones: a
      // loop over the count issued one dependent shared load per segment
      // (~6 % of the op at 1,793 positions on the H100, docs/perf.md session 14).
      float sv[16];
      [[unroll]] for (uint sg = 0u; sg < 16u; ++sg) sv[sg] = seg_m[t * 16u + sg];
      const uint n_seg = (n + 3u) / 4u;
      if (!is_nan(m))
        [[unroll]] for (uint sg = 0u; sg < 16u; ++sg)
          if (sg < n_seg && !is_nan(sv[sg]) && attn_greater(sv[sg], m)) m = sv[sg];
    }
    ms[t] = m;
  }
  sync_shared();

  for (uint e = t; e < QVECS * QVK_ATTN_CHUNK; e += WORKGROUP_SIZE) {
    const uint x = e / QVK_ATTN_CHUNK, j = bitrev6(e % QVK_ATTN_CHUNK);
    const float p = j < cnt[x] ? qvk_exp(qvk_sub(sp_at(e), ms[x])) : 0.0;
    sp_set(e, p);
    if (attn_below_fast_bound(p)) atomicOr(tiny_p, 1u);
  }
  sync_shared();

  // (m_c, l_c): l_c is the 64-lane tree of p, adjacent leaves first.
  if (t < QVECS && cnt[t] != 0u) {
    float a[16];
    [[unroll]] for (uint v = 0u; v < 16u; ++v) {
      const vec4 p = sp[t * 16u + v];
      a[v] = qvk_add(qvk_add(p.x, p.y), qvk_add(p.z, p.w));
    }
    [[unroll]] for (uint s = 1u; s < 16u; s <<= 1)
      [[unroll]] for (uint v = 0u; v < 16u; v += 2u * s) a[v] = qvk_add(a[v], a[v + s]);
    part_ml[part_at[t] * 2u] = ms[t];
    part_ml[part_at[t] * 2u + 1u] = a[0];
  }

  // o_c, one V slice at a time; thread t: element t % 64 of vectors 8(t / 64) … +7.
  const uint xb = 8u * (t / V_SLICE), i = t % V_SLICE;
  const uvec4 n_lo = uvec4(cnt[xb], cnt[xb + 1u], cnt[xb + 2u], cnt[xb + 3u]);
  const uvec4 n_hi = uvec4(cnt[xb + 4u], cnt[xb + 5u], cnt[xb + 6u], cnt[xb + 7u]);
  const bool pflushed = tiny_p != 0u;
  for (uint i0 = 0u; i0 < HEAD_DIM; i0 += V_SLICE) {
    sync_shared();  // the previous slice's (or the K tile's) readers are done
    uint vw[STAGE_WORDS];
    [[unroll]] for (uint u = 0u; u < STAGE_WORDS; ++u) {
      const uint e = t + u * WORKGROUP_SIZE, j = e / (V_SLICE / 2u), w = e % (V_SLICE / 2u);
      vw[u] = j < n_max ? v[(c0 + j) * row_words + head_word + i0 / 2u + w] : 0u;
    }
    [[unroll]] for (uint u = 0u; u < STAGE_WORDS; ++u) {
      const uint e = t + u * WORKGROUP_SIZE, j = e / (V_SLICE / 2u), w = e % (V_SLICE / 2u);
      const uint fl = bitrev6(j) * V_SLICE + 2u * w;
      tile_set(fl, qvk_f16_bits_to_f32(vw[u] & 0xffffu));
      tile_set(fl + 1u, qvk_f16_bits_to_f32(vw[u] >> 16));
    }
    sync_shared();
    vec4 o_lo, o_hi;
    if (pflushed)
      pv8(xb, i, true, true, n_lo, n_hi, o_lo, o_hi);
    else if (full)
      pv8(xb, i, false, false, n_lo, n_hi, o_lo, o_hi);
    else
      pv8(xb, i, false, true, n_lo, n_hi, o_lo, o_hi);
    [[unroll]] for (uint u = 0u; u < 8u; ++u) {
      const uint x = xb + u;
      if (cnt[x] != 0u) part_o[part_at[x] * HEAD_DIM + i0 + i] = u < 4u ? o_lo[u] : o_hi[u - 4u];
    }
  }
}
