// qvk/ops/gemv.hpp — the GEMV op descriptor: y[r] = W[r,:] · x for one
// activation vector (batch-1 decode: projections, FFN, LM head), with W on the
// GPU exactly as stored in the GGUF (quantized bytes, never dequantized).
//
// What it computes — bit for bit ref::gemm / ref::gemm_portable with B = 1:
//   quantized W (Q8_0, Q4_0: Q8Act32; Q4_K, Q5_K, Q6_K: Q8Act256): x arrives
//     already quantized by ops::QuantizeAct (its GPU layout is in
//     quantize_act.hpp). Per weight block k an exact int32 integer part and a
//     float term, exactly ref/block_dot.hpp:
//       Q8_0:  (da·d)·float(Σ q·c)            Q4_0: (da·d)·float(Σ nib·c − 8·Σc)
//       Q4_K, Q5_K: da·(d·float(A) − dmin·float(B)),  A = Σ_j sc_j Σ q·c,  B = Σ_j m_j·sums_j
//       Q6_K:  da·(d·float(A)),  A = Σ_j sc_j (Σ q'·c − 32·sums16_j), q' = q + 32 in [0, 63]
//     (every float op rounded, then flushed: qvk_mul/qvk_sub); the integer parts
//     are computed in any grouping (exact).
//   F32, F16, BF16 W: term per element = mul(flush(w_i), flush(x_i)).
//   The terms of a row are summed over kDotLanes = 32 logical lanes: lane l
//   adds the terms of blocks (elements) l, l+32, … in increasing order from +0,
//   then the pairwise tree (numerics::strided_sum). A NaN result is written as
//   the canonical NaN 0x7fc00000 (the reference may carry another payload;
//   NaN only arises from NaN/inf inputs or scales).
//
// Thread -> data mapping (Config; any valid config gives the same bits):
//   One workgroup computes `rows` consecutive rows (the grid is 2-D when more
//   than 65,535 workgroups are needed; groups() derives it, the shader
//   linearizes gl_WorkGroupID).
//   Quantized: each weight block is shared by `block_threads` (P) consecutive
//   threads, each computing the integer part of its 1/P of the block with
//   coalesced loads (P = 8 for Q4_K: 16 bytes of codes per thread). The row
//   is walked in chunks of KC = (workgroup/P)·items/rows blocks per row; per
//   chunk: (A) every thread computes the partial integer sums of its `items`
//   blocks (item = block_in_chunk·rows + row: neighbouring thread groups share
//   the activation block) into shared memory; barrier; (B) one thread per
//   (row, lane) adds the P partials of each of its blocks in the chunk (in
//   block order), forms the float term and adds it to the lane, kept in shared
//   memory across chunks; barrier. Then the lane tree per row (below).
//   Quantized, owner mapping (Config::owner): thread t owns logical lane
//   t % 32 of `items` consecutive rows (workgroup/32 groups of them, so rows =
//   workgroup/32 · items) and computes its blocks k = lane, lane+32, … whole
//   (P = 1), adding each term to the lane in registers: no exchange until the
//   lane tree, one barrier per workgroup. Each thread has a whole block of
//   every row in flight (144 bytes for Q4_K), the activations it loads serve
//   all its rows, and neighbouring threads read neighbouring blocks.
//   Both quantized mappings end with one thread per row adding the 32 lanes in
//   the tree's order in registers (the same adds as a tree across threads).
//   Float: each thread owns `items` consecutive rows (F16/BF16; F32 ignores
//   items: one row) — the activations it loads serve them all — and 32/T
//   consecutive lanes of each in registers, T = workgroup·items/rows threads per row (vector loads of up to 16 bytes, 4
//   (items 1) or 2 per row batched before their in-order adds), then the same
//   tree. F16 is widened by numerics.glsl's branch-free qvk_f16_bits_to_f32.
//   No subgroup operation anywhere (Vulkan does not tie subgroup invocations to
//   LocalInvocationIndex): every exchange goes through shared memory, so the bits
//   cannot depend on the subgroup size.
// Loads: 32-bit words; uvec4 where a block keeps 16-byte alignment (Q4_K, Q5_K,
// float rows with cols a multiple of 16 bytes). Q8_0, Q4_0 and Q6_K blocks
// start at even byte offsets only: their words are assembled from two aligned
// words (no 8/16-bit storage feature needed). int_dot variants compute the
// 4×int8 dot products with OpSDot (VK_KHR_shader_integer_dot_product, core in
// 1.3, feature shaderIntegerDotProduct required); the others use plain int
// math. Same bits either way (integers are exact).
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

