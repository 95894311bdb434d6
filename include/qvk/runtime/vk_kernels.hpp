// qvk/runtime/vk_kernels.hpp — the Vulkan runtime's choice of op instance for
// a value known only at run time (a tensor's quant type, the head_dim).
//
// The op descriptors are templates (types -> SPIR-V variants, sizes ->
// specialization constants); a model's types come from its file. These
// functions are the runtime switches from (quant::Type, head_dim, ...) to the
// template instance, and the workgroup sizes the runtime uses. They choose
// physical mappings only: every instance computes the same bits (the property
// tests of each op hold that), so nothing here can change a logit.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>

#include "qvk/ops/attention.hpp"
#include "qvk/ops/attention_rows.hpp"
#include "qvk/ops/embed_row.hpp"
#include "qvk/ops/gemm.hpp"
#include "qvk/ops/gemv.hpp"
#include "qvk/ops/quantize_act.hpp"
#include "qvk/ops/rmsnorm.hpp"
#include "qvk/ops/weight_format.hpp"
#include "qvk/quant/type.hpp"
#include "qvk/vk/record.hpp"

namespace qvk::runtime::vkk {

using quant::Type;

// Workgroup sizes of the small ops (mapping only).
inline constexpr std::uint32_t kNormWorkgroup = 1024;    // RMSNorm of a hidden row (H100: 1x4096 7.8 us vs 13.0 at 256)
inline constexpr std::uint32_t kNormWorkgroupSmall = 256;  // the same where 1024 invocations are not allowed (Vulkan guarantees only 128; every desktop GPU allows 256)
inline constexpr std::uint32_t kHeadNormWorkgroup = 64;  // QK-norm: rows = heads, n = head_dim
inline constexpr std::uint32_t kElementWorkgroup = 256;  // Add, bias, SwiGLU
inline constexpr std::uint32_t kRopeWorkgroup = 64;
inline constexpr std::uint32_t kKvWorkgroup = 64;
inline constexpr std::uint32_t kEmbedWorkgroup = 64;
inline constexpr std::uint32_t kQuantizeWorkgroup = 64;
inline constexpr std::uint32_t kArgmaxWorkgroup = 256;
inline constexpr std::uint32_t kTopKWorkgroup = 256;
inline constexpr std::uint32_t kSampleWorkgroup = 128;  // one thread per candidate (k <= ops::kTopKMaxK)
inline constexpr std::uint32_t kAttnChunksWorkgroup = 128;
inline constexpr std::uint32_t kAttnCombineWorkgroup = 128;
// The batched-prefill GEMM's mapping (int_dot set per call); quantized weights
// take ops::kCoopmatGemm instead where the device has it (detail::gemm_as).
inline constexpr ops::GemmConfig kGemmConfig{128, 2, 8, false};
// Query heads per kv head the attention instance supports (every dense Qwen2/Qwen3 has <= 8).
inline constexpr std::uint32_t kAttnMaxGroup = 8;

inline bool is_supported_weight(Type t) { return ops::has_weight_format(t); }

inline std::string type_name(Type t) { return std::string(quant::info(t).name); }

// The activation a GEMV of weight type t reads: the f32 vector or Q8 blocks of 32 / 256.
inline ops::ActKind act_kind(Type t) { return ops::weight_format(t).act; }

namespace detail {

template <Type T, bool Dot>
constexpr ops::GemvConfig gemv_config() {
  ops::GemvConfig c = ops::default_gemv_config(T);
  c.int_dot = Dot;
  return c;
}

template <Type T, bool Dot>
void gemv_as(vk::Recorder& rec, VkCommandBuffer cmd, vk::BufferRange w, vk::BufferRange x, vk::BufferRange y,
             std::uint32_t rows, std::uint32_t cols) {
  using Op = ops::Gemv<T, gemv_config<T, Dot>()>;
  vk::record<Op>(rec, cmd, {w, x, y}, {rows, cols});
}

template <Type T>
void gemv_typed(vk::Recorder& rec, VkCommandBuffer cmd, bool int_dot, vk::BufferRange w, vk::BufferRange x,
                vk::BufferRange y, std::uint32_t rows, std::uint32_t cols) {
  if constexpr (ops::weight_format(T).act == ops::ActKind::Float)
    gemv_as<T, false>(rec, cmd, w, x, y, rows, cols);
  else if (int_dot)
    gemv_as<T, true>(rec, cmd, w, x, y, rows, cols);
  else
    gemv_as<T, false>(rec, cmd, w, x, y, rows, cols);
}

}  // namespace detail

// y[rows] = W[rows][cols] · x. For a quantized type x is QuantizeAct's blocks
// of the input (act_kind(t)), for F32/F16/BF16 the f32 input itself.
// int_dot picks the OpSDot variants of the quantized types (same bits).
inline void record_gemv(vk::Recorder& rec, VkCommandBuffer cmd, Type t, bool int_dot, vk::BufferRange w,
                        vk::BufferRange x, vk::BufferRange y, std::uint32_t rows, std::uint32_t cols) {
  switch (t) {
    case Type::F32:
      return detail::gemv_typed<Type::F32>(rec, cmd, int_dot, w, x, y, rows, cols);
    case Type::F16:
      return detail::gemv_typed<Type::F16>(rec, cmd, int_dot, w, x, y, rows, cols);
    case Type::BF16:
      return detail::gemv_typed<Type::BF16>(rec, cmd, int_dot, w, x, y, rows, cols);
    case Type::Q8_0:
      return detail::gemv_typed<Type::Q8_0>(rec, cmd, int_dot, w, x, y, rows, cols);
    case Type::Q4_0:
      return detail::gemv_typed<Type::Q4_0>(rec, cmd, int_dot, w, x, y, rows, cols);
    case Type::Q4_K:
      return detail::gemv_typed<Type::Q4_K>(rec, cmd, int_dot, w, x, y, rows, cols);
    case Type::Q5_K:
      return detail::gemv_typed<Type::Q5_K>(rec, cmd, int_dot, w, x, y, rows, cols);
    case Type::Q6_K:
      return detail::gemv_typed<Type::Q6_K>(rec, cmd, int_dot, w, x, y, rows, cols);
    default:
      throw std::invalid_argument("vulkan runtime: no GEMV for weight type " + type_name(t));
  }
}

namespace detail {

template <Type T, bool Dot>
void gemm_as(vk::Recorder& rec, VkCommandBuffer cmd, vk::BufferRange w, vk::BufferRange x, vk::BufferRange y,
             std::uint32_t rows, std::uint32_t cols, std::uint32_t batch) {
  constexpr bool kQuantized = ops::weight_format(T).act != ops::ActKind::Float;
  constexpr bool kDot = Dot && kQuantized;
  using Op = ops::Gemm<T, ops::GemmConfig{kGemmConfig.workgroup, kGemmConfig.items, kGemmConfig.cols, kDot}>;
  if constexpr (kQuantized) {
    // The same bits on cooperative-matrix units where the device has them (ops/gemm.hpp):
    // 8 subgroups for the K-quants, 4 for the 32-element blocks (the faster of
    // the two on the H100 at the 8B shapes, docs/perf.md).
    constexpr bool kSuper = ops::weight_format(T).block_elems == 256;
    using Cm = ops::Gemm<T, kSuper ? ops::kCoopmatGemm256 : ops::kCoopmatGemm>;
    if (rec.device().cooperative_matrix_int8() && Cm::valid({rows, cols, batch}))
      return vk::record<Cm>(rec, cmd, {w, x, y}, {rows, cols, batch});
  }
  vk::record<Op>(rec, cmd, {w, x, y}, {rows, cols, batch});
}

}  // namespace detail

// Y[batch][rows] = W · X[b] for each b (batched prefill): per column the bits
// of record_gemv. For a quantized type x is QuantizeAct's blocks of the whole
// [batch][cols] input quantized as one vector (ops/gemm.hpp).
inline void record_gemm(vk::Recorder& rec, VkCommandBuffer cmd, Type t, bool int_dot, vk::BufferRange w,
                        vk::BufferRange x, vk::BufferRange y, std::uint32_t rows, std::uint32_t cols,
                        std::uint32_t batch) {
  auto as = [&]<Type T>() {
    if (int_dot)
      detail::gemm_as<T, true>(rec, cmd, w, x, y, rows, cols, batch);
    else
      detail::gemm_as<T, false>(rec, cmd, w, x, y, rows, cols, batch);
  };
  switch (t) {
    case Type::F32: return as.template operator()<Type::F32>();
    case Type::F16: return as.template operator()<Type::F16>();
    case Type::BF16: return as.template operator()<Type::BF16>();
    case Type::Q8_0: return as.template operator()<Type::Q8_0>();
    case Type::Q4_0: return as.template operator()<Type::Q4_0>();
    case Type::Q4_K: return as.template operator()<Type::Q4_K>();
    case Type::Q5_K: return as.template operator()<Type::Q5_K>();
    case Type::Q6_K: return as.template operator()<Type::Q6_K>();
    default:
      throw std::invalid_argument("vulkan runtime: no GEMM for weight type " + type_name(t));
  }
}

// y[cols] = row `tok[token_index]` of the embedding table, dequantized (token id read from the device buffer).
inline void record_embed(vk::Recorder& rec, VkCommandBuffer cmd, Type t, vk::BufferRange table, vk::BufferRange tok,
                         vk::BufferRange y, std::uint32_t rows, std::uint32_t cols, std::uint32_t token_index = 0) {
  auto as = [&]<Type T>() {
    vk::record<ops::EmbedRow<T, kEmbedWorkgroup, true>>(rec, cmd, {table, tok, y}, {rows, cols, 0, token_index});
  };
  switch (t) {
    case Type::F32:
      return as.template operator()<Type::F32>();
    case Type::F16:
      return as.template operator()<Type::F16>();
    case Type::BF16:
      return as.template operator()<Type::BF16>();
    case Type::Q8_0:
      return as.template operator()<Type::Q8_0>();
    case Type::Q4_0:
      return as.template operator()<Type::Q4_0>();
    case Type::Q4_K:
      return as.template operator()<Type::Q4_K>();
    case Type::Q5_K:
      return as.template operator()<Type::Q5_K>();
    case Type::Q6_K:
      return as.template operator()<Type::Q6_K>();
    default:
      throw std::invalid_argument("vulkan runtime: no embedding kernel for type " + type_name(t));
  }
}

// RMSNorm of `rows` hidden rows (fused with the residual add when Residual):
// kNormWorkgroup invocations where the device allows them, else kNormWorkgroupSmall.
// Both RmsNorm instances take the same bindings array; the bits are the same.
template <bool Residual>
void record_hidden_norm(vk::Recorder& rec, VkCommandBuffer cmd, const vk::Bindings<ops::RmsNorm<kNormWorkgroup, Residual>>& b,
                        std::uint32_t n, float eps, std::uint32_t rows = 1) {
  if (rec.device().features().max_workgroup_invocations >= kNormWorkgroup)
    vk::record<ops::RmsNorm<kNormWorkgroup, Residual>>(rec, cmd, b, {rows, n, eps});
  else
    vk::record<ops::RmsNorm<kNormWorkgroupSmall, Residual>>(rec, cmd, b, {rows, n, eps});
}

// Q8 activation blocks of x[n] for a GEMV whose weights pair with `kind`.
inline void record_quantize(vk::Recorder& rec, VkCommandBuffer cmd, ops::ActKind kind, vk::BufferRange x,
                            vk::BufferRange act, std::uint32_t n) {
  if (kind == ops::ActKind::Q8Act32)
    vk::record<ops::QuantizeAct<32, kQuantizeWorkgroup>>(rec, cmd, {x, act}, {n});
  else if (kind == ops::ActKind::Q8Act256)
    vk::record<ops::QuantizeAct<256, kQuantizeWorkgroup>>(rec, cmd, {x, act}, {n});
  else
    throw std::logic_error("record_quantize: float weights read the f32 vector");
}

// Q8 activation blocks of swiglu(g, u)[n] for a GEMV whose weights pair with
// `kind`: the same bits as SwiGlu then record_quantize, one dispatch.
inline void record_swiglu_quantize(vk::Recorder& rec, VkCommandBuffer cmd, ops::ActKind kind, vk::BufferRange g,
                                   vk::BufferRange u, vk::BufferRange act, std::uint32_t n) {
  using ops::ActInput;
  if (kind == ops::ActKind::Q8Act32)
    vk::record<ops::QuantizeAct<32, kQuantizeWorkgroup, ActInput::SwiGlu>>(rec, cmd, {g, u, act}, {n});
  else if (kind == ops::ActKind::Q8Act256)
    vk::record<ops::QuantizeAct<256, kQuantizeWorkgroup, ActInput::SwiGlu>>(rec, cmd, {g, u, act}, {n});
  else
    throw std::logic_error("record_swiglu_quantize: float weights read the f32 vector");
}

// Bytes of the activation blocks of n elements for `kind`.
inline std::uint64_t act_bytes(ops::ActKind kind, std::uint64_t n) {
  if (kind == ops::ActKind::Float) return 0;
  return 4 * ops::ActLayout{kind == ops::ActKind::Q8Act32 ? 32u : 256u, n}.words();
}

// head_dims with an attention instance.
inline bool attention_head_dim_supported(std::uint32_t hd) { return hd == 64 || hd == 128 || hd == 256; }

// Attention of p.queries consecutive query rows: pass 1 then AttentionCombine
// over the same problem (the recorder's barrier orders them). Pass 1 is
// AttentionRows for several rows at head_dim 128 (one workgroup per block of
// query vectors), AttentionChunks otherwise (one per row); both write the same
// partials bits. `position` given: the Buffer form (the attended count is
// problem.n_pos + row + position[0]); null buffer: the push-constant form.
inline void record_attention(vk::Recorder& rec, VkCommandBuffer cmd, std::uint32_t head_dim,
                             const ops::AttentionProblem& p, vk::BufferRange q, vk::BufferRange k, vk::BufferRange v,
                             vk::BufferRange part_ml, vk::BufferRange part_o, vk::BufferRange out,
                             vk::BufferRange position) {
  using ops::PositionFrom;
  auto as = [&]<std::uint32_t HD>() {
    constexpr bool kRowsKernel = HD == ops::AttentionRows<>::kHeadDim;
    if (position.buffer) {
      if (kRowsKernel && p.queries > 1)
        vk::record<ops::AttentionRows<PositionFrom::Buffer>>(rec, cmd, {q, k, v, part_ml, part_o, position}, p);
      else
        vk::record<ops::AttentionChunks<HD, kAttnChunksWorkgroup, kAttnMaxGroup, PositionFrom::Buffer>>(
            rec, cmd, {q, k, v, part_ml, part_o, position}, p);
      vk::record<ops::AttentionCombine<HD, kAttnCombineWorkgroup, PositionFrom::Buffer>>(
          rec, cmd, {part_ml, part_o, out, position}, p);
    } else {
      if (kRowsKernel && p.queries > 1)
        vk::record<ops::AttentionRows<>>(rec, cmd, {q, k, v, part_ml, part_o}, p);
      else
        vk::record<ops::AttentionChunks<HD, kAttnChunksWorkgroup, kAttnMaxGroup>>(rec, cmd,
                                                                                  {q, k, v, part_ml, part_o}, p);
      vk::record<ops::AttentionCombine<HD, kAttnCombineWorkgroup>>(rec, cmd, {part_ml, part_o, out}, p);
    }
  };
  switch (head_dim) {
    case 64:
      return as.template operator()<64>();
    case 128:
      return as.template operator()<128>();
    case 256:
      return as.template operator()<256>();
    default:
      throw std::invalid_argument("vulkan runtime: no attention kernel for head_dim " + std::to_string(head_dim));
  }
}

}  // namespace qvk::runtime::vkk
