// qvk/gguf/detail/read_value.hpp — decodes one metadata value (any of the 13
// types, arrays nested at most kMaxArrayDepth deep) from a Cursor.
//
// Array counts are checked against the bytes left in the file (each element
// needs at least its minimum encoded size) before any memory is reserved, so a
// hostile count can neither allocate gigabytes nor loop for long.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>

#include "qvk/gguf/detail/cursor.hpp"
#include "qvk/gguf/value.hpp"

namespace qvk::gguf::detail {

inline ValueType read_value_type(Cursor& c, const char* what) {
  const std::uint32_t id = c.u32(what);
  if (id > kMaxValueTypeId)
    c.fail(std::string("expected a known ") + what + " id (0.." + std::to_string(kMaxValueTypeId) +
           "), found " + std::to_string(id));
  return static_cast<ValueType>(id);
}

// Fewest bytes one encoded element of type t can occupy.
constexpr std::uint64_t min_encoded_size(ValueType t) {
  if (t == ValueType::STRING) return 8;  // length
  if (t == ValueType::ARRAY) return 12;  // element type + count
  return value_type_size(t);
}

inline Value read_value(Cursor& c, ValueType type, int depth);

inline constexpr std::uint64_t kMaxReserve = std::uint64_t{1} << 18;

inline Value read_scalar(Cursor& c, ValueType type) {
  Value v;
  v.type = type;
  switch (type) {
    case ValueType::UINT8: v.u = c.read<std::uint8_t>("uint8 value"); break;
    case ValueType::UINT16: v.u = c.read<std::uint16_t>("uint16 value"); break;
    case ValueType::UINT32: v.u = c.read<std::uint32_t>("uint32 value"); break;
    case ValueType::UINT64: v.u = c.read<std::uint64_t>("uint64 value"); break;
    case ValueType::INT8: v.i = c.read<std::int8_t>("int8 value"); break;
    case ValueType::INT16: v.i = c.read<std::int16_t>("int16 value"); break;
    case ValueType::INT32: v.i = c.read<std::int32_t>("int32 value"); break;
    case ValueType::INT64: v.i = c.read<std::int64_t>("int64 value"); break;
    case ValueType::FLOAT32: v.f = c.read<float>("float32 value"); break;
    case ValueType::FLOAT64: v.f = c.read<double>("float64 value"); break;
    case ValueType::BOOL: {
      const std::uint8_t b = c.read<std::uint8_t>("bool value");
      if (b > 1) c.fail("expected a bool value of 0 or 1, found " + std::to_string(b));
      v.u = b;
      break;
    }
    case ValueType::STRING: v.s = c.string("value"); break;
    case ValueType::ARRAY: break;  // handled by read_value
  }
  return v;
}

inline Value read_array(Cursor& c, int depth) {
  if (depth >= kMaxArrayDepth)
    c.fail("expected arrays nested at most " + std::to_string(kMaxArrayDepth) +
           " deep, found deeper nesting");
  Value v;
  v.type = ValueType::ARRAY;
  v.elem_type = read_value_type(c, "array element type");
  const std::uint64_t count = c.u64("array count");
  const std::uint64_t min_size = min_encoded_size(v.elem_type);
  if (count > c.remaining() / min_size)
    c.fail("expected an array count that fits in the remaining " + std::to_string(c.remaining()) +
           " bytes (at most " + std::to_string(c.remaining() / min_size) + " elements of " +
           std::string(value_type_name(v.elem_type)) + "), found " + std::to_string(count));
  // A Value is ~100 bytes however small its encoding: reserve only a bounded
  // amount up front so memory grows with elements actually parsed.
  v.items.reserve(static_cast<std::size_t>(std::min<std::uint64_t>(count, kMaxReserve)));
  for (std::uint64_t k = 0; k < count; ++k) v.items.push_back(read_value(c, v.elem_type, depth + 1));
  return v;
}

// depth: how many arrays enclose this value (0 for a top-level value).
inline Value read_value(Cursor& c, ValueType type, int depth) {
  return type == ValueType::ARRAY ? read_array(c, depth) : read_scalar(c, type);
}

}  // namespace qvk::gguf::detail
