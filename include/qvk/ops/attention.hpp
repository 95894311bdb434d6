// qvk/ops/attention.hpp — causal attention (GQA) for one query position
// (decode) or a run of consecutive ones (batched prefill), as split-K "flash
// decoding": two descriptors recorded back to back with the same Problem,
// AttentionChunks (or, for runs of rows at head_dim 128, AttentionRows in
// ops/attention_rows.hpp: the same partials bits) then AttentionCombine.
//
// Computes ref::attention (reference/include/qvk/ref/ops.hpp, the normative
// definition; docs/numerics.md): for each query head h, kv head g = h / group,
// over cache positions [0, n_pos), with scale = f32(1/sqrt(HeadDim)) from the host:
//   s_j = (Σ_i q_i·k_ji over kHeadDotLanes = 32 lanes)·scale
//   per chunk c of kAttnChunk = 64 positions (n_c of them present):
//     m_c = s_0, then m_c = s_j when s_j > m_c (j = 1 … n_c−1, in order)
//     p_j = exp(s_j − m_c) for present j, +0 for absent lanes
//     l_c = tree Σ p_j,  o_c,i = tree Σ p_j·v_ji   (64-lane tree, lane = position)
//   chunks folded in increasing order: c = 0: M = m_0, L = l_0, O = o_0; then
//     M' = (m_c > M ? m_c : M), a = exp(M − M'), b = exp(m_c − M'),
//     L = L·a + l_c·b, O_i = O_i·a + o_c,i·b, M = M'
//   out_i = O_i·recip(L)
// Every float op is numerics::add/sub/mul (rounded, then the tiny-value flush).
// q is flushed as it is loaded (as every f32 kernel input). The reference does not
// flush q; for a subnormal q_i (which no forward pass produces: q comes out of
// flushed RoPE arithmetic) that changes m_c but, barring a chain of exact rounding
// ties, no output bit (its products are below 2^-110, absorbed by any score that
// moves exp off 1). K and V are f16 bits, converted exactly.
//
// Split-K is exact because every chunk's (m_c, l_c, o_c) depends on that chunk
// alone: AttentionChunks computes all of them in parallel and writes them to the
// partials buffers; AttentionCombine folds them per head in increasing chunk
// order, the reference's left fold, element by element.
//
// Queries: query row r (0 <= r < `queries`) attends n_pos + r positions (the
// Buffer form adds pos[0]): row r of a prefill chunk starting at position p0 has
// n_pos = p0 + 1. Every row is computed exactly as a decode step with that
// count (its own chunks, partials and fold), so a token's attention output
// does not depend on how many rows were computed with it.
//
// Layouts (normative for the runtime; docs/numerics.md), per query row r:
//   q       f32 [queries][heads][HeadDim]
//   k, v    f16 bits [position][kv_heads·HeadDim], read as uint words (the low
//           half of word w is element 2w): exactly the bytes of ref::KvLayer
//   part_ml f32 [queries][chunk][heads][2]        (m_c, l_c; chunks of the capacity)
//   part_o  f32 [queries][chunk][heads][HeadDim]  (o_c)
//   attn    f32 [queries][heads][HeadDim]   (the output; `out` is a GLSL keyword)
//
// n_pos versus capacity: the dispatch geometry depends only on `capacity` (the
// positions the KV buffers hold); the shaders read the attended count through one
// GLSL function, attn_n_pos() in shaders/common/attention.glsl. Chunk workgroups
// with c·64 >= count exit before writing anything, and the combine reads only
// chunks < ceil(count/64). PositionFrom::PushConstant: count = n_pos + r.
// PositionFrom::Buffer (variants *_posbuf_*): count = min(n_pos + r + pos[0], capacity)
// with pos[0] read from a one-uint buffer, the convention of KvAppend/RopeNeox
// (ops/position.hpp): a runtime that replays one command buffer per token records
// n_pos = 1 and writes the token's position p into pos[0] (the append put its K/V
// at p), so p + 1 positions are attended, and nothing in the recording changes.
//
// Thread -> data mapping of AttentionChunks (free to change; the order above is
// not): one workgroup per (kv head g, chunk c, query row r), computing all `group` query heads
// of g so each K/V element is loaded from memory once. q of those heads is kept in
// shared memory; K is staged as f32 in tiles of kKTile positions (row stride
// HeadDim + 4, read as vec4), one task per (head, position) keeps the 32 dot lanes
// in 8 vec4 registers and runs their tree; one thread per head scans the max; one
// task per (head, position) computes p; V is staged in slices of kVSlice elements
// × 64 positions and one task per (head, element) evaluates the 64-lane tree in
// registers (its first level, lane j + lane j+32, in 8 vec4). When every nonzero |q| (resp. p) is >= 2^-78, q·k (resp. p·v) runs
// without the flush test: then no product or partial sum can be a nonzero value
// <= FLT_MIN (the argument is in reference/include/qvk/ref/x86/ops.inc, no_tiny),
// so the bits are the same.
//
// AttentionCombine: one workgroup per (head, slice of WorkgroupSize elements, query row);
// per block of WorkgroupSize chunks, thread t loads (m, l) of chunk t, thread 0
// scans M in chunk order, thread t computes a and b of chunk t, then every thread
// folds L and its element's O over the block in chunk order.
#pragma once

