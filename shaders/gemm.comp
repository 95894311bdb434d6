#version 450
// shaders/gemm.comp — Y[b][r] = W[r,:]·X[b] for a batch of vectors, W in its
// GGUF bytes: per column exactly gemv.comp's arithmetic. The contract and the
// thread mapping are the header comment of include/qvk/ops/gemm.hpp; the
// prelude comes from that descriptor: QVK_WTYPE, QVK_INT_DOT, WORKGROUP_SIZE,
// ROWS, LANES, ITEMS, COLS, pc.{rows, cols, batch}, buffers w, act or x, y.
#extension GL_GOOGLE_include_directive : require
#extension GL_EXT_spirv_intrinsics : enable

#include "prelude.glsl"
#include "numerics.glsl"
#include "weights.glsl"

#define QVK_FLOAT_W (QVK_WTYPE == QVK_TYPE_F32 || QVK_WTYPE == QVK_TYPE_F16 || QVK_WTYPE == QVK_TYPE_BF16)

// Wider views of the same read-only bindings.
layout(set = 0, binding = 0, std430) restrict readonly buffer Buf_w4 { uvec4 w4[]; };
#if !QVK_FLOAT_W
layout(set = 0, binding = 1, std430) restrict readonly buffer Buf_act4 { uvec4 act4[]; };
const uint P = 1u;  // a thread computes whole blocks
uint qvk_act_elems() { return pc.batch * pc.cols; }  // the batch quantized as one vector
#include "quant_blocks.glsl"
#endif

// The LANES lanes of every (row, column) of the tile, then one tree each.
shared float s_lanes[ROWS * COLS * LANES];

#if QVK_FLOAT_W
// Weight element gi of the matrix as the term's first factor, flush(widen(w))
// (a widened f16 needs no flush: gemv.hpp).
float weight_elem(uint gi) {
#if QVK_WTYPE == QVK_TYPE_F32
  return qvk_flush(uintBitsToFloat(w[gi]));
#elif QVK_WTYPE == QVK_TYPE_F16
  return qvk_f16_bits_to_f32(bitfieldExtract(w[gi >> 1], int((gi & 1u) << 4), 16));
#else
  return qvk_flush(qvk_bf16_bits_to_f32(bitfieldExtract(w[gi >> 1], int((gi & 1u) << 4), 16)));
#endif
}
#endif

void main() {
  const uint t = gl_LocalInvocationID.x;
  const uint row0 = (gl_WorkGroupID.y + gl_WorkGroupID.z * gl_NumWorkGroups.y) * ROWS;
  if (row0 >= pc.rows) return;  // the grid's spare row tiles (uniform)
  const uint col0 = gl_WorkGroupID.x * COLS;
  const uint l = t % LANES, g = t / LANES;
  // Rows past the matrix and columns past the batch read the last one (never stored).
  const uint rowa = row0 + g * ITEMS, last_row = pc.rows - 1u, last_col = pc.batch - 1u;
  float acc[32];  // [ITEMS][COLS]: ITEMS·COLS <= 32 (gemm.hpp)
  for (uint i = 0u; i < ITEMS * COLS; ++i) acc[i] = 0.0;
#if QVK_FLOAT_W
  const uint cols = pc.cols;
  for (uint e = l; e < cols; e += LANES) {
    float xv[8];
    for (uint n = 0u; n < COLS; ++n) xv[n] = qvk_flush(x[min(col0 + n, last_col) * cols + e]);
    for (uint i = 0u; i < ITEMS; ++i) {
      const float wv = weight_elem(min(rowa + i, last_row) * cols + e);
      for (uint n = 0u; n < COLS; ++n) acc[i * COLS + n] = qvk_add(acc[i * COLS + n], qvk_mul(wv, xv[n]));
    }
  }
#else
  const uint nb = pc.cols / QVK_BLOCK;
  for (uint k = l; k < nb; k += LANES) {
    for (uint i = 0u; i < ITEMS; ++i) {
      const uint blk = min(rowa + i, last_row) * nb + k;
      const vec2 sc = block_scales(blk);
      for (uint n = 0u; n < COLS; ++n) {
        const uint kg = min(col0 + n, last_col) * nb + k;  // the block in the batch's layout
        const ivec2 part = block_part(blk, kg, 0u);
        acc[i * COLS + n] = qvk_add(acc[i * COLS + n], block_term(kg, part.x, part.y, sc.x, sc.y));
      }
    }
  }
#endif
  for (uint i = 0u; i < ITEMS; ++i)
    for (uint n = 0u; n < COLS; ++n) s_lanes[((g * ITEMS + i) * COLS + n) * LANES + l] = acc[i * COLS + n];
  memoryBarrierShared();
  barrier();
  for (uint q = t; q < ROWS * COLS; q += WORKGROUP_SIZE) {
    const uint r = q / COLS, n = q % COLS;
    float v[32];
    for (uint i = 0u; i < 32u; ++i) v[i] = s_lanes[q * LANES + i];
    if (row0 + r < pc.rows && col0 + n < pc.batch) y[(col0 + n) * pc.rows + row0 + r] = qvk_canonical_nan(qvk_lane_tree(v));
  }
}
