#version 450
// shaders/gemv.comp — y[r] = W[r,:]·x for one vector, W in its GGUF bytes. The
// contract (terms, lane order, thread mapping) is the header comment of
// include/qvk/ops/gemv.hpp; the prelude comes from that descriptor:
// QVK_WTYPE, QVK_INT_DOT, WORKGROUP_SIZE, ROWS, LANES [, BLOCK_THREADS, ITEMS],
// pc.{rows, cols}, buffers w, act (quantized) or x (float), y.
#extension GL_GOOGLE_include_directive : require
#extension GL_EXT_spirv_intrinsics : enable

#include "prelude.glsl"
#include "numerics.glsl"
#include "weights.glsl"

#define QVK_FLOAT_W (QVK_WTYPE == QVK_TYPE_F32 || QVK_WTYPE == QVK_TYPE_F16 || QVK_WTYPE == QVK_TYPE_BF16)

// Wider views of the same bindings (all read-only, so the aliasing is harmless).
layout(set = 0, binding = 0, std430) restrict readonly buffer Buf_w4 { uvec4 w4[]; };
#if QVK_FLOAT_W
layout(set = 0, binding = 0, std430) restrict readonly buffer Buf_w2 { uvec2 w2[]; };
layout(set = 0, binding = 1, std430) restrict readonly buffer Buf_x4 { vec4 x4[]; };
layout(set = 0, binding = 1, std430) restrict readonly buffer Buf_x2 { vec2 x2[]; };
#else
layout(set = 0, binding = 1, std430) restrict readonly buffer Buf_act4 { uvec4 act4[]; };
#endif

// The LANES logical lanes of each of the ROWS rows, then the canonical tree.
shared float s_lanes[ROWS * LANES];

uint workgroup_index() { return gl_WorkGroupID.x + gl_WorkGroupID.y * gl_NumWorkGroups.x; }

// Pairwise tree per row (s = LANES/2, …, 1: lane[i] += lane[i+s]), then y.
// One thread per row runs the whole tree in registers: the same adds in the
// same order as a tree across threads, without a barrier per level (five
// barriers with most threads idle measured as a large share of a GEMV's tail).
// Called in uniform control flow after a barrier that published s_lanes.
void lane_tree_and_store(uint row0) {
  for (uint r = gl_LocalInvocationID.x; r < ROWS; r += WORKGROUP_SIZE) {
    float v[32];  // LANES == 32 (gemv.hpp asserts it); a spec-constant size would live in local memory
    for (uint i = 0u; i < LANES; ++i) v[i] = s_lanes[r * LANES + i];
    for (uint s = LANES / 2u; s > 0u; s >>= 1)
      for (uint i = 0u; i < s; ++i) v[i] = qvk_add(v[i], v[i + s]);
    if (row0 + r < pc.rows) y[row0 + r] = qvk_canonical_nan(v[0]);
  }
}

#if !QVK_FLOAT_W
// ---------------------------------------------------------------- quantized W
#if QVK_WTYPE == QVK_TYPE_Q8_0 || QVK_WTYPE == QVK_TYPE_Q4_0
#define QVK_BLOCK 32u
#else
#define QVK_BLOCK 256u
#endif
#define QVK_HAS_MINS (QVK_WTYPE == QVK_TYPE_Q4_K || QVK_WTYPE == QVK_TYPE_Q5_K)

const uint P = BLOCK_THREADS;           // threads sharing a block
const uint NTG = WORKGROUP_SIZE / P;    // thread groups
const uint CHUNK_ITEMS = NTG * ITEMS;   // (row, block) items per chunk
const uint KC = CHUNK_ITEMS / ROWS;     // blocks of each row per chunk