#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "qvk/ops/descriptor.hpp"
#include "qvk/ops/grid.hpp"
#include "qvk/ops/plan.hpp"
#include "qvk/ops/position.hpp"

namespace qvk::ops {

static_assert(kAttnChunk == 64 && kHeadDotLanes == 32, "the attention shaders are written for 64-position chunks and 32 dot lanes");

// One decode-attention call (both descriptors take the same problem).
struct AttentionProblem {
  std::uint32_t heads = 0;     // query heads
  std::uint32_t kv_heads = 0;  // K/V heads; heads % kv_heads == 0
  std::uint32_t n_pos = 0;     // positions attended: [0, n_pos) (plus pos[0] in the Buffer form)
  std::uint32_t capacity = 0;  // positions the dispatch covers (>= n_pos + queries - 1): the KV buffers' length
  std::uint32_t queries = 1;   // query rows; row r attends n_pos + r positions
};

inline constexpr std::uint32_t attention_chunks(std::uint32_t positions) {
  return (positions + std::uint32_t(kAttnChunk) - 1) / std::uint32_t(kAttnChunk);
}

// Push constants of both attention shaders.
struct AttentionPushConstants {
  std::uint32_t heads;
  std::uint32_t kv_heads;
  std::uint32_t group;  // heads / kv_heads
  std::uint32_t n_pos;
  float scale;          // f32(1/sqrt(head_dim)), as ref::inv_sqrt
  std::uint32_t capacity;
  std::uint32_t queries;  // query rows (AttentionRows' blocks of query vectors end inside the last row)
};
static_assert(sizeof(AttentionPushConstants) == 28, "push constants must match the GLSL block");
inline constexpr std::array<PushField, 7> kAttentionPushFields{{
    {"heads", Scalar::U32, offsetof(AttentionPushConstants, heads)},
    {"kv_heads", Scalar::U32, offsetof(AttentionPushConstants, kv_heads)},
    {"group", Scalar::U32, offsetof(AttentionPushConstants, group)},
    {"n_pos", Scalar::U32, offsetof(AttentionPushConstants, n_pos)},
    {"scale", Scalar::F32, offsetof(AttentionPushConstants, scale)},
    {"capacity", Scalar::U32, offsetof(AttentionPushConstants, capacity)},
    {"queries", Scalar::U32, offsetof(AttentionPushConstants, queries)},
}};

// Problem checks shared by both descriptors (head_dim and the group bound are theirs).
inline constexpr bool attention_valid(const AttentionProblem& p, std::uint32_t head_dim, std::uint32_t max_group) {
  if (p.heads < 1 || p.kv_heads < 1 || p.heads % p.kv_heads != 0 || p.heads / p.kv_heads > max_group) return false;
  if (p.heads > kMaxGroupsPerDim || p.kv_heads > kMaxGroupsPerDim) return false;
  if (p.n_pos < 1 || p.queries < 1 || p.queries > kMaxGroupsPerDim || p.n_pos > p.capacity ||
      p.queries - 1 > p.capacity - p.n_pos)
    return false;
  const std::uint64_t chunks = attention_chunks(p.capacity);
  if (chunks > kMaxGroupsPerDim) return false;
  // Every word index the shaders form fits a uint.
  return std::uint64_t(p.capacity) * p.kv_heads * head_dim / 2 <= 0xffffffffu &&
         chunks * p.heads * head_dim * p.queries <= 0xffffffffu;
}

inline AttentionPushConstants attention_push_constants(const AttentionProblem& p, std::uint32_t head_dim) {
  return {p.heads, p.kv_heads, p.heads / p.kv_heads, p.n_pos,
          static_cast<float>(1.0 / std::sqrt(static_cast<double>(head_dim))), p.capacity, p.queries};
}

// Per-chunk partials: (m_c, l_c) per head and o_c per head, for every chunk the
// capacity holds, per query row.
inline constexpr std::uint64_t attention_ml_elements(const AttentionProblem& p) {
  return std::uint64_t(attention_chunks(p.capacity)) * p.heads * 2 * p.queries;
}
inline constexpr std::uint64_t attention_o_elements(const AttentionProblem& p, std::uint32_t head_dim) {
  return std::uint64_t(attention_chunks(p.capacity)) * p.heads * head_dim * p.queries;
}

// Pass 1: every chunk's (m_c, l_c, o_c) for every head.
template <std::uint32_t HeadDim, std::uint32_t WorkgroupSize = 128, std::uint32_t MaxGroup = 8,
          PositionFrom From = PositionFrom::PushConstant>
struct AttentionChunks {
  static_assert(HeadDim >= 32 && HeadDim <= 256 && HeadDim % 32 == 0, "head_dim: a multiple of 32 up to 256");
  static_assert(WorkgroupSize >= 1 && WorkgroupSize <= 1024, "workgroup size out of range");
  static_assert(MaxGroup >= 1 && MaxGroup <= 64, "group bound out of range");

