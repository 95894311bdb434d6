// qvk/gguf/tensor_info.hpp — one tensor's entry in a GGUF header, and one
// metadata key/value pair. Shared by the reader and the writer.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "qvk/gguf/value.hpp"
#include "qvk/quant/type.hpp"

namespace qvk::gguf {

struct TensorInfo {
  std::string name;
  quant::Type type = quant::Type::F32;
  std::vector<std::uint64_t> dims;  // GGML order: dims[0] is the innermost (row length)
  std::uint64_t offset = 0;         // relative to the start of the data section
  std::uint64_t n_elements = 0;
  std::uint64_t n_bytes = 0;

  std::string shape_string() const {  // "[1024, 151936]"
    std::string s = "[";
    for (std::size_t k = 0; k < dims.size(); ++k) {
      if (k) s += ", ";
      s += std::to_string(dims[k]);
    }
    return s + "]";
  }
};

struct KeyValue {
  std::string key;
  Value value;
};

// GGUF allows 1 to 4 dims (GGML_MAX_DIMS); we reject 0-dim tensors as well.
inline constexpr std::uint32_t kMaxDims = 4;

}  // namespace qvk::gguf
