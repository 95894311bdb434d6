// qvk/ops/quantize_act.hpp — the activation-quantization op descriptor: a float
// vector becomes Q8 activation blocks in the GPU layout the quantized GEMV reads.
//
// Computes, for each block of BlockElems (32: Q8Act32, paired with Q8_0/Q4_0
// weights; 256: Q8Act256, paired with the K-quants) consecutive inputs x_i, exactly
// quant::quantize_q8_act (qvk/quant/q8_act.hpp, whose header comment is the
// normative algorithm): non-finite input -> d = canonical NaN, codes 0; |x| <=
// FLT_MIN counts as 0; amax compared as bit patterns; d = amax·kInv127 (one
// rounded multiply); d <= FLT_MIN -> d = 0, codes 0; codes =
// round_half_away(x·recip(d)) clamped to ±127 (numerics::recip, integer
// truncation). The integer sums are exact.
//
// Input (ActInput): F32 reads x_i from one f32 vector. SwiGlu reads the FFN's
// gate and up vectors and quantizes x_i = SwiGlu's out[i] (ops/swiglu.hpp: g,
// u flushed at load, mul(mul(g, recip(add(1, exp(−g)))), u)), computed by the
// same GLSL function as swiglu.comp (shaders/common/swiglu.glsl) and never
// stored: the blocks equal QuantizeAct<F32> of SwiGlu's output, bit for bit,
// one dispatch instead of two (the runtime's "swiglu+quantize"). NaN or inf
// from the SwiGLU (only from non-finite g or u) makes its block's d the
// canonical NaN, as any non-finite input does, so no payload reaches the bits.
//
// GPU layout of n = nb·BlockElems activations (ActLayout below), all 32-bit
// words, struct-of-arrays so the GEMV reads codes with wide loads:
//   codes : words [0, n/4)              byte i (little-endian) = int8 code of element i
//   d     : words [n/4, n/4 + nb)       f32 bits of block k's scale
//   sums  : Q8Act32:  word n/4 + nb + k          = Σ codes of block k (Q8Act32::sum)
//           Q8Act256: words n/4 + nb + 8k + j    = Σ codes of elements 32j..32j+31 (Q8Act256::sums[j])
//                     words n/4 + 9nb + 16k + g  = Σ codes of elements 16g..16g+15 (for Q6_K's −32 offset)
// The codes, d and sums are bit-identical to the reference's Q8Act32/Q8Act256
// (tests/vk compare them field by field); sums16 are derived from the codes.
//
// Thread -> data mapping (free to change): thread t of workgroup g quantizes
// the four elements 4q..4q+3, q = g·WorkgroupSize + t, and writes their code
// word; the block's amax and non-finite flag are combined with shared-memory
// atomicMax/atomicOr and the sums with atomicAdd (integers: exact, any order).
//
// Why a separate op rather than quantizing inside every GEMV workgroup: a GEMV
// workgroup covers a few rows but needs the whole vector, so fused
// quantization repeats O(cols) work per workgroup (at 8B the down projection
// would spend more time quantizing than reading weights), while one dispatch per
// distinct input vector (4 per layer: Q/K/V, O, gate/up, down share) is cheap,
// and this layout lets a producer write the blocks directly: SwiGLU does
// (ActInput::SwiGlu above; RMSNorm could, later).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "qvk/ops/descriptor.hpp"

namespace qvk::ops {

// Word offsets of the activation-block layout above.
struct ActLayout {
  std::uint32_t block_elems;  // 32 or 256
  std::uint64_t n;            // elements, a multiple of block_elems

  constexpr std::uint64_t blocks() const { return n / block_elems; }
  constexpr std::uint64_t codes_word() const { return 0; }
  constexpr std::uint64_t d_word() const { return n / 4; }
  constexpr std::uint64_t sums_word() const { return n / 4 + blocks(); }
  // Q8Act256 only: the sums of 16.
  constexpr std::uint64_t sums16_word() const { return n / 4 + 9 * blocks(); }
  constexpr std::uint64_t words() const {
    return block_elems == 32 ? n / 4 + 2 * blocks() : n / 4 + 25 * blocks();
  }
};
static_assert(ActLayout{32, 64}.words() == 20);     // 40 bytes per block, as sizeof(Q8Act32)
static_assert(ActLayout{256, 512}.words() == 178);  // 89 words per block

// Where the quantized values come from (a type switch: its own SPIR-V variant).
enum class ActInput : std::uint8_t {
  F32,     // x [n] f32
  SwiGlu,  // swiglu(g[i], u[i]) of g, u [n] f32
};

template <std::uint32_t BlockElems, std::uint32_t WorkgroupSize = 64, ActInput Input = ActInput::F32>
struct QuantizeAct {
  static_assert(BlockElems == 32 || BlockElems == 256, "Q8Act32 or Q8Act256");
  static_assert(WorkgroupSize >= 64 && WorkgroupSize <= 1024 && WorkgroupSize % 64 == 0,
                "a workgroup covers whole 256-element blocks (4 elements per thread)");