  static constexpr std::uint32_t kHeadDim = HeadDim;
  static constexpr std::uint32_t kWorkgroupSize = WorkgroupSize;
  static constexpr std::uint32_t kMaxGroup = MaxGroup;
  static constexpr std::uint32_t kChunk = std::uint32_t(kAttnChunk);
  // K tile: positions staged at once (about 16 KiB of f32), row stride HeadDim + 4
  // (keeps 16-byte alignment and spreads the rows over the banks).
  static constexpr std::uint32_t kKTile = 4096 / HeadDim < kChunk ? 4096 / HeadDim : kChunk;
  static constexpr std::uint32_t kKStride = HeadDim + 4;
  // V slice: head_dim elements staged at once for all 64 positions.
  static constexpr std::uint32_t kVSlice = HeadDim < 64 ? HeadDim : 64;
  static constexpr std::uint32_t kTileFloats =
      kKTile * kKStride > kChunk * kVSlice ? kKTile * kKStride : kChunk * kVSlice;
  static constexpr std::uint32_t kQFloats = MaxGroup * HeadDim;
  static constexpr std::uint32_t kScoreFloats = MaxGroup * kChunk;
  static constexpr std::uint32_t kSharedBytes = 4 * (kTileFloats + kQFloats + kScoreFloats + MaxGroup + 2);
  // Lavapipe's limit (NVIDIA 48 KiB, AMD 64 KiB); Vulkan only guarantees 16 KiB.
  static_assert(kSharedBytes <= 32768, "shared memory over 32 KiB: lower MaxGroup");

  static constexpr bool kFromBuffer = From == PositionFrom::Buffer;
  static constexpr std::string_view kVariant = kFromBuffer ? "attention_chunks_posbuf_f16kv" : "attention_chunks_f16kv";
  static constexpr std::string_view kSource = "attention_chunks.comp";
  static constexpr std::array<Define, 1> kDefines{{{"QVK_POS_FROM_BUFFER", kFromBuffer ? 1 : 0}}};

  static constexpr std::array<SpecConstant, 9> kSpecConstants{{
      {"WORKGROUP_SIZE", 0, WorkgroupSize},
      {"HEAD_DIM", 1, HeadDim},
      {"MAX_GROUP", 2, MaxGroup},
      {"K_TILE", 3, kKTile},
      {"K_STRIDE", 4, kKStride},
      {"V_SLICE", 5, kVSlice},
      {"TILE_FLOATS", 6, kTileFloats},
      {"Q_FLOATS", 7, kQFloats},
      {"SCORE_FLOATS", 8, kScoreFloats},
  }};

  using PushConstants = AttentionPushConstants;
  static constexpr auto kPushFields = kAttentionPushFields;

  // q, k, v, part_ml, part_o [, position (Buffer form): one uint]
  static constexpr auto kBindings = [] {
    constexpr Binding q{"q", 0, Access::ReadOnly, Scalar::F32}, k{"k", 1, Access::ReadOnly, Scalar::U32},
        v{"v", 2, Access::ReadOnly, Scalar::U32}, ml{"part_ml", 3, Access::WriteOnly, Scalar::F32},
        o{"part_o", 4, Access::WriteOnly, Scalar::F32};
    if constexpr (kFromBuffer)
      return std::array<Binding, 6>{{q, k, v, ml, o, {"position", 5, Access::ReadOnly, Scalar::U32}}};
    else
      return std::array<Binding, 5>{{q, k, v, ml, o}};
  }();

  using Problem = AttentionProblem;

  static constexpr bool valid(const Problem& p) { return attention_valid(p, HeadDim, MaxGroup); }

  // The only dispatch geometry of this pass: (kv head, chunk, query row) over the capacity.
  static constexpr Groups groups(const Problem& p) { return {p.kv_heads, attention_chunks(p.capacity), p.queries}; }

  static PushConstants push_constants(const Problem& p) { return attention_push_constants(p, HeadDim); }

