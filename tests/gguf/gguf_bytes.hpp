// tests/gguf/gguf_bytes.hpp — builds GGUF files byte by byte, independently of
// qvk's Writer, so malformed files can be made on purpose and valid files can
// be checked against a second encoder.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace qvk::gguf::testing {

// GGUF value type ids (the file format's numbers, spelled out on purpose).
inline constexpr std::uint32_t kU8 = 0, kI8 = 1, kU16 = 2, kI16 = 3, kU32 = 4, kI32 = 5, kF32 = 6,
                               kBool = 7, kString = 8, kArray = 9, kU64 = 10, kI64 = 11, kF64 = 12;
// GGML type ids used by the tests.
inline constexpr std::uint32_t kTypeF32 = 0, kTypeQ4_0 = 2, kTypeQ8_0 = 8, kTypeF64 = 28;

class Bytes {
 public:
  template <class T>
  Bytes& put(T v) {
    char b[sizeof(T)];
    std::memcpy(b, &v, sizeof(T));
    bytes_.append(b, sizeof(T));
    return *this;
  }
  Bytes& u8(std::uint8_t v) { return put(v); }
  Bytes& u32(std::uint32_t v) { return put(v); }
  Bytes& u64(std::uint64_t v) { return put(v); }
  Bytes& raw(std::string_view s) {
    bytes_.append(s);
    return *this;
  }
  Bytes& str(std::string_view s) { return u64(s.size()).raw(s); }
  Bytes& zeros(std::size_t n) {
    bytes_.append(n, '\0');
    return *this;
  }
  Bytes& pad_to(std::size_t alignment) { return zeros((alignment - bytes_.size() % alignment) % alignment); }

  // magic, version, tensor count, kv count
  Bytes& header(std::uint32_t version, std::uint64_t n_tensors, std::uint64_t n_kv) {
    return raw("GGUF").u32(version).u64(n_tensors).u64(n_kv);
  }
  Bytes& kv_u32(std::string_view key, std::uint32_t v) { return str(key).u32(kU32).u32(v); }
  Bytes& kv_str(std::string_view key, std::string_view v) { return str(key).u32(kString).str(v); }
  Bytes& tensor_info(std::string_view name, const std::vector<std::uint64_t>& dims, std::uint32_t type,
                     std::uint64_t offset) {
    str(name).u32(static_cast<std::uint32_t>(dims.size()));
    for (std::uint64_t d : dims) u64(d);
    return u32(type).u64(offset);
  }

  std::size_t size() const { return bytes_.size(); }
  const std::string& bytes() const { return bytes_; }
  std::string truncated(std::size_t n) const { return bytes_.substr(0, n); }

 private:
  std::string bytes_;
};

}  // namespace qvk::gguf::testing
