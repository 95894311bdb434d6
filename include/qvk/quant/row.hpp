// qvk/quant/row.hpp — whole-row (de)quantization with the type chosen at run time.
//
// A row is a whole number of blocks. row_bytes works for every type GGUF defines
// (the geometry is in type.hpp), so readers can size tensors of types qvk cannot
// compute with; dequantize_row / quantize_row need a trait (formats.hpp).
// All three throw std::invalid_argument naming the type on misuse. Blocks are
// copied through memcpy, so the byte spans need no alignment. Little-endian only.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <span>
#include <stdexcept>
#include <string>

#include "qvk/quant/formats.hpp"
#include "qvk/quant/type.hpp"

namespace qvk::quant {

static_assert(std::endian::native == std::endian::little, "GGUF blocks are little-endian");

inline std::uint64_t row_bytes(Type t, std::uint64_t n_elements) {
  const auto ti = type_info(static_cast<std::uint32_t>(t));
  if (!ti) throw std::invalid_argument("qvk::quant::row_bytes: unknown " + type_label(t));
  if (n_elements % ti->block_elems != 0)
    throw std::invalid_argument("qvk::quant::row_bytes: " + std::string(ti->name) + " row of " +
                                std::to_string(n_elements) + " elements is not a multiple of its block size " +
                                std::to_string(ti->block_elems));
  const std::uint64_t blocks = n_elements / ti->block_elems;
  if (blocks > std::numeric_limits<std::uint64_t>::max() / ti->block_bytes)
    throw std::invalid_argument("qvk::quant::row_bytes: " + std::string(ti->name) + " row of " +
                                std::to_string(n_elements) + " elements overflows 64-bit byte counts");
  return blocks * ti->block_bytes;
}

namespace detail {
inline void check_row_sizes(const char* fn, Type t, std::uint64_t n_elements, std::size_t n_bytes) {
  const std::uint64_t expected = row_bytes(t, n_elements);
  if (expected != n_bytes)
    throw std::invalid_argument(std::string("qvk::quant::") + fn + ": " + type_label(t) + " row of " +
                                std::to_string(n_elements) + " elements needs " + std::to_string(expected) +
                                " bytes, got " + std::to_string(n_bytes));
}
}  // namespace detail

inline void dequantize_row(Type t, std::span<const std::byte> src, std::span<float> dst) {
  with_format(t, [&](auto q) {
    using Q = decltype(q);
    detail::check_row_sizes("dequantize_row", t, dst.size(), src.size());
    const std::size_t n_blocks = src.size() / Q::kBlockBytes;  // == dst.size() / kBlockElems after the check
    typename Q::Block block;
    for (std::size_t i = 0; i < n_blocks; ++i) {
      std::memcpy(&block, src.data() + i * Q::kBlockBytes, Q::kBlockBytes);
      Q::dequantize(block, dst.data() + i * Q::kBlockElems);
    }
  });
}

inline void quantize_row(Type t, std::span<const float> src, std::span<std::byte> dst) {
  with_format(t, [&](auto q) {
    using Q = decltype(q);
    detail::check_row_sizes("quantize_row", t, src.size(), dst.size());
    const std::size_t n_blocks = dst.size() / Q::kBlockBytes;  // == src.size() / kBlockElems after the check
    typename Q::Block block;
    for (std::size_t i = 0; i < n_blocks; ++i) {
      Q::quantize(src.data() + i * Q::kBlockElems, block);
      std::memcpy(dst.data() + i * Q::kBlockBytes, &block, Q::kBlockBytes);
    }
  });
}

}  // namespace qvk::quant