// The split mapping's exchange (one element each under the owner mapping, which has none).
const uint SPLIT_ITEMS = OWNER == 1u ? 1u : WORKGROUP_SIZE * ITEMS;
const uint SPLIT_CHUNK = OWNER == 1u ? 1u : CHUNK_ITEMS;
shared int s_pa[SPLIT_ITEMS];   // [item][p]: partial integer sums A
shared float s_d[SPLIT_CHUNK];  // weight scale d per item
#if QVK_HAS_MINS
shared int s_pb[SPLIT_ITEMS];   // [item][p]: partial integer sums B (mins)
shared float s_dmin[SPLIT_CHUNK];
#endif

// Activation layout (ops::ActLayout): codes at word 0, then d, sums, [sums16].
uint act_d_word() { return pc.cols / 4u; }
uint act_sums_word() { return pc.cols / 4u + pc.cols / QVK_BLOCK; }
uint act_sums16_word() { return pc.cols / 4u + 9u * (pc.cols / QVK_BLOCK); }

#if QVK_WTYPE == QVK_TYPE_Q8_0
// 34 bytes: f16 d, 32 int8 codes. Thread p: code words W·p … W·p+W−1.
const uint W = 8u / P;
ivec2 block_part(uint blk, uint k, uint p) {
  uint q[8];
  qvk_w_run(blk * 34u + 2u + 4u * W * p, W, q);
  int s = 0;
  for (uint n = 0u; n < W; ++n) s += qvk_dot4(q[n], act[8u * k + W * p + n]);
  return ivec2(s, 0);
}
vec2 block_scales(uint blk) { return vec2(qvk_f16_bits_to_f32(qvk_w_u16(blk * 34u)), 0.0); }

#elif QVK_WTYPE == QVK_TYPE_Q4_0
// 18 bytes: f16 d, 16 bytes (byte j: element j low nibble, j+16 high). Σ nib·c here;
// the −8·Σc of the codes' offset is applied with the block's activation sum.
const uint W = 4u / P;
ivec2 block_part(uint blk, uint k, uint p) {
  uint q[8];
  qvk_w_run(blk * 18u + 2u + 4u * W * p, W, q);
  int s = 0;
  for (uint n = 0u; n < W; ++n) {
    const uint u = W * p + n;
    s += qvk_dot4(q[n] & 0x0f0f0f0fu, act[8u * k + u]) + qvk_dot4((q[n] >> 4) & 0x0f0f0f0fu, act[8u * k + 4u + u]);
  }
  return ivec2(s, 0);
}
vec2 block_scales(uint blk) { return vec2(qvk_f16_bits_to_f32(qvk_w_u16(blk * 18u)), 0.0); }

#elif QVK_WTYPE == QVK_TYPE_Q4_K || QVK_WTYPE == QVK_TYPE_Q5_K
// Q4_K 144 bytes (9 uvec4): d|dmin, 12 scale bytes, 128 bytes qs. Q5_K 176 bytes
// (11 uvec4): the same header, 32 bytes qh, 128 bytes qs. Part pp (8 per
// block) = 16 qs bytes 32c + 16(pp&1) …: the low nibbles are elements
// 64c + 16(pp&1) + 0..15 (sub-block 2c), the high ones the same +32 (2c+1).
const uint NP = 8u / P;
#if QVK_WTYPE == QVK_TYPE_Q4_K
const uint BLOCK_VEC4 = 9u;
#else
const uint BLOCK_VEC4 = 11u;
#endif
ivec2 block_part(uint blk, uint k, uint p) {
  const uint b4 = blk * BLOCK_VEC4;
  const uvec4 h = w4[b4];
  const uint sums = act_sums_word() + 8u * k;
  int A = 0, B = 0;
  for (uint n = 0u; n < NP; ++n) {
    const uint pp = NP * p + n;
    const uint c = pp >> 1;
    const uvec2 lo = qvk_k_scale_min(2u * c, h.y, h.z, h.w);
    const uvec2 hi = qvk_k_scale_min(2u * c + 1u, h.y, h.z, h.w);
#if QVK_WTYPE == QVK_TYPE_Q4_K
    const uvec4 q = w4[b4 + 1u + pp];
    const uvec4 qlo = q & 0x0f0f0f0fu, qhi = (q >> 4) & 0x0f0f0f0fu;
#else
    const uvec4 qh = w4[b4 + 1u + (pp & 1u)];
    const uvec4 q = w4[b4 + 3u + pp];
    const uvec4 qlo = (q & 0x0f0f0f0fu) | (((qh >> (2u * c)) & 0x01010101u) << 4);
    const uvec4 qhi = ((q >> 4) & 0x0f0f0f0fu) | (((qh >> (2u * c + 1u)) & 0x01010101u) << 4);
#endif
    const uint a4 = 16u * k + 4u * c + (pp & 1u);
    A += int(lo.x) * qvk_dot16(qlo, act4[a4]) + int(hi.x) * qvk_dot16(qhi, act4[a4 + 2u]);
    if ((pp & 1u) == 0u) B += int(lo.y) * int(act[sums + 2u * c]) + int(hi.y) * int(act[sums + 2u * c + 1u]);
  }
  return ivec2(A, B);
}
vec2 block_scales(uint blk) {
  const uint h = w[blk * BLOCK_VEC4 * 4u];
  return vec2(qvk_f16_bits_to_f32(h & 0xffffu), qvk_f16_bits_to_f32(h >> 16));
}

