// qvk/ref/act_blocks.hpp — quantized activations in the layout the fast GEMM
// kernels read.
//
// The codes and scales are exactly those of quant::Q8Act256 / Q8Act32 (the same
// quantizer, quant::quantize_q8_codes, on the same inputs); only the layout and
// the precomputed integer sums differ: ActK adds Σ codes per 16 elements (the
// Q6_K kernels fold its −32 offset in with them), and both are padded so the
// codes start 32-byte aligned. ActTable holds B vectors of n_blocks blocks plus
// the scales transposed ([block][token]) for the token-vectorized epilogue;
// tokens are padded to a multiple of kTokenGroup with all-zero blocks.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <new>

#include "qvk/quant/q8_act.hpp"

namespace qvk::ref {

// Tokens processed together by the token-vectorized GEMM kernels (one AVX-512 vector;
// the AVX2 kernels take two groups of 8) and the padding unit of ActTable; fewer
// vectors than this take the row-vectorized kernels.
inline constexpr std::size_t kTokenGroup = 16;

struct alignas(32) ActK {
  std::int8_t c[256];
  std::int16_t csum16[16];  // Σ c over elements 16g .. 16g+15
  std::int16_t sums32[8];   // Σ c over elements 32j .. 32j+31 (Q8Act256::sums)
  float d;
};
static_assert(sizeof(ActK) == 320);

struct alignas(8) Act32 {
  std::int8_t c[32];
  float d;
  std::int32_t sum;
};
static_assert(sizeof(Act32) == 40);

template <class A> inline constexpr std::size_t kActElems = 256;
template <> inline constexpr std::size_t kActElems<Act32> = 32;

inline void quantize_act(const float* x, ActK& a) {
  quant::quantize_q8_codes<256>(x, a.d, a.c);
  for (std::size_t g = 0; g < 16; ++g) {
    int s = 0;
    for (std::size_t i = 0; i < 16; ++i) s += a.c[16 * g + i];
    a.csum16[g] = static_cast<std::int16_t>(s);
  }
  for (std::size_t j = 0; j < 8; ++j) a.sums32[j] = static_cast<std::int16_t>(a.csum16[2 * j] + a.csum16[2 * j + 1]);
}

inline void quantize_act(const float* x, Act32& a) {
  quant::quantize_q8_codes<32>(x, a.d, a.c);
  std::int32_t s = 0;
  for (std::size_t i = 0; i < 32; ++i) s += a.c[i];
  a.sum = s;
}

// A grow-only aligned buffer (one per thread or per table), so hot paths do not allocate.
class Scratch {
 public:
  void* get(std::size_t bytes) {
    if (bytes > size_) {
      data_.reset(static_cast<std::byte*>(::operator new(bytes, std::align_val_t{64})));
      size_ = bytes;
    }
    return data_.get();
  }

 private:
  struct Free {
    void operator()(std::byte* p) const { ::operator delete(p, std::align_val_t{64}); }
  };
  std::unique_ptr<std::byte, Free> data_;
  std::size_t size_ = 0;
};

template <class A>
struct ActTable {
  std::size_t B = 0, B_pad = 0, n_blocks = 0;
  A* blocks = nullptr;  // [B_pad][n_blocks]
  float* d_t = nullptr;  // [n_blocks][B_pad]
  const A* row(std::size_t b) const { return blocks + b * n_blocks; }

  // Lays out the table in `mem` (fills nothing).
  void reserve(Scratch& mem, std::size_t b, std::size_t nb) {
    B = b;
    B_pad = (b + kTokenGroup - 1) / kTokenGroup * kTokenGroup;
    n_blocks = nb;
    const std::size_t block_bytes = B_pad * nb * sizeof(A);
    auto* base = static_cast<std::byte*>(mem.get(block_bytes + nb * B_pad * sizeof(float)));
    blocks = reinterpret_cast<A*>(base);
    d_t = reinterpret_cast<float*>(base + block_bytes);
  }
  // Zero blocks for the padding tokens.
  void clear_padding() {
    std::memset(static_cast<void*>(blocks + B * n_blocks), 0, (B_pad - B) * n_blocks * sizeof(A));
    for (std::size_t k = 0; k < n_blocks; ++k)
      for (std::size_t b = B; b < B_pad; ++b) d_t[k * B_pad + b] = 0.0f;
  }
  void fill_transposed_scales(std::size_t b0, std::size_t b1) {
    for (std::size_t b = b0; b < b1; ++b)
      for (std::size_t k = 0; k < n_blocks; ++k) d_t[k * B_pad + b] = blocks[b * n_blocks + k].d;
  }
};

}  // namespace qvk::ref
