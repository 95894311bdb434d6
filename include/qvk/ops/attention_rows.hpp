// qvk/ops/attention_rows.hpp — pass 1 of attention for a run of query rows
// (batched prefill): the same per-(row, chunk, head) partials as AttentionChunks,
// in the same layout, so AttentionCombine folds them unchanged and a token's
// output does not depend on which pass 1 computed it (the arithmetic and its
// order are the contract of ops/attention.hpp, not restated here).
//
// Why a second pass 1: AttentionChunks runs one workgroup per (kv head, chunk,
// query row), so a 256-row prefill chunk stages every K/V chunk 256 times and
// each workgroup is a short chain of barriered phases. Here one workgroup takes
// a chunk of K/V for kQVecs query vectors at once.
//
// Thread -> data mapping (free to change; the order is not):
//   query vectors: f = (row, head in the kv head's group), flattened as
//   row·group + head; workgroup (g, c, b) takes f in [b·kQVecs, (b+1)·kQVecs) of kv
//   head g against chunk c. Each vector has its own attended count (its row's),
//   so the chunk holds n_f = min(64, count_f − 64c) of its positions (none: the
//   vector is idle and writes nothing). Counts grow with f, so a block whose last
//   vector attends nothing in the chunk exits, and a block whose first vector
//   has all 64 positions needs no per-vector masking.
//   q·k: q (flushed) and each K tile (kKTile positions, f32) are staged with the
//   four terms of dot lane l (dims l, l+32, l+64, l+96) in one vec4. Thread t
//   computes vector t % 16 against 4 positions of the tile: it visits the 32
//   lanes in bit-reversed order, sums each lane's terms from +0, and merges
//   finished siblings on a 5-entry stack, which performs exactly the 32-lane
//   tree's adds (lanes l and l+16 are visited back to back, then their pairs
//   with l+8, …).
//   m_c: each thread records the first greatest present non-NaN score of its 4
//   positions; one thread per vector folds those in position order from s_0
//   (a NaN s_0 stays), which is the sequential scan's value.
//   p and the 64-lane trees: scores and p are stored at leaf k = bitrev6(j), so
//   the tree's pairs (j, j+32), then (j, j+16), … are adjacent leaves; l_c and
//   o_c walk the leaves in order with a 6-entry stack. The V slice is staged in
//   the same leaf order; thread t computes element t % 64 of 8 vectors.
//   Fast paths (no flush tested) under the bound of ops/attention.hpp, decided
//   for the whole workgroup.
//
// Head dimension 128 only (every Qwen3 dense model, Qwen2.5 from 1.5B): the
// staging puts one dot lane's terms in one vec4. Other head dims use
// AttentionChunks for every row.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

#include "qvk/ops/attention.hpp"

namespace qvk::ops {

template <PositionFrom From = PositionFrom::PushConstant>
struct AttentionRows {
  static constexpr std::uint32_t kHeadDim = 128;
  static constexpr std::uint32_t kWorkgroupSize = 128;
  static constexpr std::uint32_t kQVecs = 16;   // query vectors per workgroup
  static constexpr std::uint32_t kKTile = 32;   // K positions staged at once: 8 groups of 4 per thread row
  static constexpr std::uint32_t kVSlice = 64;  // V elements staged at once, for all 64 positions
  static constexpr std::uint32_t kQStride = kHeadDim / 4 + 1;  // vec4 per staged q: odd, so 16 vectors' loads miss no bank
  static constexpr std::uint32_t kTileVec4 = kKTile * kHeadDim / 4 > kAttnChunk * kVSlice / 4 ? kKTile * kHeadDim / 4
                                                                                               : kAttnChunk * kVSlice / 4;
  // qs, tile, sp (vec4); ms, cnt, q_at, part_at, seg_m (16 per vector), tiny_q, tiny_p (words): as the shader declares them.
  static constexpr std::uint32_t kSharedBytes =
      16 * (kQVecs * kQStride + kTileVec4 + kQVecs * kAttnChunk / 4) + 4 * (4 * kQVecs + kQVecs * (kAttnChunk / 4) + 2);
  static_assert(kWorkgroupSize == kQVecs * 8 && kKTile == 8 * 4, "the q·k mapping: 16 vectors × 8 groups of 4 positions");
  static_assert(kWorkgroupSize == 2 * kVSlice && kQVecs == 2 * 8, "the p·v mapping: 64 elements × 2 halves of 8 vectors");
  static_assert(kHeadDim == 4 * kHeadDotLanes, "one vec4 per dot lane");
  static_assert(kWorkgroupSize == kHeadDim, "q staging: thread t loads dim t of every vector");
  static_assert(kKTile * kHeadDim == kAttnChunk * kVSlice, "K tiles and V slices: the same words per thread (STAGE_WORDS)");
  static_assert(kSharedBytes <= 32768, "lavapipe's shared-memory limit");

