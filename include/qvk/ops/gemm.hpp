// qvk/ops/gemm.hpp — the GEMM op descriptor: Y[b][r] = W[r,:] · X[b] for a
// batch of B activation vectors (batched prefill: every projection of a chunk
// of prompt tokens), W on the GPU as stored in the GGUF.
//
// What it computes: for every column b, exactly what ops::Gemv computes for
// the vector X[b] — the same per-block integer parts and float terms, the same
// 32 logical lanes (lane l adds the terms of blocks/elements l, l+32, … in
// increasing order from +0), the same pairwise tree, the canonical NaN (gemv.hpp
// has the contract). So Y[b] is bit for bit ref::gemm with B = 1 on X[b], and a
// token's logits cannot depend on the batch it was computed in: this is the
// op that makes chunked prefill batch-invariant.
//
// Inputs:
//   quantized W: the batch [batch][cols] quantized by ops::QuantizeAct as ONE
//     vector of batch·cols elements (ActLayout{block, batch·cols}): cols is a
//     multiple of the block, so no block spans two columns, and column b's
//     block k is the layout's block b·cols/block + k — the same codes, d and
//     sums as quantizing X[b] alone (quantization is per block);
//   float W: x [batch][cols] f32.
//   y [batch][rows]: row-major by batch column, as ref::gemm writes it.
//
// Thread -> data mapping (GemmConfig; any valid config gives the same bits):
// a workgroup computes `rows` = workgroup/32 · items consecutive rows for
// `cols` consecutive batch columns. Thread t owns logical lane t % 32 of `items`
// consecutive rows and walks their blocks (elements for float W) k = lane,
// lane + 32, …, dotting each weight block with the `cols` columns' activation
// blocks (quant_blocks.glsl's block_part per column: the weight words are read
// again per column, from the cache; decoding them once per block is the
// obvious next step, docs/perf.md), the terms added to register accumulators
// [items][cols]; then one thread per (row, column) runs the lane tree over
// shared memory. Rows past the matrix read its last row and columns past the
// batch its last column (valid memory, never stored). The grid puts the batch
// column tiles in x, so the workgroups the device runs together share weight
// rows (they come from the cache, not memory, for all but the first tile).
// No subgroup operation anywhere (as the GEMV: the bits cannot depend on the
// subgroup size).
//
// Two shaders compute it. gemm.comp (above) is the plain one: integer dot
// products (OpSDot with int_dot) on the shader cores, any Vulkan 1.3 device.
// gemm_cm.comp (GemmConfig::coopmat, quantized weights only) forms each block's
// integer parts on cooperative-matrix units (VK_NV_cooperative_matrix int8
// 16x16x32, 32-wide subgroups: kCoopmatGemm or kCoopmatGemm256) and keeps
// every float op, in the same canonical order, on the shader cores; its
// header comment has the mapping. Both give the same bits for every activation
// layout whose stored block sums are the sums of its codes (what QuantizeAct
// and quant::quantize_q8_act write): gemm_cm.comp forms Q4_0's −8·Σc and
// Q6_K's −32·Σc from the codes and reads the K-quants' sub-block sums for
// their mins part; gemm.comp reads the sums.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "qvk/ops/descriptor.hpp"
#include "qvk/ops/plan.hpp"
#include "qvk/ops/quantize_act.hpp"
#include "qvk/ops/weight_format.hpp"
#include "qvk/quant/type.hpp"