// Physical mapping of a GEMV (tuning only: every valid config gives the same bits).
struct GemvConfig {
  std::uint32_t workgroup = 256;     // threads per workgroup
  std::uint32_t rows = 4;            // rows per workgroup
  std::uint32_t block_threads = 8;   // quantized: threads sharing one weight block (P, power of two <= parts)
  std::uint32_t items = 2;           // quantized: blocks each thread group handles per chunk (owner: rows per thread)
  bool int_dot = false;              // quantized: OpSDot for the 4×int8 dot products
  bool owner = false;                // quantized: lane-owner mapping (below); block_threads must be 1
};

// A reasonable mapping per type when the caller has not tuned one (docs/perf.md
// has the measurements): K-quants 16 blocks of 4 rows per chunk (a 4096-column
// row in one chunk), 8 threads per block (16 bytes of codes each); Q8_0 and Q4_0
// the owner mapping, one row per thread and 8 rows per workgroup (1.4–1.6× the
// split mapping on the H100 for Q8_0, 2026-11-22 session 3); F16/BF16
// 8 threads per row (4 lanes each), 2 rows per thread, 16 rows per workgroup; F32
// 8 threads per row (4 lanes, 16-byte loads), 32 rows per workgroup (H100, 2026-11-22).
constexpr GemvConfig default_gemv_config(quant::Type t) {
  const WeightFormat f = weight_format(t);
  if (f.act == ActKind::Float) return t == quant::Type::F32 ? GemvConfig{256, 32, 1, 1, false} : GemvConfig{64, 16, 1, 2, false};
  if (f.block_elems == 32) return GemvConfig{256, 8, 1, 1, false, true};
  return {256, 4, 8, 2, false};
}

namespace detail {

inline constexpr std::string_view kGemvVariants[] = {
    "gemv_f32", "gemv_f16", "gemv_bf16", "gemv_q8_0", "gemv_q4_0", "gemv_q4_k", "gemv_q5_k", "gemv_q6_k",
    "gemv_q8_0_dot4", "gemv_q4_0_dot4", "gemv_q4_k_dot4", "gemv_q5_k_dot4", "gemv_q6_k_dot4"};

constexpr std::string_view gemv_variant(quant::Type t, bool int_dot) {
  const std::string_view s = weight_format(t).suffix;
  for (std::string_view v : kGemvVariants) {
    const bool dot = v.ends_with("_dot4");
    const std::string_view base = dot ? v.substr(0, v.size() - 5) : v;
    if (dot == int_dot && base.substr(5) == s) return v;
  }
  return {};
}

constexpr bool is_pow2(std::uint32_t v) { return v != 0 && (v & (v - 1)) == 0; }

}  // namespace detail

template <quant::Type T, GemvConfig C = default_gemv_config(T)>
struct Gemv {
  static constexpr WeightFormat kFormat = weight_format(T);
  static constexpr bool kQuantized = kFormat.act != ActKind::Float;
  static constexpr GemvConfig kConfig = C;
  static constexpr std::uint32_t kLanes = std::uint32_t(kDotLanes);
  static_assert(kLanes == 32, "gemv.comp keeps a row's 32 lanes in a fixed register array for its tree");

  static_assert(has_weight_format(T), "no GEMV kernel for this weight type");
  static_assert(C.workgroup >= 1 && C.workgroup <= 1024, "workgroup size out of range");
  static_assert(C.rows >= 1 && C.rows <= 128, "rows per workgroup out of range");
  static_assert(kQuantized || !C.int_dot, "int_dot applies to quantized weights only");
  static_assert(!C.owner || (kQuantized && C.block_threads == 1 && C.workgroup % 32 == 0 && C.items >= 1 &&
                             C.items <= 8 && C.rows == C.workgroup / 32 * C.items),
                "owner mapping: quantized weights, block_threads 1, a workgroup of whole 32-lane groups, "
                "rows = workgroup/32 · items, items <= 8");

