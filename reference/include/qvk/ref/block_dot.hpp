// qvk/ref/block_dot.hpp — the canonical contribution of one weight block to a
// dot product with quantized activations. Normative: the GEMV/GEMM shaders
// compute exactly these expressions (integer parts in int32, exact and
// order-free; then the float ops below, in this order, each rounded and
// flushed).
//
//   Q8_0, Q4_0 (32-element blocks) with Q8Act32 (activation scale da, codes c):
//     s = Σ q·c (int32);                       term = (da · dw) · float(s)
//   Q4_K, Q5_K (256-element super-blocks, 8 sub-blocks j) with Q8Act256:
//     A = Σ_j sc[j] · Σ_{i∈j} q·c;  B = Σ_j m[j] · Σ_{i∈j} c   (int32)
//                                              term = da · (d·float(A) − dmin·float(B))
//   Q6_K (16 sub-blocks of 16, signed scales, codes q−32) with Q8Act256:
//     A = Σ_j sc[j] · Σ_{i∈j} q·c (int32);    term = da · (d · float(A))
// float(int32) is the correctly rounded conversion (|A| can exceed 2^24).
// Bounds: |A| <= 8·63·32·31·127 < 2^31 for Q5_K, 16·128·16·32·127 < 2^31 for Q6_K.
#pragma once

#include <cstddef>
#include <cstdint>

#include "qvk/numerics/flush.hpp"
#include "qvk/numerics/half.hpp"
#include "qvk/quant/q4_0.hpp"
#include "qvk/quant/q4_k.hpp"
#include "qvk/quant/q5_k.hpp"
#include "qvk/quant/q6_k.hpp"
#include "qvk/quant/q8_0.hpp"
#include "qvk/quant/q8_act.hpp"

namespace qvk::ref {

// Activation block type each weight format pairs with.
template <class W> struct ActFor { using type = quant::Q8Act256; };
template <> struct ActFor<quant::Q8_0> { using type = quant::Q8Act32; };
template <> struct ActFor<quant::Q4_0> { using type = quant::Q8Act32; };

// Integer dot of n int8 codes (exact; any order).
template <std::size_t N>
inline std::int32_t idot(const std::int8_t* q, const std::int8_t* c) {
  std::int32_t s = 0;
  for (std::size_t i = 0; i < N; ++i) s += static_cast<std::int32_t>(q[i]) * static_cast<std::int32_t>(c[i]);
  return s;
}

// Q8_0 and Q4_0 decompose to {d, q[32]} (Q4_0's q already has 8 subtracted).
template <class D>
inline float block_dot_32(const D& w, const quant::Q8Act32& a) {
  return numerics::mul(numerics::mul(a.d, w.d), static_cast<float>(idot<32>(w.q, a.qs)));
}
inline float block_dot(const quant::Q8_0::Decomposed& w, const quant::Q8Act32& a) { return block_dot_32(w, a); }
inline float block_dot(const quant::Q4_0::Decomposed& w, const quant::Q8Act32& a) { return block_dot_32(w, a); }

// Q4_K and Q5_K share their Decomposed type.
inline float block_dot(const quant::Q4_K::Decomposed& w, const quant::Q8Act256& a) {
  std::int32_t A = 0, B = 0;
  for (int j = 0; j < 8; ++j) {
    A += static_cast<std::int32_t>(w.scale[j]) * idot<32>(w.q + 32 * j, a.qs + 32 * j);
    B += static_cast<std::int32_t>(w.min[j]) * a.sums[j];
  }
  using numerics::mul;
  return mul(a.d, numerics::sub(mul(w.d, static_cast<float>(A)), mul(w.dmin, static_cast<float>(B))));
}

inline float block_dot(const quant::Q6_K::Decomposed& w, const quant::Q8Act256& a) {
  std::int32_t A = 0;
  for (int j = 0; j < 16; ++j) A += static_cast<std::int32_t>(w.scale[j]) * idot<16>(w.q + 16 * j, a.qs + 16 * j);
  using numerics::mul;
  return mul(a.d, mul(w.d, static_cast<float>(A)));
}

// One weight block straight from its bytes (decomposes, then the above).
template <class W>
inline float block_dot(const typename W::Block& w, const typename ActFor<W>::type& a) {
  typename W::Decomposed dec;
  W::decompose(w, dec);
  return block_dot(dec, a);
}

}  // namespace qvk::ref