  static constexpr std::uint32_t kBlockElems = BlockElems;
  static constexpr std::uint32_t kWorkgroupSize = WorkgroupSize;
  static constexpr ActInput kInput = Input;
  static constexpr bool kSwiGlu = Input == ActInput::SwiGlu;

  static constexpr std::string_view kVariant =
      kSwiGlu ? (BlockElems == 32 ? "quantize_swiglu_act32" : "quantize_swiglu_act256")
              : (BlockElems == 32 ? "quantize_act32" : "quantize_act256");
  static constexpr std::string_view kSource = "quantize_act.comp";

  static constexpr std::array<Define, 2> kDefines{{{"QVK_ACT_BLOCK", int(BlockElems)},
                                                   {"QVK_ACT_SWIGLU", kSwiGlu ? 1 : 0}}};
  static constexpr std::array<SpecConstant, 1> kSpecConstants{{{"WORKGROUP_SIZE", 0, WorkgroupSize}}};

  struct PushConstants {
    std::uint32_t n;       // elements
    std::uint32_t blocks;  // n / BlockElems
  };
  static_assert(sizeof(PushConstants) == 8, "push constants must match the GLSL block");
  static constexpr std::array<PushField, 2> kPushFields{{
      {"n", Scalar::U32, offsetof(PushConstants, n)},
      {"blocks", Scalar::U32, offsetof(PushConstants, blocks)},
  }};

  // F32: x [n] floats (read); SwiGlu: g, u [n] floats (read; act may not
  // alias them); then act [ActLayout words] (written).
  static constexpr auto kBindings = [] {
    if constexpr (kSwiGlu)
      return std::array<Binding, 3>{{{"g", 0, Access::ReadOnly, Scalar::F32},
                                     {"u", 1, Access::ReadOnly, Scalar::F32},
                                     {"act", 2, Access::WriteOnly, Scalar::U32}}};
    else
      return std::array<Binding, 2>{{{"x", 0, Access::ReadOnly, Scalar::F32},
                                     {"act", 1, Access::WriteOnly, Scalar::U32}}};
  }();

  struct Problem {
    std::uint32_t n = 0;
  };

  static constexpr std::uint32_t kElemsPerGroup = 4 * WorkgroupSize;

  // Empty when valid, else why not.
  static constexpr std::string_view why_invalid(const Problem& p) {
    if (p.n == 0) return "n must be positive";
    if (p.n % BlockElems != 0) return "n must be a multiple of the activation block (32 or 256 elements)";
    if ((std::uint64_t(p.n) + kElemsPerGroup - 1) / kElemsPerGroup > 65535) return "n too large for one dispatch";
    return {};
  }
  static constexpr bool valid(const Problem& p) { return why_invalid(p).empty(); }

  // The only dispatch geometry of this op.
  static constexpr Groups groups(const Problem& p) { return {(p.n + kElemsPerGroup - 1) / kElemsPerGroup, 1, 1}; }

  static constexpr PushConstants push_constants(const Problem& p) { return {p.n, p.n / BlockElems}; }

  static constexpr std::array<std::uint64_t, kBindings.size()> elements(const Problem& p) {
    if constexpr (kSwiGlu)
      return {p.n, p.n, ActLayout{BlockElems, p.n}.words()};
    else
      return {p.n, ActLayout{BlockElems, p.n}.words()};
  }
};

static_assert(QuantizeAct<256>::groups({4096}) == Groups{16, 1, 1});
static_assert(QuantizeAct<32, 128>::groups({96}) == Groups{1, 1, 1});
static_assert(QuantizeAct<256>::valid({25600}) && !QuantizeAct<256>::valid({25600 + 32}) && QuantizeAct<32>::valid({32}));
// The SwiGLU input changes what is read, never the geometry or the layout.
static_assert(QuantizeAct<256, 64, ActInput::SwiGlu>::groups({12288}) == QuantizeAct<256>::groups({12288}));
static_assert(QuantizeAct<32, 256, ActInput::SwiGlu>::elements({9728})[2] == QuantizeAct<32, 256>::elements({9728})[1]);

}  // namespace qvk::ops
