#version 450
// shaders/rope_neox.comp — NeoX RoPE in place, one invocation per (pair, row).
// The contract (order, flushes, table layout, position source) is the header
// comment of include/qvk/ops/rope.hpp; the prelude comes from that descriptor:
// QVK_POS_FROM_BUFFER, WORKGROUP_SIZE, pc.{rows, heads, head_dim, pos0,
// table_positions}, buffers x, cos_table, sin_table[, position].
#extension GL_GOOGLE_include_directive : require

#include "prelude.glsl"
#include "numerics.glsl"

void main() {
  const uint half_dim = pc.head_dim >> 1;
  const uint pair = gl_GlobalInvocationID.x;
  const uint row = gl_WorkGroupID.y;
  if (pair >= pc.heads * half_dim) return;
  const uint h = pair / half_dim;
  const uint i = pair - h * half_dim;
  const uint base = row * pc.heads * pc.head_dim + h * pc.head_dim + i;

  uint pos = pc.pos0 + row;  // < table_positions: checked by valid()
  bool in_table = true;
#if QVK_POS_FROM_BUFFER
  const uint extra = position[0];
  in_table = extra < pc.table_positions && pos < pc.table_positions - extra;  // no wrap-around
  pos += extra;
#endif
  if (!in_table) {
    x[base] = uintBitsToFloat(QVK_CANONICAL_NAN);
    x[base + half_dim] = uintBitsToFloat(QVK_CANONICAL_NAN);
    return;
  }
  const float c = cos_table[pos * half_dim + i];
  const float s = sin_table[pos * half_dim + i];
  const float x0 = qvk_flush(x[base]);
  const float x1 = qvk_flush(x[base + half_dim]);
  x[base] = qvk_sub(qvk_mul(x0, c), qvk_mul(x1, s));
  x[base + half_dim] = qvk_add(qvk_mul(x0, s), qvk_mul(x1, c));
}