  static constexpr std::array<std::uint64_t, kBindings.size()> elements(const Problem& p) {
    const std::uint64_t kv_words = std::uint64_t(p.capacity) * p.kv_heads * HeadDim / 2;
    const std::uint64_t q = std::uint64_t(p.heads) * HeadDim * p.queries;
    if constexpr (kFromBuffer)
      return {q, kv_words, kv_words, attention_ml_elements(p), attention_o_elements(p, HeadDim), 1};
    else
      return {q, kv_words, kv_words, attention_ml_elements(p), attention_o_elements(p, HeadDim)};
  }
};

// Pass 2: the fold over chunks and the final scaling.
template <std::uint32_t HeadDim, std::uint32_t WorkgroupSize = 128, PositionFrom From = PositionFrom::PushConstant>
struct AttentionCombine {
  static_assert(HeadDim >= 32 && HeadDim <= 256 && HeadDim % 32 == 0, "head_dim: a multiple of 32 up to 256");
  static_assert(WorkgroupSize >= 1 && WorkgroupSize <= 1024, "workgroup size out of range");

  static constexpr std::uint32_t kHeadDim = HeadDim;
  static constexpr std::uint32_t kWorkgroupSize = WorkgroupSize;

  static constexpr bool kFromBuffer = From == PositionFrom::Buffer;
  static constexpr std::string_view kVariant = kFromBuffer ? "attention_combine_posbuf_f32" : "attention_combine_f32";
  static constexpr std::string_view kSource = "attention_combine.comp";
  static constexpr std::array<Define, 1> kDefines{{{"QVK_POS_FROM_BUFFER", kFromBuffer ? 1 : 0}}};

  static constexpr std::array<SpecConstant, 2> kSpecConstants{{
      {"WORKGROUP_SIZE", 0, WorkgroupSize},
      {"HEAD_DIM", 1, HeadDim},
  }};

  using PushConstants = AttentionPushConstants;
  static constexpr auto kPushFields = kAttentionPushFields;

  // part_ml, part_o, attn (the output; `out` is a GLSL keyword) [, position]
  static constexpr auto kBindings = [] {
    constexpr Binding ml{"part_ml", 0, Access::ReadOnly, Scalar::F32}, o{"part_o", 1, Access::ReadOnly, Scalar::F32},
        out{"attn", 2, Access::WriteOnly, Scalar::F32};
    if constexpr (kFromBuffer)
      return std::array<Binding, 4>{{ml, o, out, {"position", 3, Access::ReadOnly, Scalar::U32}}};
    else
      return std::array<Binding, 3>{{ml, o, out}};
  }();

  using Problem = AttentionProblem;

  // Any group size: the combine works per query head.
  static constexpr bool valid(const Problem& p) { return attention_valid(p, HeadDim, 0xffffffffu); }

  // The only dispatch geometry of this pass: (head, slice of WorkgroupSize elements, query row).
  static constexpr Groups groups(const Problem& p) {
    return {p.heads, (HeadDim + WorkgroupSize - 1) / WorkgroupSize, p.queries};
  }

  static PushConstants push_constants(const Problem& p) { return attention_push_constants(p, HeadDim); }

  static constexpr std::array<std::uint64_t, kBindings.size()> elements(const Problem& p) {
    const std::uint64_t out = std::uint64_t(p.heads) * HeadDim * p.queries;
    if constexpr (kFromBuffer)
      return {attention_ml_elements(p), attention_o_elements(p, HeadDim), out, 1};
    else
      return {attention_ml_elements(p), attention_o_elements(p, HeadDim), out};
  }
};

// Qwen3-8B at 32k: 8 kv heads × 512 chunks, then 32 heads × 1 slice.
static_assert(AttentionChunks<128>::groups({32, 8, 1000, 32768}) == Groups{8, 512, 1});
static_assert(AttentionCombine<128, 128>::groups({32, 8, 1000, 32768}) == Groups{32, 1, 1});
static_assert(AttentionCombine<256, 64>::groups({16, 2, 1, 1}) == Groups{16, 4, 1});
static_assert(AttentionChunks<128>::groups({32, 8, 5, 576, 512}) == Groups{8, 9, 512} &&
              AttentionChunks<128>::valid({32, 8, 5, 576, 512}) && !AttentionChunks<128>::valid({32, 8, 5, 576, 573}));
static_assert(AttentionChunks<64>::valid({14, 2, 65, 65}) && !AttentionChunks<64>::valid({14, 2, 66, 65}) &&
              !AttentionChunks<128>::valid({32, 3, 1, 1}) && !AttentionChunks<128, 128, 4>::valid({64, 8, 1, 1}) &&
              !AttentionChunks<128>::valid({32, 8, 0, 64}));
static_assert(AttentionChunks<128>::kKTile == 32 && AttentionChunks<256>::kKTile == 16 && AttentionChunks<64>::kKTile == 64);

}  // namespace qvk::ops