  static constexpr bool kFromBuffer = From == PositionFrom::Buffer;
  static constexpr std::string_view kVariant = kFromBuffer ? "attention_rows_posbuf_f16kv" : "attention_rows_f16kv";
  static constexpr std::string_view kSource = "attention_rows.comp";
  static constexpr std::array<Define, 1> kDefines{{{"QVK_POS_FROM_BUFFER", kFromBuffer ? 1 : 0}}};

  static constexpr std::array<SpecConstant, 6> kSpecConstants{{
      {"WORKGROUP_SIZE", 0, kWorkgroupSize},
      {"HEAD_DIM", 1, kHeadDim},
      {"QVECS", 2, kQVecs},
      {"K_TILE", 3, kKTile},
      {"V_SLICE", 4, kVSlice},
      {"Q_STRIDE", 5, kQStride},
  }};

  using PushConstants = AttentionPushConstants;
  static constexpr auto kPushFields = kAttentionPushFields;
  // The bindings and their element counts are AttentionChunks' (q, k, v, part_ml, part_o [, position]).
  using Chunks = AttentionChunks<kHeadDim, 128, 8, From>;
  static constexpr auto kBindings = Chunks::kBindings;

  using Problem = AttentionProblem;

  static constexpr std::uint64_t vector_blocks(const Problem& p) {
    return (std::uint64_t(p.queries) * (p.heads / p.kv_heads) + kQVecs - 1) / kQVecs;
  }

  // Any group size: query vectors are flattened over (row, head).
  static constexpr bool valid(const Problem& p) {
    return attention_valid(p, kHeadDim, 0xffffffffu) && vector_blocks(p) <= kMaxGroupsPerDim;
  }

  // The only dispatch geometry of this pass: (kv head, chunk, block of query vectors).
  static constexpr Groups groups(const Problem& p) {
    return {p.kv_heads, attention_chunks(p.capacity), std::uint32_t(vector_blocks(p))};
  }

  static PushConstants push_constants(const Problem& p) { return attention_push_constants(p, kHeadDim); }

  static constexpr std::array<std::uint64_t, kBindings.size()> elements(const Problem& p) { return Chunks::elements(p); }
};

// Qwen3-8B, a 256-row prefill chunk over a 4,096-position cache: 8 kv heads × 64
// chunks × 64 blocks of 16 (4 heads × 4 rows each).
static_assert(AttentionRows<>::groups({32, 8, 1, 4096, 256}) == Groups{8, 64, 64});
static_assert(AttentionRows<>::groups({40, 8, 1, 64, 7}) == Groups{8, 1, 3});  // group 5: 35 vectors
static_assert(AttentionRows<>::valid({64, 8, 1, 64, 64}) && !AttentionRows<>::valid({32, 8, 5, 576, 573}));
static_assert(AttentionRows<>::kSharedBytes == 30216);

}  // namespace qvk::ops
