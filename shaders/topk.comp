#version 450
// shaders/topk.comp — the first k candidates in the sampler's order, two passes
// (the contract is the header comment of include/qvk/ops/topk.hpp).
// QVK_TOPK_MERGE = 0: workgroup g selects from logits [g·ITEMS_PER_GROUP, …);
// 1: one workgroup selects from the partial keys and writes values and ids.
// Prelude: WORKGROUP_SIZE, CHUNK, ITEMS_PER_GROUP, pc.{items, k}, buffers.
#extension GL_GOOGLE_include_directive : require

#include "prelude.glsl"
#include "candidates.glsl"

// [0, k): the kept list, in candidate order; [k, …): candidates of this tile.
shared uvec2 s_keys[CHUNK];
shared uint s_count;

uvec2 item(uint i) {
#if QVK_TOPK_MERGE
  return uvec2(partial[2u * i], partial[2u * i + 1u]);
#else
  return qvk_logit_key(floatBitsToUint(logits[i]), i);
#endif
}

// Bitonic sort of s_keys[0, size) into candidate order (size a power of two).
// Called in uniform control flow; starts and ends with the shared data visible.
void sort_prefix(uint size) {
  for (uint block = 2u; block <= size; block <<= 1) {
    for (uint stride = block >> 1; stride > 0u; stride >>= 1) {
      for (uint p = gl_LocalInvocationID.x; p < size / 2u; p += WORKGROUP_SIZE) {
        const uint lo = (p / stride) * 2u * stride + p % stride;
        const uint hi = lo + stride;
        const uvec2 a = s_keys[lo];
        const uvec2 b = s_keys[hi];
        const bool forward = (lo & block) == 0u;  // this half ends up in candidate order
        if (forward ? qvk_precedes(b, a) : qvk_precedes(a, b)) {
          s_keys[lo] = b;
          s_keys[hi] = a;
        }
      }
      memoryBarrierShared();
      barrier();
    }
  }
}

// The smallest power of two >= x (x >= 2).
uint next_pow2(uint x) { return 1u << uint(findMSB(x - 1u) + 1); }

void main() {
  const uint t = gl_LocalInvocationID.x;
  const uint k = pc.k;
#if QVK_TOPK_MERGE
  const uint begin = 0u;
  const uint end = pc.items;
#else
  const uint g = gl_WorkGroupID.x;
  const uint begin = g * ITEMS_PER_GROUP;
  const uint end = min(begin + ITEMS_PER_GROUP, pc.items);
#endif
  for (uint i = t; i < CHUNK; i += WORKGROUP_SIZE) s_keys[i] = QVK_NO_CANDIDATE;
  if (t == 0u) s_count = 0u;
  memoryBarrierShared();
  barrier();

  const uint tile = CHUNK - k;
  for (uint t0 = begin; t0 < end; t0 += tile) {
    const uvec2 worst = s_keys[k - 1u];  // the k-th kept (or "no candidate")
    const uint t1 = min(t0 + tile, end);
    for (uint i = t0 + t; i < t1; i += WORKGROUP_SIZE) {
      const uvec2 c = item(i);
      if (qvk_precedes(c, worst)) s_keys[k + atomicAdd(s_count, 1u)] = c;
    }
    memoryBarrierShared();
    barrier();
    const uint count = s_count;  // the same in every invocation
    barrier();                   // everyone has read it before it is reset
    if (count > 0u) {
      const uint size = next_pow2(k + count);
      // Pad to the sort size (what lies there otherwise are earlier losers: harmless, but
      // padding keeps the sort's input exactly "kept + appended").
      for (uint i = k + count + t; i < size; i += WORKGROUP_SIZE) s_keys[i] = QVK_NO_CANDIDATE;
      if (t == 0u) s_count = 0u;
      memoryBarrierShared();
      barrier();
      sort_prefix(size);
    }
  }

  for (uint j = t; j < k; j += WORKGROUP_SIZE) {
    const uvec2 key = s_keys[j];
#if QVK_TOPK_MERGE
    values[j] = uintBitsToFloat(qvk_bits_of_order(key.x));
    ids[j] = key.y;
#else
    partial[2u * (g * k + j)] = key.x;
    partial[2u * (g * k + j) + 1u] = key.y;
#endif
  }
}