namespace qvk::ops {

// Physical mapping of a GEMM (tuning only: every valid config gives the same bits).
struct GemmConfig {
  std::uint32_t workgroup = 128;  // threads per workgroup, whole groups of 32
  std::uint32_t items = 2;        // rows per thread (rows per workgroup = workgroup/32 · items)
  std::uint32_t cols = 8;         // batch columns per workgroup
  bool int_dot = false;           // quantized: OpSDot for the 4×int8 dot products
  bool coopmat = false;           // gemm_cm.comp: integer parts on cooperative-matrix units
};

// The cooperative-matrix shader's mappings: a tile of 32 rows by 64 batch
// columns (gemm_cm.comp's TM, TN) for 4 subgroups of 32 (items 8) or 8 (items 4).
inline constexpr GemmConfig kCoopmatGemm{128, 8, 64, false, true};
inline constexpr GemmConfig kCoopmatGemm256{256, 4, 64, false, true};

namespace detail {

inline constexpr std::string_view kGemmVariants[] = {
    "gemm_f32", "gemm_f16", "gemm_bf16", "gemm_q8_0", "gemm_q4_0", "gemm_q4_k", "gemm_q5_k", "gemm_q6_k",
    "gemm_q8_0_dot4", "gemm_q4_0_dot4", "gemm_q4_k_dot4", "gemm_q5_k_dot4", "gemm_q6_k_dot4",
    "gemm_q8_0_cm", "gemm_q4_0_cm", "gemm_q4_k_cm", "gemm_q5_k_cm", "gemm_q6_k_cm"};

constexpr std::string_view gemm_variant(quant::Type t, bool int_dot, bool coopmat) {
  const std::string_view s = weight_format(t).suffix;
  const std::string_view tail = coopmat ? "_cm" : int_dot ? "_dot4" : "";
  for (std::string_view v : kGemmVariants) {
    const std::string_view base = v.substr(5);
    if (base.size() == s.size() + tail.size() && base.starts_with(s) && base.ends_with(tail)) return v;
  }
  return {};
}

}  // namespace detail

template <quant::Type T, GemmConfig C = GemmConfig{}>
struct Gemm {
  static constexpr WeightFormat kFormat = weight_format(T);
  static constexpr bool kQuantized = kFormat.act != ActKind::Float;
  static constexpr GemmConfig kConfig = C;
  static constexpr std::uint32_t kLanes = std::uint32_t(kDotLanes);
  static_assert(kLanes == 32, "gemm.comp keeps a lane's tree in a fixed register array");
  static_assert(has_weight_format(T), "no GEMM kernel for this weight type");
  static_assert(kQuantized || !C.int_dot, "int_dot applies to quantized weights only");
  static_assert(C.workgroup >= 32 && C.workgroup <= 1024 && C.workgroup % 32 == 0,
                "the workgroup is whole groups of 32 threads (one per logical lane)");
  static_assert(C.coopmat || (C.items >= 1 && C.items <= 8 && C.cols >= 1 && C.cols <= 8 && C.items * C.cols <= 32),
                "items and cols 1..8, items·cols <= 32 register accumulators per thread");
  static_assert(!C.coopmat || (kQuantized && (C.workgroup == 128 || C.workgroup == 256) && C.workgroup / 32 * C.items == 32 &&
                               C.cols == 64 && !C.int_dot),
                "the cooperative-matrix GEMM takes quantized weights, 4 or 8 subgroups, 32 rows × 64 columns");

  static constexpr std::uint32_t kRows = C.workgroup / 32 * C.items;  // rows per workgroup
  // Shared memory: the lanes of every (row, column) of the tile (gemm.comp;
  // gemm_cm.comp's planes, codes and scales are at most 35,840 B declared,
  // 35,904 B by the H100 driver's count, of these 44 KiB; its header).
  static constexpr std::uint32_t kSharedBytes = C.coopmat ? 44 * 1024 : 4 * kRows * C.cols * kLanes;
  static_assert(C.coopmat || kSharedBytes <= 16384, "shared memory over 16 KiB: fewer rows or columns per workgroup");

  static constexpr bool kNeedsIntegerDotProduct = C.int_dot;
  // The device must have enabled VK_NV_cooperative_matrix with int8 16x16x32
  // and run 32-wide subgroups (vk::Device::cooperative_matrix_int8()).
  static constexpr bool kNeedsCooperativeMatrix = C.coopmat;
  static constexpr std::string_view kVariant = detail::gemm_variant(T, C.int_dot, C.coopmat);
  static_assert(!kVariant.empty(), "variant missing from detail::kGemmVariants");
  static constexpr std::string_view kSource = C.coopmat ? "gemm_cm.comp" : "gemm.comp";

  static constexpr std::array<Define, 2> kDefines{{{"QVK_WTYPE", int(T)}, {"QVK_INT_DOT", C.int_dot ? 1 : 0}}};
  static constexpr std::array<SpecConstant, 5> kSpecConstants{{{"WORKGROUP_SIZE", 0, C.workgroup},
                                                               {"ROWS", 1, kRows},
                                                               {"LANES", 2, kLanes},
                                                               {"ITEMS", 3, C.items},
                                                               {"COLS", 4, C.cols}}};

  struct PushConstants {
    std::uint32_t rows;
    std::uint32_t cols;
    std::uint32_t batch;
  };
  static_assert(sizeof(PushConstants) == 12, "push constants must match the GLSL block");
  static constexpr std::array<PushField, 3> kPushFields{{
      {"rows", Scalar::U32, offsetof(PushConstants, rows)},
      {"cols", Scalar::U32, offsetof(PushConstants, cols)},
      {"batch", Scalar::U32, offsetof(PushConstants, batch)},
  }};