#elif QVK_WTYPE == QVK_TYPE_Q6_K
// 210 bytes: ql[128], qh[64], int8 scales[16], f16 d. Unit u (16 per block):
// half h = u/8, positions l = 4(u%8) … +3, and the four quadrants qd: elements
// 128h + 32qd + l, codes (ql[64h + 32(qd&1) + l] >> 4(qd>>1)) & 15 |
// ((qh[32h + l] >> 2qd) & 3) << 4 in [0, 63]; sub-block 8h + 2qd + l/16.
// Σ (q−32)·c = Σ q·c − 32·sums16, the latter added by the unit with l%16 == 0.
const uint NU = 16u / P;
ivec2 block_part(uint blk, uint k, uint p) {
  const uint base = blk * 210u;
  const uint s16 = act_sums16_word() + 16u * k;
  int A = 0;
  for (uint r0 = 0u; r0 < NU; r0 += 8u) {
    const uint u0 = NU * p + r0;
    const uint len = min(NU - r0, 8u);
    const uint h = u0 >> 3, l0 = 4u * (u0 & 7u);
    uint ql0[8], ql1[8], qh[8], sw[8];
    qvk_w_run(base + 64u * h + l0, len, ql0);
    qvk_w_run(base + 64u * h + 32u + l0, len, ql1);
    qvk_w_run(base + 128u + 32u * h + l0, len, qh);
    qvk_w_run(base + 192u + 8u * h, 2u, sw);
    for (uint n = 0u; n < 8u; ++n) {
      if (n >= len) break;
      const uint l = l0 + 4u * n;
      const uint a = 64u * k + 32u * h + (l >> 2);
      for (uint qd = 0u; qd < 4u; ++qd) {
        const uint src = (qd & 1u) == 0u ? ql0[n] : ql1[n];
        const uint q = ((src >> (4u * (qd >> 1))) & 0x0f0f0f0fu) | (((qh[n] >> (2u * qd)) & 0x03030303u) << 4);
        const uint sb = 2u * qd + (l >> 4);  // sub-block within the half
        const int sc = bitfieldExtract(int(sw[sb >> 2]), int(8u * (sb & 3u)), 8);
        int s = qvk_dot4(q, act[a + 8u * qd]);
        if ((l & 15u) == 0u) s -= 32 * int(act[s16 + 8u * h + sb]);
        A += sc * s;
      }
    }
  }
  return ivec2(A, 0);
}
vec2 block_scales(uint blk) { return vec2(qvk_f16_bits_to_f32(qvk_w_u16(blk * 210u + 208u)), 0.0); }
#endif

