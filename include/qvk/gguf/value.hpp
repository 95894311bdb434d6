// qvk/gguf/value.hpp — GGUF metadata values (all 13 value types, nested arrays).
//
// Values own their data (strings are copied out of the mapping): metadata is
// small next to tensor data, and owning values serve the reader and the writer
// alike. Only the field chosen by `type` is ever set (the others stay at their
// defaults), so the defaulted `==` compares values meaningfully and a value
// read back from a file equals the one that was written.
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace qvk::gguf {

enum class ValueType : std::uint32_t {
  UINT8 = 0, INT8 = 1, UINT16 = 2, INT16 = 3, UINT32 = 4, INT32 = 5, FLOAT32 = 6,
  BOOL = 7, STRING = 8, ARRAY = 9, UINT64 = 10, INT64 = 11, FLOAT64 = 12,
};

// Largest valid raw id; ids read from a file are checked against it.
inline constexpr std::uint32_t kMaxValueTypeId = 12;
// Arrays may hold arrays; a file may nest them at most this deep (the
// top-level array counts as depth 1). Bounds recursion on hostile input.
inline constexpr int kMaxArrayDepth = 8;

inline std::string_view value_type_name(ValueType t) {
  switch (t) {
    case ValueType::UINT8: return "uint8";
    case ValueType::INT8: return "int8";
    case ValueType::UINT16: return "uint16";
    case ValueType::INT16: return "int16";
    case ValueType::UINT32: return "uint32";
    case ValueType::INT32: return "int32";
    case ValueType::FLOAT32: return "float32";
    case ValueType::BOOL: return "bool";
    case ValueType::STRING: return "string";
    case ValueType::ARRAY: return "array";
    case ValueType::UINT64: return "uint64";
    case ValueType::INT64: return "int64";
    case ValueType::FLOAT64: return "float64";
  }
  return "invalid";
}

// Bytes one value of a scalar type occupies in a file; 0 for STRING/ARRAY
// (variable length).
constexpr std::uint64_t value_type_size(ValueType t) {
  switch (t) {
    case ValueType::UINT8: case ValueType::INT8: case ValueType::BOOL: return 1;
    case ValueType::UINT16: case ValueType::INT16: return 2;
    case ValueType::UINT32: case ValueType::INT32: case ValueType::FLOAT32: return 4;
    case ValueType::UINT64: case ValueType::INT64: case ValueType::FLOAT64: return 8;
    case ValueType::STRING: case ValueType::ARRAY: return 0;
  }
  return 0;
}

constexpr bool is_unsigned_type(ValueType t) {
  return t == ValueType::UINT8 || t == ValueType::UINT16 || t == ValueType::UINT32 ||
         t == ValueType::UINT64;
}
constexpr bool is_signed_type(ValueType t) {
  return t == ValueType::INT8 || t == ValueType::INT16 || t == ValueType::INT32 ||
         t == ValueType::INT64;
}
constexpr bool is_float_type(ValueType t) {
  return t == ValueType::FLOAT32 || t == ValueType::FLOAT64;
}

struct Value {
  ValueType type = ValueType::UINT32;
  // Exactly one of these is meaningful, chosen by `type`:
  std::uint64_t u = 0;   // UINT8/16/32/64, BOOL (0/1)
  std::int64_t i = 0;    // INT8/16/32/64
  double f = 0;          // FLOAT32 (exactly the stored float), FLOAT64
  std::string s;         // STRING
  ValueType elem_type = ValueType::UINT8;  // ARRAY: element type
  std::vector<Value> items;                // ARRAY: elements (possibly arrays)

  // Constructors for writing (the declared set plus one per remaining type).
  static Value u8(std::uint8_t v) { return unsigned_of(ValueType::UINT8, v); }
  static Value i8(std::int8_t v) { return signed_of(ValueType::INT8, v); }
  static Value u16(std::uint16_t v) { return unsigned_of(ValueType::UINT16, v); }
  static Value i16(std::int16_t v) { return signed_of(ValueType::INT16, v); }
  static Value u32(std::uint32_t v) { return unsigned_of(ValueType::UINT32, v); }
  static Value i32(std::int32_t v) { return signed_of(ValueType::INT32, v); }
  static Value f32(float v) {
    Value r;
    r.type = ValueType::FLOAT32;
    r.f = v;
    return r;
  }
  static Value u64(std::uint64_t v) { return unsigned_of(ValueType::UINT64, v); }
  static Value i64(std::int64_t v) { return signed_of(ValueType::INT64, v); }
  static Value f64(double v) {
    Value r;
    r.type = ValueType::FLOAT64;
    r.f = v;
    return r;
  }
  static Value boolean(bool v) { return unsigned_of(ValueType::BOOL, v ? 1 : 0); }
  static Value str(std::string v) {
    Value r;
    r.type = ValueType::STRING;
    r.s = std::move(v);
    return r;
  }
  static Value array(ValueType elem_type, std::vector<Value> items) {
    Value r;
    r.type = ValueType::ARRAY;
    r.elem_type = elem_type;
    r.items = std::move(items);
    return r;
  }

  // Typed reads with range checks: nullopt when the type is not an integer
  // (resp. number, string) or the value does not fit the requested type.
  // BOOL is not an integer here; use as_bool.
  std::optional<std::uint64_t> as_uint() const {
    if (is_unsigned_type(type)) return u;
    if (is_signed_type(type) && i >= 0) return static_cast<std::uint64_t>(i);
    return std::nullopt;
  }
  std::optional<std::int64_t> as_int() const {
    if (is_signed_type(type)) return i;
    if (is_unsigned_type(type) && u <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
      return static_cast<std::int64_t>(u);
    return std::nullopt;
  }
  std::optional<double> as_float() const {  // any integer or float type
    if (is_float_type(type)) return f;
    if (is_unsigned_type(type)) return static_cast<double>(u);
    if (is_signed_type(type)) return static_cast<double>(i);
    return std::nullopt;
  }
  std::optional<bool> as_bool() const {
    if (type == ValueType::BOOL) return u != 0;
    return std::nullopt;
  }
  const std::string* as_string() const { return type == ValueType::STRING ? &s : nullptr; }
  const std::vector<Value>* as_array() const { return type == ValueType::ARRAY ? &items : nullptr; }

  // Short human form: "uint32 1024", "string \"qwen3\"", "array<string>[151936]".
  std::string describe() const {
    std::string out(value_type_name(type));
    switch (type) {
      case ValueType::STRING: {
        constexpr std::size_t kShown = 40;  // long templates would flood a message
        out += " \"";
        out += s.size() <= kShown ? s : s.substr(0, kShown) + "...";
        out += '"';
        return out;
      }
      case ValueType::ARRAY:
        out += '<';
        out += value_type_name(elem_type);
        out += ">[" + std::to_string(items.size()) + ']';
        return out;
      case ValueType::BOOL: return out + (u ? " true" : " false");
      case ValueType::FLOAT32: case ValueType::FLOAT64: return out + ' ' + format_double(f);
      default: break;
    }
    return out + ' ' + (is_signed_type(type) ? std::to_string(i) : std::to_string(u));
  }

  bool operator==(const Value&) const = default;

 private:
  static Value unsigned_of(ValueType t, std::uint64_t v) {
    Value r;
    r.type = t;
    r.u = v;
    return r;
  }
  static Value signed_of(ValueType t, std::int64_t v) {
    Value r;
    r.type = t;
    r.i = v;
    return r;
  }
  // Shortest form that reads back exactly (std::to_string would print 6 digits).
  static std::string format_double(double v) {
    char buf[32];
    for (int prec = 6; prec <= 17; ++prec) {
      std::snprintf(buf, sizeof buf, "%.*g", prec, v);
      if (std::strtod(buf, nullptr) == v) break;
    }
    return buf;
  }
};

}  // namespace qvk::gguf
