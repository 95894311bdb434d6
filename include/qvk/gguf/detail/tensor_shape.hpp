// qvk/gguf/detail/tensor_shape.hpp — the shape rules a tensor must meet, shared
// by the reader (rejecting bad files) and the writer (rejecting bad calls), so
// both sides agree on what a valid tensor is.
#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "qvk/gguf/detail/checked.hpp"
#include "qvk/gguf/tensor_info.hpp"
#include "qvk/quant/type.hpp"

namespace qvk::gguf::detail {

struct TensorSize {
  std::uint64_t n_elements = 0;
  std::uint64_t n_bytes = 0;
};

inline std::string shape_of(const std::vector<std::uint64_t>& dims) {
  TensorInfo t;
  t.dims = dims;
  return t.shape_string();
}

// Element and byte counts of a tensor, or the reason (an "expected X, found Y"
// detail) the shape is invalid for the type. Element counts stay below 2^63
// as in GGML, whose counts are int64.
inline std::variant<TensorSize, std::string> tensor_size(const quant::TypeInfo& type,
                                                         const std::vector<std::uint64_t>& dims) {
  if (dims.empty() || dims.size() > kMaxDims)
    return "expected 1 to " + std::to_string(kMaxDims) + " dimensions, found " + std::to_string(dims.size());
  for (std::size_t k = 0; k < dims.size(); ++k)
    if (dims[k] == 0)
      return "expected every dim to be at least 1, found dims[" + std::to_string(k) + "] = 0 in shape " +
             shape_of(dims);
  std::uint64_t n = 1;
  for (std::uint64_t d : dims) {
    auto p = checked_mul(n, d);
    if (!p || *p > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
      return "expected an element count below 2^63, found shape " + shape_of(dims) + " whose count reaches 2^63 or overflows";
    n = *p;
  }
  if (dims[0] % type.block_elems != 0)
    return "expected dims[0] to be a multiple of the block size " + std::to_string(type.block_elems) + " of " +
           std::string(type.name) + ", found " + std::to_string(dims[0]);
  auto bytes = checked_mul(n / type.block_elems, type.block_bytes);
  if (!bytes)
    return "expected a byte size below 2^64, found shape " + shape_of(dims) + " of " + std::string(type.name) +
           " whose byte size overflows";
  return TensorSize{n, *bytes};
}

}  // namespace qvk::gguf::detail
