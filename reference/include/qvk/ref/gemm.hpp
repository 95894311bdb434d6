// qvk/ref/gemm.hpp — Y[b][r] = Σ_c W[r][c] · X[b][c] for B activation vectors.
//
// Each output is computed exactly as a GEMV would: the B vectors share a pass
// over the weights (speed) but never a reduction (batch invariance). Per row:
// the row's terms (block_dot per weight block with the vector's quantized
// activation block; for F32/F16/BF16 weights, the flushed product per element
// with the float activation) are summed in the canonical order over
// ops::kDotLanes lanes (numerics/reduce.hpp). Rows are split across threads.
//
// gemm() runs the x86 SIMD kernels (x86/kernels.hpp) when the CPU has AVX2 and
// the portable loops below otherwise (or with QVK_CPU_ISA=portable); both give
// the same bits: the portable loops are this contract written plainly.
#pragma once

#include <cstddef>
#include <cstring>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "qvk/model/weights.hpp"
#include "qvk/numerics/flush.hpp"
#include "qvk/numerics/half.hpp"
#include "qvk/numerics/reduce.hpp"
#include "qvk/ops/plan.hpp"
#include "qvk/quant/bf16.hpp"
#include "qvk/quant/f16.hpp"
#include "qvk/quant/f32.hpp"
#include "qvk/ref/block_dot.hpp"
#include "qvk/ref/cpu_features.hpp"
#include "qvk/ref/thread_pool.hpp"
#include "qvk/ref/x86/kernels.hpp"

namespace qvk::ref {

namespace detail {

template <class W>
void gemm_quantized(const model::TensorView& w, const float* x, std::size_t B, float* y, ThreadPool& pool) {
  using Act = typename ActFor<W>::type;
  const std::size_t n_blocks = w.cols / W::kBlockElems;
  std::vector<Act> acts(B * n_blocks);
  for (std::size_t b = 0; b < B; ++b)
    for (std::size_t k = 0; k < n_blocks; ++k)
      quant::quantize_q8_act(x + b * w.cols + k * W::kBlockElems, acts[b * n_blocks + k]);
  pool.parallel_for(w.rows, 16, [&](std::size_t r0, std::size_t r1) {
    std::vector<typename W::Decomposed> dec(n_blocks);  // a row's blocks, decoded once for all B vectors
    for (std::size_t r = r0; r < r1; ++r) {
      const auto* blocks = reinterpret_cast<const typename W::Block*>(w.row(r));
      for (std::size_t k = 0; k < n_blocks; ++k) W::decompose(blocks[k], dec[k]);
      for (std::size_t b = 0; b < B; ++b) {
        const Act* a = &acts[b * n_blocks];
        y[b * w.rows + r] = numerics::strided_sum<ops::kDotLanes>(
            n_blocks, [&](std::size_t k) { return block_dot(dec[k], a[k]); });
      }
    }
  });
}

template <class Load>
void gemm_float(const model::TensorView& w, const float* x, std::size_t B, float* y, ThreadPool& pool, Load load) {
  pool.parallel_for(w.rows, 16, [&](std::size_t r0, std::size_t r1) {
    std::vector<float> row(w.cols);
    for (std::size_t r = r0; r < r1; ++r) {
      const std::byte* src = w.row(r);
      for (std::size_t c = 0; c < w.cols; ++c) row[c] = numerics::flush(load(src, c));
      for (std::size_t b = 0; b < B; ++b) {
        const float* xb = x + b * w.cols;
        y[b * w.rows + r] = numerics::strided_sum<ops::kDotLanes>(
            w.cols, [&](std::size_t c) { return numerics::mul(row[c], numerics::flush(xb[c])); });
      }
    }
  });
}

inline std::uint16_t load_u16(const std::byte* p, std::size_t i) {
  std::uint16_t v;
  std::memcpy(&v, p + 2 * i, 2);
  return v;
}

}  // namespace detail

// The contract written plainly: decompose, block_dot, strided_sum.
inline void gemm_portable(const model::TensorView& w, const float* x, std::size_t B, float* y, ThreadPool& pool) {
  using quant::Type;
  switch (w.type) {
    case Type::Q8_0: return detail::gemm_quantized<quant::Q8_0>(w, x, B, y, pool);
    case Type::Q4_0: return detail::gemm_quantized<quant::Q4_0>(w, x, B, y, pool);
    case Type::Q4_K: return detail::gemm_quantized<quant::Q4_K>(w, x, B, y, pool);
    case Type::Q5_K: return detail::gemm_quantized<quant::Q5_K>(w, x, B, y, pool);
    case Type::Q6_K: return detail::gemm_quantized<quant::Q6_K>(w, x, B, y, pool);
    case Type::F32:
      return detail::gemm_float(w, x, B, y, pool, [](const std::byte* p, std::size_t i) {
        float v;
        std::memcpy(&v, p + 4 * i, 4);
        return v;
      });
    case Type::F16:
      return detail::gemm_float(w, x, B, y, pool, [](const std::byte* p, std::size_t i) {
        return numerics::f16_bits_to_f32(detail::load_u16(p, i));
      });
    case Type::BF16:
      return detail::gemm_float(w, x, B, y, pool, [](const std::byte* p, std::size_t i) {
        return numerics::bf16_bits_to_f32(detail::load_u16(p, i));
      });
    default:
      throw std::invalid_argument("gemm: unsupported weight type " + std::string(quant::name(w.type)));
  }
}

// X: B rows of w.cols floats; Y: B rows of w.rows floats.
inline void gemm(const model::TensorView& w, const float* x, std::size_t B, float* y, ThreadPool& pool) {
  static_assert(ops::kDotLanes == 32, "the x86 kernels hold the 32 logical lanes in their vectors");
#if defined(QVK_REF_HAVE_X86)
  switch (cpu_isa()) {
    case Isa::Avx512:
      if (x86_avx512::gemm(w, x, B, y, pool)) return;
      break;
    case Isa::Avx2:
      if (x86_avx2::gemm(w, x, B, y, pool)) return;
      break;
    default: break;
  }
#endif
  gemm_portable(w, x, B, y, pool);
}

// gemm of several matrices on the same input X (e.g. the Q, K and V projections):
// ys[i] = gemm(ws[i], X). The same bits as separate calls; faster when the x86
// kernels can quantize X once and run all rows in one parallel pass.
inline void gemm_multi(std::span<const model::TensorView* const> ws, const float* x, std::size_t B,
                       std::span<float* const> ys, ThreadPool& pool) {
#if defined(QVK_REF_HAVE_X86)
  if (cpu_isa() != Isa::Portable && ws.size() <= 8) {
    model::TensorView w[8];
    for (std::size_t i = 0; i < ws.size(); ++i) w[i] = *ws[i];
    const bool done = cpu_isa() == Isa::Avx512 ? x86_avx512::gemm_multi(w, ys.data(), ws.size(), x, B, pool)
                                               : x86_avx2::gemm_multi(w, ys.data(), ws.size(), x, B, pool);
    if (done) return;
  }
#endif
  for (std::size_t i = 0; i < ws.size(); ++i) gemm(*ws[i], x, B, ys[i], pool);
}

}  // namespace qvk::ref
