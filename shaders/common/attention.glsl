// shaders/common/attention.glsl — helpers shared by attention_chunks.comp,
// attention_rows.comp and attention_combine.comp (the contract: include/qvk/ops/attention.hpp).
// Requires the attention prelude (pc.n_pos) and numerics.glsl.

const uint QVK_ATTN_CHUNK = 64u;  // ops::kAttnChunk
const uint QVK_ATTN_LANES = 32u;  // ops::kHeadDotLanes

// The query row of this workgroup (grid z; 0 for decode).
uint attn_query() { return gl_WorkGroupID.z; }

// The number of positions query row `row` attends, the only place the shaders
// read it (the dispatch geometry covers the capacity): n_pos + row; Buffer form:
// n_pos + row + pos[0], at most the capacity (pos[0] is checked first, so the
// sum cannot wrap: n_pos + row <= capacity by valid()).
uint attn_n_pos_row(uint row) {
  const uint n = pc.n_pos + row;
#if QVK_POS_FROM_BUFFER
  const uint p = position[0];
  return p >= pc.capacity ? pc.capacity : min(p + n, pc.capacity);
#else
  return n;
#endif
}

// The count of this workgroup's query row (AttentionChunks, AttentionCombine).
uint attn_n_pos() { return attn_n_pos_row(attn_query()); }

// Partials rows per query row: every chunk of the capacity, every head.
uint attn_query_part_rows() { return ((pc.capacity + QVK_ATTN_CHUNK - 1u) / QVK_ATTN_CHUNK) * pc.heads; }

// `a > b` of IEEE floats (false when either is NaN; -0 and +0 equal), decided on
// the bits so no compiler can turn the reference's `m_c > M ? m_c : M` into an
// fmax with other NaN or signed-zero rules.
bool attn_greater(float a, float b) {
  uint ua = floatBitsToUint(a), ub = floatBitsToUint(b);
  uint ma = ua & 0x7fffffffu, mb = ub & 0x7fffffffu;
  if (ma > 0x7f800000u || mb > 0x7f800000u) return false;
  // Sign-magnitude -> an order-preserving signed key; ±0 both map to 0.
  int ka = (ua >> 31) != 0u ? -int(ma) : int(ma);
  int kb = (ub >> 31) != 0u ? -int(mb) : int(mb);
  return ka > kb;
}

// +0 + x exactly as IEEE (and numerics::add) gives it: x, except -0 -> +0. Done
// on the bits so that no compiler folds `0.0 + x` into `x`.
float attn_zero_plus(float x) {
  uint b = floatBitsToUint(x);
  return b == 0x80000000u ? 0.0 : x;
}

// qvk_flush and attn_zero_plus on each component.
vec4 attn_flush4(vec4 x) {
  uvec4 b = floatBitsToUint(x);
  return uintBitsToFloat(mix(b, b & 0x80000000u, lessThanEqual(b & 0x7fffffffu, uvec4(QVK_FLT_MIN_BITS))));
}

vec4 attn_zero_plus4(vec4 x) {
  uvec4 b = floatBitsToUint(x);
  return uintBitsToFloat(mix(b, uvec4(0u), equal(b, uvec4(0x80000000u))));
}

// True for a nonzero |x| below 2^-78: the inputs for which a product with an f16
// value could be tiny, so the flush-free fast paths are not exact (x86/ops.inc, no_tiny).
bool attn_below_fast_bound(float x) {
  uint m = floatBitsToUint(x) & 0x7fffffffu;
  return m != 0u && m < (49u << 23);
}
