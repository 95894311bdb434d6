#version 450
// shaders/embed_row.comp — one row of the embedding table, dequantized exactly
// and flushed. The contract is the header comment of include/qvk/ops/embed_row.hpp;
// the prelude gives QVK_WTYPE, QVK_TOKEN_FROM_BUFFER, WORKGROUP_SIZE,
// pc.{rows, cols, token, token_index}, buffers w, [tok,] y.
#extension GL_GOOGLE_include_directive : require

#include "prelude.glsl"
#define QVK_INT_DOT 0
#include "numerics.glsl"
#include "weights.glsl"

// Element i of row `row`: quant/*.hpp dequantize, f32 ops in gguf-py's order.
float dequant(uint row, uint i) {
  const uint cols = pc.cols;
#if QVK_WTYPE == QVK_TYPE_F32
  return uintBitsToFloat(w[row * cols + i]);
#elif QVK_WTYPE == QVK_TYPE_F16 || QVK_WTYPE == QVK_TYPE_BF16
  const uint gi = row * cols + i;
  const uint h = bitfieldExtract(w[gi >> 1], int((gi & 1u) << 4), 16);
#if QVK_WTYPE == QVK_TYPE_F16
  return qvk_f16_bits_to_f32(h);
#else
  return qvk_bf16_bits_to_f32(h);
#endif
#elif QVK_WTYPE == QVK_TYPE_Q8_0
  const uint base = (row * (cols / 32u) + i / 32u) * 34u, e = i % 32u;
  const float d = qvk_f16_bits_to_f32(qvk_w_u16(base));
  precise float v = float(qvk_w_i8(base + 2u + e)) * d;
  return v;
#elif QVK_WTYPE == QVK_TYPE_Q4_0
  const uint base = (row * (cols / 32u) + i / 32u) * 18u, e = i % 32u;
  const float d = qvk_f16_bits_to_f32(qvk_w_u16(base));
  const uint b = qvk_w_u8(base + 2u + (e & 15u));
  const int q = int(e < 16u ? (b & 15u) : (b >> 4)) - 8;
  precise float v = d * float(q);
  return v;
#elif QVK_WTYPE == QVK_TYPE_Q4_K || QVK_WTYPE == QVK_TYPE_Q5_K
#if QVK_WTYPE == QVK_TYPE_Q4_K
  const uint bytes = 144u;
#else
  const uint bytes = 176u;
#endif
  const uint base = (row * (cols / 256u) + i / 256u) * bytes, e = i % 256u;
  const uint hw = w[base >> 2];
  const float d = qvk_f16_bits_to_f32(hw & 0xffffu), dmin = qvk_f16_bits_to_f32(hw >> 16);
  const uvec2 sm = qvk_k_scale_min(e / 32u, w[(base >> 2) + 1u], w[(base >> 2) + 2u], w[(base >> 2) + 3u]);
  const uint c = e / 64u, l = e % 32u, hi = (e >> 5) & 1u;
#if QVK_WTYPE == QVK_TYPE_Q4_K
  const uint q = (qvk_w_u8(base + 16u + 32u * c + l) >> (4u * hi)) & 15u;
#else
  const uint q = ((qvk_w_u8(base + 48u + 32u * c + l) >> (4u * hi)) & 15u) |
                 (((qvk_w_u8(base + 16u + l) >> (2u * c + hi)) & 1u) << 4);
#endif
  precise float dj = d * float(sm.x);
  precise float mj = dmin * float(sm.y);
  precise float v = dj * float(q) - mj;
  return v;
#elif QVK_WTYPE == QVK_TYPE_Q6_K
  const uint base = (row * (cols / 256u) + i / 256u) * 210u, e = i % 256u;
  const uint h = e / 128u, r = e % 128u;
  const uint low = (qvk_w_u8(base + 64u * h + r % 64u) >> (4u * (r / 64u))) & 15u;
  const uint high = (qvk_w_u8(base + 128u + 32u * h + r % 32u) >> (2u * (r / 32u))) & 3u;
  const int q = int(low | (high << 4)) - 32;
  const float d = qvk_f16_bits_to_f32(qvk_w_u16(base + 208u));
  precise float v = (d * float(qvk_w_i8(base + 192u + e / 16u))) * float(q);
  return v;
#endif
}

void main() {
  const uint i = gl_GlobalInvocationID.x;
  if (i >= pc.cols) return;
#if QVK_TOKEN_FROM_BUFFER
  const uint token = tok[pc.token_index];
#else
  const uint token = pc.token;
#endif
  if (token >= pc.rows) {
    y[i] = uintBitsToFloat(QVK_CANONICAL_NAN);
    return;
  }
  y[i] = qvk_canonical_nan(qvk_flush(dequant(token, i)));
}
