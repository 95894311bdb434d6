// qvk/model/check.hpp — every tensor the config implies is present with the
// right shape and a type qvk can compute with; nothing unexpected is present.
//
// A mismatch (say an output.weight with a quarter of the expected elements) is
// an error naming the tensor and both shapes, never a silent load.
#pragma once

#include <algorithm>
#include <string>
#include <unordered_set>

#include "qvk/gguf/file.hpp"
#include "qvk/model/config.hpp"
#include "qvk/model/tensor_specs.hpp"

namespace qvk::model {

inline std::string dims_string(const std::vector<std::uint64_t>& d) {
  std::string s = "[";
  for (std::size_t i = 0; i < d.size(); ++i) s += (i ? ", " : "") + std::to_string(d[i]);
  return s + "]";
}

// Highest N such that some tensor is named "blk.<N-1>.…" (0 if none).
inline std::uint32_t blocks_present(const gguf::File& f) {
  std::uint32_t n = 0;
  for (const gguf::TensorInfo& t : f.tensors()) {
    if (t.name.rfind("blk.", 0) != 0) continue;
    std::uint64_t idx = 0;
    std::size_t i = 4;
    for (; i < t.name.size() && t.name[i] >= '0' && t.name[i] <= '9' && idx <= kMaxLayers; ++i)
      idx = idx * 10 + static_cast<std::uint64_t>(t.name[i] - '0');
    if (i > 4 && i < t.name.size() && t.name[i] == '.' && idx < kMaxLayers)
      n = std::max(n, static_cast<std::uint32_t>(idx + 1));
  }
  return n;
}

inline void check_tensors(const gguf::File& f, const Config& c) {
  if (const std::uint32_t present = blocks_present(f); present < c.layers)
    throw gguf::Error(f.path(), std::string(arch_name(c.arch)) + ".block_count",
                      "expected at most " + std::to_string(present) + " layers (tensors exist for blk.0..blk." +
                          std::to_string(present == 0 ? 0 : present - 1) + "), found " + std::to_string(c.layers));
  std::unordered_set<std::string> expected;
  for (const TensorSpec& spec : tensor_specs(c)) {
    expected.insert(spec.name);
    const std::string item = "tensor '" + spec.name + "'";
    const gguf::TensorInfo* t = f.tensor(spec.name);
    if (!t)
      throw gguf::Error(f.path(), item,
                        "required tensor is missing (expected shape " + dims_string(spec.dims) + " for " +
                            std::string(arch_name(c.arch)) + ")");
    if (t->dims != spec.dims)
      throw gguf::Error(f.path(), item,
                        "expected shape " + dims_string(spec.dims) + ", found " + dims_string(t->dims));
    const quant::TypeInfo info = quant::info(t->type);
    if (!info.supported)
      throw gguf::Error(f.path(), item,
                        "expected one of F32, F16, BF16, Q8_0, Q4_0, Q4_K, Q5_K, Q6_K, found unsupported type " +
                            std::string(info.name));
    if (!spec.is_matrix() && t->type != quant::Type::F32)
      throw gguf::Error(f.path(), item, "expected F32 for a 1-D tensor, found " + std::string(info.name));
  }
  for (const gguf::TensorInfo& t : f.tensors())
    if (!expected.count(t.name))
      throw gguf::Error(f.path(), "tensor '" + t.name + "'",
                        "unexpected tensor for " + std::string(arch_name(c.arch)) + " with " +
                            std::to_string(c.layers) + " layers");
}

}  // namespace qvk::model