  // Quantized geometry: P threads per block, C.workgroup/P thread groups, each
  // with C.items blocks per chunk; KC blocks of each row per chunk.
  static constexpr std::uint32_t kBlockThreads = kQuantized ? C.block_threads : 1;
  static constexpr std::uint32_t kItems = C.items;  // quantized: blocks per thread group; float: rows per thread
  static constexpr std::uint32_t kChunkItems = C.workgroup / kBlockThreads * kItems;
  static constexpr std::uint32_t kChunkBlocks = kChunkItems / C.rows;
  // Float geometry: threads per row (each thread owns `items` rows) and lanes per thread.
  static constexpr std::uint32_t kFloatRows = T == quant::Type::F32 ? 1 : C.items;  // F32 ignores items
  static constexpr std::uint32_t kRowThreads = kQuantized ? C.workgroup / C.rows : C.workgroup * kFloatRows / C.rows;
  static constexpr std::uint32_t kThreadLanes = kQuantized ? 0 : kLanes / kRowThreads;

  static_assert(!kQuantized || (detail::is_pow2(C.block_threads) && C.block_threads <= kFormat.parts &&
                                C.workgroup % C.block_threads == 0),
                "block_threads must be a power of two <= the format's parts, dividing the workgroup");
  static_assert(!kQuantized || (C.items >= 1 && kChunkItems % C.rows == 0 && kChunkBlocks >= 1),
                "a chunk must hold the same whole number of blocks for every row");
  static_assert(kQuantized || (kFloatRows >= 1 && C.rows % kFloatRows == 0 && C.workgroup % (C.rows / kFloatRows) == 0 &&
                                detail::is_pow2(kRowThreads) && kRowThreads <= kLanes && kFloatRows <= 8 &&
                                kFloatRows * kThreadLanes <= 32),
                "float weights: `items` rows per thread, workgroup·items/rows threads per row (a power of two "
                "<= 32), items <= 8, items·lanes per thread <= 32");

  // Shared memory the shader declares (must fit Vulkan's guaranteed 16 KiB).
  static constexpr std::uint32_t kSharedBytes =
      4 * C.rows * kLanes +
      (kQuantized ? (C.owner ? 4 * 2 : 4 * (C.workgroup * kItems + kChunkItems)) * (kFormat.mins ? 2 : 1) : 0);  // owner: 1-element stubs
  static_assert(kSharedBytes <= 16384, "shared memory over 16 KiB: fewer items or rows");

  // The recorder refuses int_dot variants on a device without shaderIntegerDotProduct.
  static constexpr bool kNeedsIntegerDotProduct = C.int_dot;

  static constexpr std::string_view kVariant = detail::gemv_variant(T, C.int_dot);
  static_assert(!kVariant.empty(), "variant missing from detail::kGemvVariants");
  static constexpr std::string_view kSource = "gemv.comp";

  static constexpr std::array<Define, 2> kDefines{{{"QVK_WTYPE", int(T)}, {"QVK_INT_DOT", C.int_dot ? 1 : 0}}};

  static constexpr auto kSpecConstants = [] {
    if constexpr (kQuantized)
      return std::array<SpecConstant, 6>{{{"WORKGROUP_SIZE", 0, C.workgroup},
                                          {"ROWS", 1, C.rows},
                                          {"LANES", 2, kLanes},
                                          {"BLOCK_THREADS", 3, C.block_threads},
                                          {"ITEMS", 4, C.items},
                                          {"OWNER", 5, C.owner ? 1u : 0u}}};
    else
      return std::array<SpecConstant, 4>{
          {{"WORKGROUP_SIZE", 0, C.workgroup}, {"ROWS", 1, C.rows}, {"LANES", 2, kLanes}, {"ITEMS", 3, C.items}}};
  }();

  struct PushConstants {
    std::uint32_t rows;
    std::uint32_t cols;
  };
  static_assert(sizeof(PushConstants) == 8, "push constants must match the GLSL block");
  static constexpr std::array<PushField, 2> kPushFields{{
      {"rows", Scalar::U32, offsetof(PushConstants, rows)},
      {"cols", Scalar::U32, offsetof(PushConstants, cols)},
  }};

