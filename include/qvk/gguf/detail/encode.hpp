// qvk/gguf/detail/encode.hpp — serializes metadata values and tensor infos in
// GGUF's little-endian encoding, and checks a Value is encodable first (its
// number fits its type, array elements match the declared element type), so
// the writer never emits a file the reader would reject.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <string_view>

#include "qvk/gguf/detail/cursor.hpp"  // little-endian host assertion
#include "qvk/gguf/tensor_info.hpp"
#include "qvk/gguf/value.hpp"

namespace qvk::gguf::detail {

template <class T>
void put(std::string& out, T v) {
  char b[sizeof(T)];
  std::memcpy(b, &v, sizeof(T));
  out.append(b, sizeof(T));
}

inline void put_string(std::string& out, std::string_view s) {
  put<std::uint64_t>(out, s.size());
  out.append(s);
}

// Why `v` cannot be written ("" if it can). depth: arrays enclosing `v`.
inline std::string value_problem(const Value& v, int depth) {
  const auto id = static_cast<std::uint32_t>(v.type);
  if (id > kMaxValueTypeId) return "expected a known value type id (0..12), found " + std::to_string(id);
  auto range = [&](std::string_view what) {
    return "expected a value in the range of " + std::string(what) + ", found " + v.describe();
  };
  switch (v.type) {
    case ValueType::UINT8: if (v.u > 0xff) return range("uint8"); break;
    case ValueType::UINT16: if (v.u > 0xffff) return range("uint16"); break;
    case ValueType::UINT32: if (v.u > 0xffffffffu) return range("uint32"); break;
    case ValueType::BOOL: if (v.u > 1) return "expected a bool value of 0 or 1, found " + std::to_string(v.u); break;
    case ValueType::INT8: if (v.i < -128 || v.i > 127) return range("int8"); break;
    case ValueType::INT16: if (v.i < -32768 || v.i > 32767) return range("int16"); break;
    case ValueType::INT32:
      if (v.i < std::numeric_limits<std::int32_t>::min() || v.i > std::numeric_limits<std::int32_t>::max())
        return range("int32");
      break;
    case ValueType::FLOAT32:
      if (!std::isnan(v.f) && static_cast<double>(static_cast<float>(v.f)) != v.f)
        return "expected a float32 value (exactly representable), found " + v.describe();
      break;
    case ValueType::ARRAY: {
      if (depth >= kMaxArrayDepth)
        return "expected arrays nested at most " + std::to_string(kMaxArrayDepth) + " deep, found deeper nesting";
      const auto elem = static_cast<std::uint32_t>(v.elem_type);
      if (elem > kMaxValueTypeId) return "expected a known array element type id (0..12), found " + std::to_string(elem);
      for (std::size_t k = 0; k < v.items.size(); ++k) {
        if (v.items[k].type != v.elem_type)
          return "expected array elements of type " + std::string(value_type_name(v.elem_type)) + ", found " +
                 std::string(value_type_name(v.items[k].type)) + " at index " + std::to_string(k);
        if (auto p = value_problem(v.items[k], depth + 1); !p.empty()) return p + " (at index " + std::to_string(k) + ")";
      }
      break;
    }
    default: break;
  }
  return {};
}

// Encoded bytes of a value without its type tag (as inside an array).
inline std::uint64_t encoded_size(const Value& v) {
  if (v.type == ValueType::STRING) return 8 + v.s.size();
  if (v.type != ValueType::ARRAY) return value_type_size(v.type);
  std::uint64_t n = 4 + 8;
  if (v.elem_type != ValueType::STRING && v.elem_type != ValueType::ARRAY)
    return n + value_type_size(v.elem_type) * v.items.size();
  for (const Value& item : v.items) n += encoded_size(item);
  return n;
}

// Value payload without its type tag; `v` must have passed value_problem.
inline void put_value(std::string& out, const Value& v) {
  switch (v.type) {
    case ValueType::UINT8: put(out, static_cast<std::uint8_t>(v.u)); break;
    case ValueType::UINT16: put(out, static_cast<std::uint16_t>(v.u)); break;
    case ValueType::UINT32: put(out, static_cast<std::uint32_t>(v.u)); break;
    case ValueType::UINT64: put(out, v.u); break;
    case ValueType::BOOL: put(out, static_cast<std::uint8_t>(v.u)); break;
    case ValueType::INT8: put(out, static_cast<std::int8_t>(v.i)); break;
    case ValueType::INT16: put(out, static_cast<std::int16_t>(v.i)); break;
    case ValueType::INT32: put(out, static_cast<std::int32_t>(v.i)); break;
    case ValueType::INT64: put(out, v.i); break;
    case ValueType::FLOAT32: put(out, static_cast<float>(v.f)); break;
    case ValueType::FLOAT64: put(out, v.f); break;
    case ValueType::STRING: put_string(out, v.s); break;
    case ValueType::ARRAY:
      put(out, static_cast<std::uint32_t>(v.elem_type));
      put<std::uint64_t>(out, v.items.size());
      for (const Value& item : v.items) put_value(out, item);
      break;
  }
}

inline std::uint64_t encoded_size(const KeyValue& kv) { return 8 + kv.key.size() + 4 + encoded_size(kv.value); }

inline void put_kv(std::string& out, const KeyValue& kv) {
  put_string(out, kv.key);
  put(out, static_cast<std::uint32_t>(kv.value.type));
  put_value(out, kv.value);
}

inline std::uint64_t encoded_size(const TensorInfo& t) { return 8 + t.name.size() + 4 + 8 * t.dims.size() + 4 + 8; }

inline void put_tensor_info(std::string& out, const TensorInfo& t) {
  put_string(out, t.name);
  put(out, static_cast<std::uint32_t>(t.dims.size()));
  for (std::uint64_t d : t.dims) put(out, d);
  put(out, static_cast<std::uint32_t>(t.type));
  put(out, t.offset);
}

}  // namespace qvk::gguf::detail
