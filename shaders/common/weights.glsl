// shaders/common/weights.glsl — reading GGUF weight bytes from a buffer of
// 32-bit words, and the integer helpers of the quantized dot products
// (gemv.comp, embed_row.comp). Mirrors include/qvk/quant/*.hpp (block layouts,
// decompose) and include/qvk/quant/detail/k_scales.hpp.
//
// Requires: the readonly word buffer `w` (the op's prelude declares it),
// numerics.glsl, and QVK_WTYPE (a GGML type id) / QVK_INT_DOT defines. The
// includer enables GL_EXT_spirv_intrinsics when QVK_INT_DOT is 1.

// GGML type ids (quant/type.hpp), for `#if QVK_WTYPE == ...`.
#define QVK_TYPE_F32 0
#define QVK_TYPE_F16 1
#define QVK_TYPE_Q4_0 2
#define QVK_TYPE_Q8_0 8
#define QVK_TYPE_Q4_K 12
#define QVK_TYPE_Q5_K 13
#define QVK_TYPE_Q6_K 14
#define QVK_TYPE_BF16 30

// A NaN of any payload becomes the canonical NaN (devices differ on payloads).
float qvk_canonical_nan(float v) {
  return (floatBitsToUint(v) & 0x7fffffffu) > 0x7f800000u ? uintBitsToFloat(QVK_CANONICAL_NAN) : v;
}

// The 32 logical lanes of a dot product summed by the pairwise tree (s = 16,
// …, 1: lane[i] += lane[i+s]; numerics::strided_sum's tree) by one thread in
// registers: the same adds in the same order as a tree across threads, without
// a barrier per level (gemv.hpp and gemm.hpp assert 32 lanes; a
// spec-constant-sized array would live in local memory).
float qvk_lane_tree(float v[32]) {
  for (uint s = 16u; s > 0u; s >>= 1)
    for (uint i = 0u; i < s; ++i) v[i] = qvk_add(v[i], v[i + s]);
  return v[0];
}

// Byte `off` of w (unsigned).
uint qvk_w_u8(uint off) { return bitfieldExtract(w[off >> 2], int((off & 3u) << 3), 8); }
// Byte `off` of w as int8.
int qvk_w_i8(uint off) { return bitfieldExtract(int(w[off >> 2]), int((off & 3u) << 3), 8); }
// The little-endian u16 at even byte offset `off`.
uint qvk_w_u16(uint off) { return bitfieldExtract(w[off >> 2], int((off & 2u) << 3), 16); }

// n <= 8 consecutive little-endian words starting at even byte offset `off`,
// built from n (aligned) or n+1 (2 mod 4) aligned words; the extra word is read
// only when needed, so a run ending at the buffer's last byte stays in bounds.
void qvk_w_run(uint off, uint n, out uint r[8]) {
  const uint i0 = off >> 2;
  const bool odd = (off & 2u) != 0u;
  uint prev = w[i0];
  for (uint k = 0u; k < 8u; ++k) {
    if (k >= n) break;
    uint next = (k + 1u < n || odd) ? w[i0 + k + 1u] : 0u;
    r[k] = odd ? ((prev >> 16) | (next << 16)) : prev;
    prev = next;
  }
}

// 6-bit scale and min of sub-block j of a Q4_K/Q5_K block from its 12 scale
// bytes as words s0 (bytes 0..3), s1 (4..7), s2 (8..11) — unpack_k_scales:
//   j < 4: sc = s0.byte[j] & 63, m = s1.byte[j] & 63
//   j >= 4: sc = (s2.byte[j-4] & 15) | (s0.byte[j-4] >> 6) << 4,
//           m  = (s2.byte[j-4] >> 4) | (s1.byte[j-4] >> 6) << 4
uvec2 qvk_k_scale_min(uint j, uint s0, uint s1, uint s2) {
  if (j < 4u) return uvec2(bitfieldExtract(s0, int(8u * j), 6), bitfieldExtract(s1, int(8u * j), 6));
  const int b = int(8u * (j - 4u));
  const uint lo = bitfieldExtract(s2, b, 8);
  return uvec2((lo & 0x0fu) | (bitfieldExtract(s0, b + 6, 2) << 4), (lo >> 4) | (bitfieldExtract(s1, b + 6, 2) << 4));
}

// Σ of the four products of the int8 lanes of a and b (exact int32).
#if QVK_INT_DOT
// OpSDot (4450) with PackedVectorFormat4x8Bit (0): capabilities DotProduct (6019)
// and DotProductInput4x8BitPacked (6018), SPV_KHR_integer_dot_product.
spirv_instruction(extensions = ["SPV_KHR_integer_dot_product"], capabilities = [6019, 6018], id = 4450)
int qvk_sdot4x8(uint a, uint b, spirv_literal int packed_format);
int qvk_dot4(uint a, uint b) { return qvk_sdot4x8(a, b, 0); }
#else
int qvk_dot4(uint a, uint b) {
  const int x = int(a), y = int(b);
  return bitfieldExtract(x, 0, 8) * bitfieldExtract(y, 0, 8) + bitfieldExtract(x, 8, 8) * bitfieldExtract(y, 8, 8) +
         bitfieldExtract(x, 16, 8) * bitfieldExtract(y, 16, 8) + bitfieldExtract(x, 24, 8) * bitfieldExtract(y, 24, 8);
}
#endif
int qvk_dot16(uvec4 a, uvec4 b) { return qvk_dot4(a.x, b.x) + qvk_dot4(a.y, b.y) + qvk_dot4(a.z, b.z) + qvk_dot4(a.w, b.w); }