  // w: the GGUF bytes of [rows][cols] as 32-bit words (padded to a whole word);
  // act: QuantizeAct's blocks of x (quantized W) or x itself [cols] (float W);
  // y [rows].
  static constexpr std::array<Binding, 3> kBindings{
      {{"w", 0, Access::ReadOnly, Scalar::U32},
       kQuantized ? Binding{"act", 1, Access::ReadOnly, Scalar::U32} : Binding{"x", 1, Access::ReadOnly, Scalar::F32},
       {"y", 2, Access::WriteOnly, Scalar::F32}}};

  struct Problem {
    std::uint32_t rows = 0;
    std::uint32_t cols = 0;
  };

  static constexpr std::uint32_t kMaxGroupsPerDim = 65535;

  // Empty when valid, else why not (record() puts it in its error).
  static constexpr std::string_view why_invalid(const Problem& p) {
    if (p.rows == 0 || p.cols == 0) return "rows and cols must be positive";
    if (kQuantized && p.cols % kFormat.block_elems != 0)
      return "cols must be a multiple of the block size (32 for Q8_0/Q4_0, 256 for K-quants)";
    if (!kQuantized && p.cols % kFormat.parts != 0)
      return "cols must be a multiple of 4 (F32) or 8 (F16/BF16): rows are read as 16-byte vectors";
    if (weight_bytes(T, p.rows, p.cols) > 0xffffffffull) return "weights over 4 GiB: byte offsets must fit 32 bits";
    return {};
  }
  static constexpr bool valid(const Problem& p) { return why_invalid(p).empty(); }

  static constexpr std::uint32_t workgroups(const Problem& p) { return (p.rows + C.rows - 1) / C.rows; }

  // The only dispatch geometry of this op: 1-D up to 65,535 workgroups, else
  // 2-D with the fewest rows of gx workgroups (the shader skips ids past the end).
  static constexpr Groups groups(const Problem& p) {
    const std::uint32_t n = workgroups(p);
    if (n <= kMaxGroupsPerDim) return {n, 1, 1};
    const std::uint32_t gy = (n + kMaxGroupsPerDim - 1) / kMaxGroupsPerDim;
    return {(n + gy - 1) / gy, gy, 1};
  }

  static constexpr PushConstants push_constants(const Problem& p) { return {p.rows, p.cols}; }

  static constexpr std::array<std::uint64_t, 3> elements(const Problem& p) {
    const std::uint64_t x = kQuantized ? ActLayout{kFormat.block_elems, p.cols}.words() : p.cols;
    return {weight_words(T, p.rows, p.cols), x, p.rows};
  }
};

// The LM heads need a 2-D grid: 151,936 and 248,320 rows at one row per workgroup.
static_assert(Gemv<quant::Type::Q6_K, GemvConfig{256, 1, 8, 2}>::groups({151936, 1024}) == Groups{50646, 3, 1});
static_assert(Gemv<quant::Type::Q4_K, GemvConfig{64, 1, 8, 1}>::groups({248320, 1024}) == Groups{62080, 4, 1});
static_assert(Gemv<quant::Type::Q4_K>::groups({4096, 4096}) == Groups{1024, 1, 1});
static_assert(Gemv<quant::Type::F16>::groups({1000, 1024}) == Groups{63, 1, 1});
static_assert(Gemv<quant::Type::Q8_0>::valid({2048, 1024}) && !Gemv<quant::Type::Q8_0>::valid({2048, 1000}) &&
              !Gemv<quant::Type::Q4_K>::valid({16, 1024 + 32}) && !Gemv<quant::Type::F16>::valid({4, 12}));
static_assert(Gemv<quant::Type::Q4_K>::kChunkBlocks == 16 && Gemv<quant::Type::Q4_K>::kVariant == "gemv_q4_k");
static_assert(Gemv<quant::Type::Q6_K, GemvConfig{.int_dot = true}>::kVariant == "gemv_q6_k_dot4");
static_assert(Gemv<quant::Type::Q4_K, GemvConfig{256, 16, 1, 2, true, true}>::groups({4096, 4096}) == Groups{256, 1, 1} &&
              Gemv<quant::Type::Q4_K, GemvConfig{256, 16, 1, 2, true, true}>::kSharedBytes == 4 * 16 * 32 + 16);
static_assert(Gemv<quant::Type::BF16>::kThreadLanes == 4 && Gemv<quant::Type::Q4_0>::kChunkBlocks == 32 &&
              Gemv<quant::Type::Q8_0>::kChunkBlocks == 32);

}  // namespace qvk::ops
