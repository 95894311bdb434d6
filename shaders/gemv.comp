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
    float v[32];
    for (uint i = 0u; i < 32u; ++i) v[i] = s_lanes[r * LANES + i];
    if (row0 + r < pc.rows) y[row0 + r] = qvk_canonical_nan(qvk_lane_tree(v));
  }
}

#if !QVK_FLOAT_W
// ---------------------------------------------------------------- quantized W
const uint P = BLOCK_THREADS;           // threads sharing a block (quant_blocks.glsl)
uint qvk_act_elems() { return pc.cols; }
#include "quant_blocks.glsl"

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

// The V weights of a raw vector as flush(widen(w)), the term's first factor.
// F16: a widened f16 is 0, inf, NaN or of magnitude >= 2^-24, so the flush is
// the identity and is left out.
void widen_w(uvec4 q, out float v[8]) {
  for (uint c = 0u; c < V; ++c) {
#if QVK_WTYPE == QVK_TYPE_F32
    v[c] = qvk_flush(uintBitsToFloat(raw_elem(q, c)));
#elif QVK_WTYPE == QVK_TYPE_F16
    v[c] = qvk_f16_bits_to_f32(raw_elem(q, c));
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
