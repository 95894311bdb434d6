// qvk/model/metadata.hpp — typed reads of GGUF metadata with errors that name the key.
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>

#include "qvk/gguf/file.hpp"

namespace qvk::model {

// An unsigned integer key. Absent: nullopt (or an error when required).
// Present with a non-integer type, a negative value or more than `max`: error.
inline std::optional<std::uint64_t> read_uint(const gguf::File& f, const std::string& key, bool required,
                                              std::uint64_t max = std::numeric_limits<std::uint32_t>::max()) {
  const gguf::Value* v = f.find(key);
  if (!v) {
    if (required) throw gguf::Error(f.path(), key, "required key is missing");
    return std::nullopt;
  }
  auto u = v->as_uint();
  if (!u) throw gguf::Error(f.path(), key, "expected an unsigned integer, found " + v->describe());
  if (*u > max)
    throw gguf::Error(f.path(), key, "expected at most " + std::to_string(max) + ", found " + std::to_string(*u));
  return u;
}

// A float key that must be finite and > 0.
inline std::optional<float> read_positive_float(const gguf::File& f, const std::string& key, bool required) {
  const gguf::Value* v = f.find(key);
  if (!v) {
    if (required) throw gguf::Error(f.path(), key, "required key is missing");
    return std::nullopt;
  }
  auto d = v->as_float();
  if (!d) throw gguf::Error(f.path(), key, "expected a number, found " + v->describe());
  if (!std::isfinite(*d) || *d <= 0.0)
    throw gguf::Error(f.path(), key, "expected a finite number > 0, found " + v->describe());
  return static_cast<float>(*d);
}

inline std::optional<std::string> read_string(const gguf::File& f, const std::string& key, bool required) {
  const gguf::Value* v = f.find(key);
  if (!v) {
    if (required) throw gguf::Error(f.path(), key, "required key is missing");
    return std::nullopt;
  }
  const std::string* s = v->as_string();
  if (!s) throw gguf::Error(f.path(), key, "expected a string, found " + v->describe());
  return *s;
}

}  // namespace qvk::model