// The float term of block k (ref/block_dot.hpp), from the complete integer parts.
float block_term(uint k, int A, int B, float d, float dmin) {
  const float da = uintBitsToFloat(act[act_d_word() + k]);
#if QVK_WTYPE == QVK_TYPE_Q8_0
  return qvk_mul(qvk_mul(da, d), float(A));
#elif QVK_WTYPE == QVK_TYPE_Q4_0
  const int s = A - 8 * int(act[act_sums_word() + k]);
  return qvk_mul(qvk_mul(da, d), float(s));
#elif QVK_HAS_MINS
  return qvk_mul(da, qvk_sub(qvk_mul(d, float(A)), qvk_mul(dmin, float(B))));
#else
  return qvk_mul(da, qvk_mul(d, float(A)));
#endif
}

// Owner mapping (gemv.hpp): thread t adds the whole blocks of lane t % LANES of
// ITEMS consecutive rows in registers; rows past the matrix read its last row.
void main_owner() {
  const uint t = gl_LocalInvocationID.x;
  const uint row0 = workgroup_index() * ROWS;
  if (row0 >= pc.rows) return;  // the 2-D grid's spare workgroups (uniform)
  const uint l = t % LANES, g = t / LANES;
  const uint nb = pc.cols / QVK_BLOCK;
  const uint rowa = row0 + g * ITEMS, last = pc.rows - 1u;
  float acc[8];  // ITEMS <= 8 (gemv.hpp)
  for (uint i = 0u; i < ITEMS; ++i) acc[i] = 0.0;
  for (uint k = l; k < nb; k += LANES) {
    for (uint i = 0u; i < ITEMS; ++i) {
      const uint blk = min(rowa + i, last) * nb + k;
      const ivec2 part = block_part(blk, k, 0u);
      const vec2 sc = block_scales(blk);
      acc[i] = qvk_add(acc[i], block_term(k, part.x, part.y, sc.x, sc.y));
    }
  }
  for (uint i = 0u; i < ITEMS; ++i) s_lanes[(g * ITEMS + i) * LANES + l] = acc[i];
  memoryBarrierShared();
  barrier();
  lane_tree_and_store(row0);
}

void main() {
  if (OWNER == 1u) {
    main_owner();
    return;
  }
  const uint t = gl_LocalInvocationID.x;
  const uint row0 = workgroup_index() * ROWS;
  if (row0 >= pc.rows) return;  // the 2-D grid's spare workgroups (uniform)
  const uint rows = pc.rows;
  const uint nb = pc.cols / QVK_BLOCK;
  for (uint i = t; i < ROWS * LANES; i += WORKGROUP_SIZE) s_lanes[i] = 0.0;
  const uint g = t / P, p = t % P;

  for (uint k0 = 0u; k0 < nb; k0 += KC) {
    // (A) integer partials of this thread's part of its ITEMS blocks. Items past
    // the row or the matrix read a clamped (valid) block and store zeros: no
    // branch around the loads, so every item's loads can be in flight at once.
    for (uint m = 0u; m < ITEMS; ++m) {
      const uint item = g + NTG * m;
      const uint k = k0 + item / ROWS, row = row0 + item % ROWS;
      const bool live = k < nb && row < rows;
      const uint kc = min(k, nb - 1u);
      const uint blk = min(row, rows - 1u) * nb + kc;
      ivec2 part = block_part(blk, kc, p);
      vec2 sc = block_scales(blk);
      if (!live) {
        part = ivec2(0);
        sc = vec2(0.0);
      }
      s_pa[item * P + p] = part.x;
#if QVK_HAS_MINS
      s_pb[item * P + p] = part.y;
#endif
      if (p == 0u) {
        s_d[item] = sc.x;
#if QVK_HAS_MINS
        s_dmin[item] = sc.y;
#endif
      }
    }
    memoryBarrierShared();
    barrier();
    // (B) one thread per (row, lane of the chunk): the lane's blocks in order.
    const uint jb = min(KC, LANES);
    for (uint q = t; q < ROWS * jb; q += WORKGROUP_SIZE) {
      const uint r = q % ROWS, j = q / ROWS;
      if (row0 + r >= rows) continue;
      const uint lane = (k0 + j) % LANES;
      float acc = s_lanes[r * LANES + lane];
      for (uint i = j; i < KC && k0 + i < nb; i += LANES) {
        const uint item = i * ROWS + r;
        int A = 0, B = 0;
        for (uint pp = 0u; pp < P; ++pp) {
          A += s_pa[item * P + pp];
#if QVK_HAS_MINS
          B += s_pb[item * P + pp];
#endif
        }
#if QVK_HAS_MINS
        const float dmin = s_dmin[item];
#else
        const float dmin = 0.0;
#endif
        acc = qvk_add(acc, block_term(k0 + i, A, B, s_d[item], dmin));
      }
      s_lanes[r * LANES + lane] = acc;
    }
    memoryBarrierShared();
    barrier();
  }
  lane_tree_and_store(row0);
}

