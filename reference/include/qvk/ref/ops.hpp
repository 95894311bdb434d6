// qvk/ref/ops.hpp — the element-wise and per-head ops of the Qwen forward
// pass, in the canonical arithmetic (docs/numerics.md). Every float op is
// numerics::add/sub/mul (rounded, then the tiny-value flush); reductions use
// numerics::strided_sum / tree_reduce with the lane counts of ops/plan.hpp.
//
// The definitions in namespace `portable` are the contract written plainly; the
// public functions at the end run the x86 versions (x86/kernels_body.inc) when the
// CPU has AVX2, which compute the same ops in the same order per value.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "qvk/model/weights.hpp"
#include "qvk/numerics/exp.hpp"
#include "qvk/numerics/flush.hpp"
#include "qvk/numerics/half.hpp"
#include "qvk/numerics/recip.hpp"
#include "qvk/numerics/reduce.hpp"
#include "qvk/numerics/rsqrt.hpp"
#include "qvk/ops/plan.hpp"
#include "qvk/quant/row.hpp"
#include "qvk/ref/cpu_features.hpp"
#include "qvk/ref/x86/kernels.hpp"

namespace qvk::ref {

using numerics::add;
using numerics::mul;
using numerics::sub;

// f32 nearest to 1/n and 1/sqrt(n): host constants (a shader gets them as push constants).
inline float inv_count(std::size_t n) { return static_cast<float>(1.0 / static_cast<double>(n)); }
inline float inv_sqrt(std::size_t n) { return static_cast<float>(1.0 / std::sqrt(static_cast<double>(n))); }

inline const float* f32_data(const model::TensorView& t) { return reinterpret_cast<const float*>(t.data); }

// Embedding row gather: the exact dequantization of row `token`, flushed.
inline void embed(const model::TensorView& e, std::int32_t token, float* out) {
  quant::dequantize_row(e.type, std::span<const std::byte>(e.row(static_cast<std::uint64_t>(token)), e.row_bytes()),
                        std::span<float>(out, e.cols));
  for (std::size_t i = 0; i < e.cols; ++i) out[i] = numerics::flush(out[i]);
}

// One KV-cache layer: f16 bits, [position][kv_heads · head_dim] for K (rotated) and V.
struct KvLayer {
  std::vector<std::uint16_t> k, v;
};

namespace portable {

// RMSNorm: ss = Σ x² (kNormLanes); r = rsqrt(ss·(1/n) + eps); y = (x·r)·w.
inline void rmsnorm(const float* x, const float* w, std::size_t n, float eps, float* y) {
  const float ss = numerics::strided_sum<ops::kNormLanes>(n, [&](std::size_t i) { return mul(x[i], x[i]); });
  const float r = numerics::rsqrt(add(mul(ss, inv_count(n)), eps));
  for (std::size_t i = 0; i < n; ++i) y[i] = mul(mul(x[i], r), numerics::flush(w[i]));
}

inline void add_inplace(float* x, const float* y, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) x[i] = add(x[i], y[i]);
}

inline void add_bias(float* x, const model::TensorView& b) {
  const float* bias = f32_data(b);
  for (std::size_t i = 0; i < b.cols; ++i) x[i] = add(x[i], numerics::flush(bias[i]));
}

// NeoX RoPE on n_heads heads of head_dim: pairs (i, i + head_dim/2).
//   x0' = x0·c − x1·s,  x1' = x0·s + x1·c
inline void rope_neox(float* x, std::size_t n_heads, std::size_t head_dim, const float* cos, const float* sin) {
  const std::size_t half = head_dim / 2;
  for (std::size_t h = 0; h < n_heads; ++h) {
    float* v = x + h * head_dim;
    for (std::size_t i = 0; i < half; ++i) {
      const float x0 = v[i], x1 = v[i + half];
      v[i] = sub(mul(x0, cos[i]), mul(x1, sin[i]));
      v[i + half] = add(mul(x0, sin[i]), mul(x1, cos[i]));
    }
  }
}

// SwiGLU: out = (g · sigmoid(g)) · u, sigmoid(g) = recip(1 + exp(−g)).
inline void swiglu(const float* g, const float* u, float* out, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) {
    const float neg = std::bit_cast<float>(std::bit_cast<std::uint32_t>(g[i]) ^ 0x80000000u);
    const float sig = numerics::recip(add(1.0f, numerics::exp(neg)));
    out[i] = mul(mul(g[i], sig), u[i]);
  }
}

