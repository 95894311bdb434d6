// shaders/common/quant_blocks.glsl — one quantized weight block against one
// activation vector: the exact integer parts (block_part) and the float term
// (block_term) of include/qvk/ops/gemv.hpp's contract (ref/block_dot.hpp), for
// every quantized QVK_WTYPE. Shared by gemv.comp (one vector) and gemm.comp (a
// batch of vectors quantized as one: column b's block k is block b·cols/BLOCK +
// k of the layout), so the two kernels cannot compute a block differently.
//
// Requires: weights.glsl; the word buffers w, act and their uvec4 views w4,
// act4; the constant P (threads sharing one block: part p of P); and
// qvk_act_elems(), the element count of the activation layout.

#if QVK_WTYPE == QVK_TYPE_Q8_0 || QVK_WTYPE == QVK_TYPE_Q4_0
#define QVK_BLOCK 32u
#else
#define QVK_BLOCK 256u
#endif
#define QVK_HAS_MINS (QVK_WTYPE == QVK_TYPE_Q4_K || QVK_WTYPE == QVK_TYPE_Q5_K)

// Activation layout (ops::ActLayout of qvk_act_elems() elements): codes at
// word 0, then d, sums, [sums16]; k below is a block index of that layout.
uint act_d_word() { return qvk_act_elems() / 4u; }
uint act_sums_word() { return qvk_act_elems() / 4u + qvk_act_elems() / QVK_BLOCK; }
uint act_sums16_word() { return qvk_act_elems() / 4u + 9u * (qvk_act_elems() / QVK_BLOCK); }

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

// The float term of block k (ref/block_dot.hpp) from its final integers: A
// with Q4_0's −8 offset already applied (Σ (q − 8)·c), and B (the mins part).
// block_term_final_da: the same with the activation block's scale da given.
// The K-quants' d·A, dmin·B and their difference (Q6_K: d·A) skip qvk_flush,
// whose result they cannot change: d and dmin are f16 values (multiples of
// 2^-24, or inf/NaN) and float(A), float(B) integers (also where |A| > 2^24
// rounds), so each result is ±0, inf, NaN or a multiple of 2^-24 at least 2^-24
// in magnitude (rounding to f32 keeps that: a value below 1 in magnitude is
// exact, and above it the f32 step is at least 2^-23). The flush is the
// identity on all of them. The C++ flushes each one; the bits are the same.
float qvk_mul_grid(float a, float b) {
  precise float r = a * b;
  return r;
}
float qvk_sub_grid(float a, float b) {
  precise float r = a - b;
  return r;
}
float block_term_final_da(float da, int A, int B, float d, float dmin) {
#if QVK_WTYPE == QVK_TYPE_Q8_0 || QVK_WTYPE == QVK_TYPE_Q4_0
  return qvk_mul(qvk_mul(da, d), float(A));
#elif QVK_HAS_MINS
  return qvk_mul(da, qvk_sub_grid(qvk_mul_grid(d, float(A)), qvk_mul_grid(dmin, float(B))));
#else
  return qvk_mul(da, qvk_mul_grid(d, float(A)));
#endif
}
float block_term_final(uint k, int A, int B, float d, float dmin) {
  return block_term_final_da(uintBitsToFloat(act[act_d_word() + k]), A, B, d, dmin);
}

// The float term of block k from block_part's complete integer parts.
float block_term(uint k, int A, int B, float d, float dmin) {
#if QVK_WTYPE == QVK_TYPE_Q4_0
  A -= 8 * int(act[act_sums_word() + k]);
#endif
  return block_term_final(k, A, B, d, dmin);
}
