// qvk/quant/formats.hpp — every supported trait type, and a switch from a runtime
// quant::Type to its trait.
//
// with_format(type, fn) calls fn(Trait{}) (e.g. fn(Q4_K{})) and returns its
// result; generic code writes `[](auto q) { using Q = decltype(q); ... }`. It
// throws std::invalid_argument naming the type when qvk has no trait for it.
#pragma once

#include <stdexcept>
#include <string>

#include "qvk/quant/bf16.hpp"
#include "qvk/quant/f16.hpp"
#include "qvk/quant/f32.hpp"
#include "qvk/quant/q4_0.hpp"
#include "qvk/quant/q4_k.hpp"
#include "qvk/quant/q5_k.hpp"
#include "qvk/quant/q6_k.hpp"
#include "qvk/quant/q8_0.hpp"
#include "qvk/quant/type.hpp"

namespace qvk::quant {

// "Q4_1" for known ids, "type id 77" for ids GGML does not define.
inline std::string type_label(Type t) {
  const auto ti = type_info(static_cast<std::uint32_t>(t));
  return ti ? std::string(ti->name) : "type id " + std::to_string(static_cast<std::uint32_t>(t));
}

template <class Fn>
decltype(auto) with_format(Type t, Fn&& fn) {
  switch (t) {
    case Type::F32: return fn(F32{});
    case Type::F16: return fn(F16{});
    case Type::BF16: return fn(BF16{});
    case Type::Q8_0: return fn(Q8_0{});
    case Type::Q4_0: return fn(Q4_0{});
    case Type::Q4_K: return fn(Q4_K{});
    case Type::Q5_K: return fn(Q5_K{});
    case Type::Q6_K: return fn(Q6_K{});
    default: break;
  }
  throw std::invalid_argument("qvk::quant: " + type_label(t) + " is not supported (no dequantize/quantize for it)");
}

}  // namespace qvk::quant