  static constexpr std::array<Binding, 3> kBindings{
      {{"w", 0, Access::ReadOnly, Scalar::U32},
       kQuantized ? Binding{"act", 1, Access::ReadOnly, Scalar::U32} : Binding{"x", 1, Access::ReadOnly, Scalar::F32},
       {"y", 2, Access::WriteOnly, Scalar::F32}}};

  struct Problem {
    std::uint32_t rows = 0;
    std::uint32_t cols = 0;
    std::uint32_t batch = 0;
  };

  static constexpr std::uint32_t kMaxGroupsPerDim = 65535;

  // Words of the activation input of a batch.
  static constexpr std::uint64_t act_words(std::uint32_t cols, std::uint32_t batch) {
    const std::uint64_t n = std::uint64_t(cols) * batch;
    return kQuantized ? ActLayout{kFormat.block_elems, n}.words() : n;
  }

  static constexpr std::string_view why_invalid(const Problem& p) {
    if (p.rows == 0 || p.cols == 0 || p.batch == 0) return "rows, cols and batch must be positive";
    if (kQuantized && p.cols % kFormat.block_elems != 0)
      return "cols must be a multiple of the block size (32 for Q8_0/Q4_0, 256 for K-quants)";
    if (!kQuantized && p.cols % kFormat.parts != 0) return "cols must be a multiple of 4 (F32) or 8 (F16/BF16)";
    if (weight_bytes(T, p.rows, p.cols) > 0xffffffffull) return "weights over 4 GiB: byte offsets must fit 32 bits";
    if (act_words(p.cols, p.batch) > 0x3fffffffull || std::uint64_t(p.rows) * p.batch > 0x3fffffffull)
      return "activations or outputs over 4 GiB: word offsets must fit 32 bits";
    if ((p.batch + C.cols - 1) / C.cols > kMaxGroupsPerDim) return "batch too large for one dispatch";
    return {};
  }
  static constexpr bool valid(const Problem& p) { return why_invalid(p).empty(); }

  // The only dispatch geometry of this op: x = batch column tiles, y (and z
  // past 65,535) = row tiles; the shader linearizes y and z and skips tiles past the end.
  static constexpr Groups groups(const Problem& p) {
    const std::uint32_t gx = (p.batch + C.cols - 1) / C.cols;
    const std::uint32_t n = (p.rows + kRows - 1) / kRows;
    if (n <= kMaxGroupsPerDim) return {gx, n, 1};
    const std::uint32_t gz = (n + kMaxGroupsPerDim - 1) / kMaxGroupsPerDim;
    return {gx, (n + gz - 1) / gz, gz};
  }

  static constexpr PushConstants push_constants(const Problem& p) { return {p.rows, p.cols, p.batch}; }

  static constexpr std::array<std::uint64_t, 3> elements(const Problem& p) {
    return {weight_words(T, p.rows, p.cols), act_words(p.cols, p.batch), std::uint64_t(p.rows) * p.batch};
  }
};

static_assert(Gemm<quant::Type::Q4_K>::kRows == 8 && Gemm<quant::Type::Q4_K>::groups({4096, 4096, 512}) == Groups{64, 512, 1});
static_assert(Gemm<quant::Type::Q6_K>::groups({151936, 1024, 3}) == Groups{1, 18992, 1});
static_assert(Gemm<quant::Type::Q8_0, GemmConfig{32, 1, 1}>::groups({151936, 1024, 1}) == Groups{1, 50646, 3});
static_assert(Gemm<quant::Type::Q4_K>::act_words(512, 3) == ActLayout{256, 1536}.words() &&
              Gemm<quant::Type::F16>::act_words(24, 2) == 48);
static_assert(Gemm<quant::Type::Q8_0>::valid({2048, 1024, 7}) && !Gemm<quant::Type::Q4_K>::valid({16, 1024 + 32, 2}) &&
              !Gemm<quant::Type::F16>::valid({4, 16, 0}));
static_assert(Gemm<quant::Type::Q6_K, GemmConfig{.int_dot = true}>::kVariant == "gemm_q6_k_dot4" &&
              Gemm<quant::Type::Q6_K>::kVariant == "gemm_q6_k" && Gemm<quant::Type::Q4_K, kCoopmatGemm>::kVariant == "gemm_q4_k_cm");
static_assert(Gemm<quant::Type::Q4_K, kCoopmatGemm>::kRows == 32 &&
              Gemm<quant::Type::Q4_K, kCoopmatGemm>::groups({4096, 4096, 512}) == Groups{8, 128, 1});

}  // namespace qvk::ops
