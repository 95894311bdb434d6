#version 450
// shaders/kv_append.comp — K and V rows to f16 cache rows, one invocation per
// uint word (two halves) of a row. The contract (conversion, cache layout,
// position source) is the header comment of include/qvk/ops/kv_append.hpp; the
// prelude comes from that descriptor: QVK_POS_FROM_BUFFER, WORKGROUP_SIZE,
// pc.{rows, kv_dim, pos0, capacity}, buffers k, v, k_cache, v_cache[, position].
#extension GL_GOOGLE_include_directive : require

#include "prelude.glsl"
#include "numerics.glsl"

// Two f32 (as stored) -> one word: low half = the even element.
uint pack_f16(float even, float odd) { return qvk_f32_to_f16_bits(even) | (qvk_f32_to_f16_bits(odd) << 16); }

void main() {
  const uint words = pc.kv_dim >> 1;
  const uint w = gl_GlobalInvocationID.x;
  const uint row = gl_WorkGroupID.y;
  if (w >= words) return;
  uint pos = pc.pos0 + row;  // < capacity: checked by valid()
#if QVK_POS_FROM_BUFFER
  const uint extra = position[0];
  if (extra >= pc.capacity || pos >= pc.capacity - extra) return;  // outside the cache: nothing written
  pos += extra;
#endif
  const uint src = row * pc.kv_dim + 2u * w;
  const uint dst = pos * words + w;
  k_cache[dst] = pack_f16(k[src], k[src + 1u]);
  v_cache[dst] = pack_f16(v[src], v[src + 1u]);
}