#else
// ---------------------------------------------------------------- float W
#if QVK_WTYPE == QVK_TYPE_F32
// F32 keeps the first mapping (ITEMS is not used): workgroup/rows threads per
// row, each owning 32/(that) consecutive lanes, 4 vectors of up to 16 bytes in
// flight. The F16/BF16 mapping below measured ~35% slower for F32 at 4,096 rows
// on the H100 (cause not found).
const uint TPR = WORKGROUP_SIZE / ROWS;  // threads per row
const uint LPT = LANES / TPR;            // consecutive lanes per thread
const uint V = LPT < 4u ? LPT : 4u;      // elements per load (at most 16 bytes)

// V weights starting at element gi of the matrix (not flushed).
void load_w(uint gi, out float v[8]) {
  if (V == 4u) {
    const uvec4 q = w4[gi >> 2];
    v[0] = uintBitsToFloat(q.x); v[1] = uintBitsToFloat(q.y); v[2] = uintBitsToFloat(q.z); v[3] = uintBitsToFloat(q.w);
  } else if (V == 2u) {
    const uvec2 q = w2[gi >> 1];
    v[0] = uintBitsToFloat(q.x); v[1] = uintBitsToFloat(q.y);
  } else {
    v[0] = uintBitsToFloat(w[gi]);
  }
}

// V activations starting at element e.
void load_x(uint e, out float v[8]) {
  if (V >= 4u) {
    for (uint i = 0u; i < V; i += 4u) {
      const vec4 q = x4[(e + i) >> 2];
      v[i] = q.x; v[i + 1u] = q.y; v[i + 2u] = q.z; v[i + 3u] = q.w;
    }
  } else if (V == 2u) {
    const vec2 q = x2[e >> 1];
    v[0] = q.x; v[1] = q.y;
  } else {
    v[0] = x[e];
  }
}

// Vectors of V elements a thread owns per 32 columns, and how many it loads
// before adding them (all loads of a batch are in flight together).
const uint NV = LPT / V;
const uint BATCH = NV >= 4u ? NV : 4u;  // a multiple of NV, <= 8

void main() {
  const uint t = gl_LocalInvocationID.x;
  const uint row0 = workgroup_index() * ROWS;
  if (row0 >= pc.rows) return;  // the 2-D grid's spare workgroups (uniform)
  const uint r = t / TPR, u = t % TPR, row = row0 + r;
  const uint cols = pc.cols;
  float acc[32];
  for (uint i = 0u; i < LPT; ++i) acc[i] = 0.0;
  if (row < pc.rows) {
    // Vector n = m·NV + v holds lanes u·LPT + v·V … +V−1 of columns 32m + …: lane
    // order is n order, so each lane adds its terms in increasing column order.
    for (uint n0 = 0u; u * LPT + (n0 / NV) * LANES < cols; n0 += BATCH) {
      float wb[32], xb[32];
      for (uint b = 0u; b < BATCH; ++b) {
        const uint e = u * LPT + ((n0 + b) / NV) * LANES + (b % NV) * V;
        if (e >= cols) break;  // cols is a multiple of V: vectors are whole
        float wv[8], xv[8];
        load_w(row * cols + e, wv);
        load_x(e, xv);
        for (uint c = 0u; c < V; ++c) {
          wb[b * V + c] = wv[c];
          xb[b * V + c] = xv[c];
        }
      }
      for (uint b = 0u; b < BATCH; ++b) {
        const uint e = u * LPT + ((n0 + b) / NV) * LANES + (b % NV) * V;
        if (e >= cols) break;
        for (uint c = 0u; c < V; ++c) {
          const uint l = (b % NV) * V + c;
          acc[l] = qvk_add(acc[l], qvk_mul(qvk_flush(wb[b * V + c]), qvk_flush(xb[b * V + c])));
        }
      }
    }
  }
  for (uint i = 0u; i < LPT; ++i) s_lanes[r * LANES + u * LPT + i] = acc[i];
  memoryBarrierShared();
  barrier();
  lane_tree_and_store(row0);
}