// Attention for one query position over positions [0, n_pos) of one layer.
// q: [heads][head_dim]; out: [heads][head_dim]. Per head (kv head = h / group):
//   s_j = (q·k_j)·scale                       (kHeadDotLanes, scale = f32(1/sqrt(head_dim)))
//   per chunk c of kAttnChunk positions:  m_c = max s_j;  p_j = exp(s_j − m_c);
//     l_c = tree Σ p_j;  o_c = tree Σ p_j·v_j  (one position per lane, absent lanes +0)
//   chunks combined in increasing order: M' = max(M, m_c), a = exp(M − M'),
//     b = exp(m_c − M'), L = L·a + l_c·b, O = O·a + o_c·b
//   out = O · recip(L)
inline void attention(const float* q, const KvLayer& kv, std::size_t n_pos, std::size_t heads, std::size_t kv_heads,
                      std::size_t head_dim, float* out) {
  constexpr std::size_t C = ops::kAttnChunk;
  const std::size_t group = heads / kv_heads, kv_dim = kv_heads * head_dim;
  const float scale = inv_sqrt(head_dim);
  std::vector<float> kf(head_dim), o_c(head_dim), O(head_dim);
  std::array<float, C> s{}, p{}, lanes{};
  std::vector<std::array<float, C>> pv(head_dim);
  for (std::size_t h = 0; h < heads; ++h) {
    const float* qh = q + h * head_dim;
    const std::size_t g = h / group;
    float M = 0, L = 0;
    for (std::size_t c0 = 0; c0 < n_pos; c0 += C) {
      const std::size_t n = std::min(C, n_pos - c0);
      float m_c = 0;
      for (std::size_t j = 0; j < n; ++j) {
        const std::uint16_t* kj = kv.k.data() + (c0 + j) * kv_dim + g * head_dim;
        for (std::size_t i = 0; i < head_dim; ++i) kf[i] = numerics::f16_bits_to_f32(kj[i]);
        s[j] = mul(numerics::strided_sum<ops::kHeadDotLanes>(head_dim, [&](std::size_t i) { return mul(qh[i], kf[i]); }),
                   scale);
        if (j == 0 || s[j] > m_c) m_c = s[j];
      }
      for (std::size_t j = 0; j < C; ++j) p[j] = j < n ? numerics::exp(sub(s[j], m_c)) : 0.0f;
      lanes = p;
      const float l_c = numerics::tree_reduce<C>(lanes);
      for (std::size_t i = 0; i < head_dim; ++i) pv[i].fill(0.0f);
      for (std::size_t j = 0; j < n; ++j) {
        const std::uint16_t* vj = kv.v.data() + (c0 + j) * kv_dim + g * head_dim;
        for (std::size_t i = 0; i < head_dim; ++i) pv[i][j] = mul(p[j], numerics::f16_bits_to_f32(vj[i]));
      }
      for (std::size_t i = 0; i < head_dim; ++i) o_c[i] = numerics::tree_reduce<C>(pv[i]);
      if (c0 == 0) {
        M = m_c;
        L = l_c;
        O = o_c;
      } else {
        const float Mn = m_c > M ? m_c : M;
        const float a = numerics::exp(sub(M, Mn)), b = numerics::exp(sub(m_c, Mn));
        L = add(mul(L, a), mul(l_c, b));
        for (std::size_t i = 0; i < head_dim; ++i) O[i] = add(mul(O[i], a), mul(o_c[i], b));
        M = Mn;
      }
    }
    const float inv_l = numerics::recip(L);
    for (std::size_t i = 0; i < head_dim; ++i) out[h * head_dim + i] = mul(O[i], inv_l);
  }
}

}  // namespace portable