#else
// Each thread owns LPT consecutive lanes of ITEMS (RPT) consecutive rows: the
// activations it loads (and flushes) once serve RPT rows, and RPT·BATCH weight
// vectors are in flight before the first add.
const uint RPT = ITEMS;                        // rows per thread
const uint TPR = WORKGROUP_SIZE * RPT / ROWS;  // threads per row
const uint LPT = LANES / TPR;                  // consecutive lanes per thread
#if QVK_WTYPE == QVK_TYPE_F32
const uint V = LPT < 4u ? LPT : 4u;            // elements per load (at most 16 bytes)
#else
const uint V = LPT < 8u ? LPT : 8u;
#endif

// The raw words of V weights starting at element gi of the matrix (16-bit
// types: element i of the vector is half i&1 of word i>>1; V == 1: the low half).
uvec4 load_w_raw(uint gi) {
#if QVK_WTYPE == QVK_TYPE_F32
  if (V == 4u) return w4[gi >> 2];
  if (V == 2u) return uvec4(w2[gi >> 1], 0u, 0u);
  return uvec4(w[gi], 0u, 0u, 0u);
#else
  if (V == 8u) return w4[gi >> 3];
  if (V == 4u) return uvec4(w2[gi >> 2], 0u, 0u);
  if (V == 2u) return uvec4(w[gi >> 1], 0u, 0u, 0u);
  return uvec4(bitfieldExtract(w[gi >> 1], int((gi & 1u) << 4), 16), 0u, 0u, 0u);
#endif
}

// Element i (a constant after unrolling) of a raw vector; explicit swizzles, as
// a dynamic component index can put the vector in local memory.
uint raw_elem(uvec4 q, uint i) {
#if QVK_WTYPE == QVK_TYPE_F32
  return i == 0u ? q.x : i == 1u ? q.y : i == 2u ? q.z : q.w;
#else
  const uint word = i < 2u ? q.x : i < 4u ? q.y : i < 6u ? q.z : q.w;
  return (i & 1u) == 0u ? (word & 0xffffu) : (word >> 16);
#endif
}

// F16 -> f32 without a loop or branch, the same bits as qvk_f16_bits_to_f32:
// normal: exponent rebiased by +112; inf/NaN: exponent 255, payload kept;
// zero/subnormal (exponent 0): m·2^-24 = (2^-14·(1 + m/1024)) − 2^-14, both
// operands normal and the difference exact (>= 2^-24 or 0, so no flush bites).
float widen_f16(uint h) {
  const uint m = h & 0x7fffu, e = m & 0x7c00u;
  const float sub = qvk_sub(uintBitsToFloat((m << 13) + 0x38800000u), uintBitsToFloat(0x38800000u));
  const uint nb = (m << 13) + (e == 0x7c00u ? 0x70000000u : 0x38000000u);
  return uintBitsToFloat(((h & 0x8000u) << 16) | (e == 0u ? floatBitsToUint(sub) : nb));
}