// K and V rows of one position into the cache: f16 bits (numerics::f32_to_f16_bits).
inline void to_f16(const float* x, std::uint16_t* out, std::size_t n) {
#if defined(QVK_REF_HAVE_X86)
  if (cpu_isa() >= Isa::Avx2) return x86_avx2::to_f16(x, out, n);
#endif
  for (std::size_t i = 0; i < n; ++i) out[i] = numerics::f32_to_f16_bits(x[i]);
}

inline void rmsnorm(const float* x, const float* w, std::size_t n, float eps, float* y) {
  static_assert(ops::kNormLanes == 32, "the x86 kernels sum over 32 lanes");
#if defined(QVK_REF_HAVE_X86)
  if (cpu_isa() == Isa::Avx512) return x86_avx512::rmsnorm(x, w, n, eps, y);
  if (cpu_isa() == Isa::Avx2) return x86_avx2::rmsnorm(x, w, n, eps, y);
#endif
  portable::rmsnorm(x, w, n, eps, y);
}

inline void add_inplace(float* x, const float* y, std::size_t n) {
#if defined(QVK_REF_HAVE_X86)
  if (cpu_isa() >= Isa::Avx2) return x86_avx2::add_inplace(x, y, n);
#endif
  portable::add_inplace(x, y, n);
}

inline void add_bias(float* x, const model::TensorView& b) { portable::add_bias(x, b); }

inline void rope_neox(float* x, std::size_t n_heads, std::size_t head_dim, const float* cos, const float* sin) {
#if defined(QVK_REF_HAVE_X86)
  if (cpu_isa() >= Isa::Avx2) return x86_avx2::rope_neox(x, n_heads, head_dim, cos, sin);
#endif
  portable::rope_neox(x, n_heads, head_dim, cos, sin);
}

inline void swiglu(const float* g, const float* u, float* out, std::size_t n) {
  std::size_t done = 0;
#if defined(QVK_REF_HAVE_X86)
  if (cpu_isa() == Isa::Avx512) done = x86_avx512::swiglu(g, u, out, n);
  else if (cpu_isa() == Isa::Avx2) done = x86_avx2::swiglu(g, u, out, n);
#endif
  portable::swiglu(g + done, u + done, out + done, n - done);
}

// Heads [h0, h1) of attention (all heads by default); out holds all heads.
inline void attention(const float* q, const KvLayer& kv, std::size_t n_pos, std::size_t heads, std::size_t kv_heads,
                      std::size_t head_dim, float* out, std::size_t h0 = 0, std::size_t h1 = SIZE_MAX) {
  static_assert(ops::kHeadDotLanes == 32, "the x86 kernels sum over 32 lanes");
  h1 = std::min(h1, heads);
#if defined(QVK_REF_HAVE_X86)
  if (head_dim % 8 == 0) {
    if (cpu_isa() == Isa::Avx512)
      return x86_avx512::attention(q, kv.k.data(), kv.v.data(), n_pos, heads, kv_heads, head_dim, out, h0, h1);
    if (cpu_isa() == Isa::Avx2)
      return x86_avx2::attention(q, kv.k.data(), kv.v.data(), n_pos, heads, kv_heads, head_dim, out, h0, h1);
  }
#endif
  if (h0 == 0 && h1 == heads) return portable::attention(q, kv, n_pos, heads, kv_heads, head_dim, out);
  std::vector<float> all(heads * head_dim);
  portable::attention(q, kv, n_pos, heads, kv_heads, head_dim, all.data());
  std::copy(all.begin() + std::ptrdiff_t(h0 * head_dim), all.begin() + std::ptrdiff_t(h1 * head_dim), out + h0 * head_dim);
}

}  // namespace qvk::ref