// The V weights of a raw vector as flush(widen(w)), the term's first factor.
// F16: a widened f16 is 0, inf, NaN or of magnitude >= 2^-24, so the flush is
// the identity and is left out.
void widen_w(uvec4 q, out float v[8]) {
  for (uint c = 0u; c < V; ++c) {
#if QVK_WTYPE == QVK_TYPE_F32
    v[c] = qvk_flush(uintBitsToFloat(raw_elem(q, c)));
#elif QVK_WTYPE == QVK_TYPE_F16
    v[c] = widen_f16(raw_elem(q, c));
#else
    v[c] = qvk_flush(qvk_bf16_bits_to_f32(raw_elem(q, c)));
#endif
  }
}

// V activations starting at element e, flushed.
void load_x(uint e, out float v[8]) {
  if (V >= 4u) {
    for (uint i = 0u; i < V; i += 4u) {
      const vec4 q = x4[(e + i) >> 2];
      v[i] = q.x; v[i + 1u] = q.y; v[i + 2u] = q.z; v[i + 3u] = q.w;
    }
  } else if (V == 2u) {
    const vec2 q = x2[e >> 1];
    v[0] = q.x; v[1] = q.y;
  } else {
    v[0] = x[e];
  }
  for (uint c = 0u; c < V; ++c) v[c] = qvk_flush(v[c]);
}

// Vectors of V elements a thread owns per 32 columns, and how many weight
// vectors it has in flight per row and batch, with their activations (deeper
// batches and activations read at use time measured slower on the H100).
const uint NV = LPT / V;
const uint BATCH_WANT = RPT >= 2u ? 2u : 4u;
const uint BATCH = NV >= BATCH_WANT ? NV : BATCH_WANT;  // a multiple of NV; RPT·BATCH <= 16

// Register arrays have fixed sizes (spec-constant-sized ones end in local memory).
void main() {
  const uint t = gl_LocalInvocationID.x;
  const uint row0 = workgroup_index() * ROWS;
  if (row0 >= pc.rows) return;  // the 2-D grid's spare workgroups (uniform)
  const uint rg = t / TPR, u = t % TPR;
  const uint cols = pc.cols;
  float acc[32];
  for (uint i = 0u; i < RPT * LPT; ++i) acc[i] = 0.0;
  // Rows past the matrix read its last row (valid) and are never stored.
  const uint rowa = row0 + rg * RPT, last = pc.rows - 1u;
  // Vector n = m·NV + v holds lanes u·LPT + v·V … +V−1 of columns 32m + …: lane
  // order is n order, so each lane adds its terms in increasing column order.
  for (uint n0 = 0u; u * LPT + (n0 / NV) * LANES < cols; n0 += BATCH) {
    uvec4 wr[16];
    float xb[32];
    for (uint b = 0u; b < BATCH; ++b) {
      const uint e = u * LPT + ((n0 + b) / NV) * LANES + (b % NV) * V;
      if (e >= cols) break;  // cols is a multiple of V: vectors are whole
      for (uint i = 0u; i < RPT; ++i) wr[i * BATCH + b] = load_w_raw(min(rowa + i, last) * cols + e);
      float xv[8];
      load_x(e, xv);
      for (uint c = 0u; c < V; ++c) xb[b * V + c] = xv[c];
    }
    for (uint b = 0u; b < BATCH; ++b) {
      const uint e = u * LPT + ((n0 + b) / NV) * LANES + (b % NV) * V;
      if (e >= cols) break;
      for (uint i = 0u; i < RPT; ++i) {
        float wv[8];
        widen_w(wr[i * BATCH + b], wv);
        for (uint c = 0u; c < V; ++c) {
          const uint l = i * LPT + (b % NV) * V + c;
          acc[l] = qvk_add(acc[l], qvk_mul(wv[c], xb[b * V + c]));
        }
      }
    }
  }
  for (uint i = 0u; i < RPT; ++i)
    for (uint c = 0u; c < LPT; ++c) s_lanes[(rg * RPT + i) * LANES + u * LPT + c] = acc[i * LPT + c];
  memoryBarrierShared();
  barrier();
  lane_tree_and_store(row0);
}
#endif  // F32
#endif
