// qvk/gguf/detail/cursor.hpp — bounded little-endian reads over a mapped file.
//
// Every read checks the bytes are there first; a short read throws Error
// naming the current item (a key, "tensor 'x'", "header", ...) and the offset,
// so a truncated file reports where it broke instead of reading past the map.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <utility>

#include "qvk/gguf/error.hpp"

namespace qvk::gguf::detail {

static_assert(std::endian::native == std::endian::little,
              "qvk reads GGUF (little-endian) by memcpy and needs a little-endian host");

class Cursor {
 public:
  Cursor(const std::string& file, const std::byte* base, std::uint64_t size)
      : file_(file), base_(base), size_(size) {}

  std::uint64_t pos() const { return pos_; }
  std::uint64_t remaining() const { return size_ - pos_; }

  // The item named in errors until the next call.
  void set_item(std::string item) { item_ = std::move(item); }
  const std::string& item() const { return item_; }

  [[noreturn]] void fail(const std::string& detail) const { throw Error(file_, item_, detail); }

  template <class T>
  T read(std::string_view what) {
    require(sizeof(T), what);
    T v;
    std::memcpy(&v, base_ + pos_, sizeof(T));
    pos_ += sizeof(T);
    return v;
  }

  std::uint8_t u8(std::string_view what) { return read<std::uint8_t>(what); }
  std::uint32_t u32(std::string_view what) { return read<std::uint32_t>(what); }
  std::uint64_t u64(std::string_view what) { return read<std::uint64_t>(what); }

  // A GGUF string: uint64 length, then that many bytes (no terminator). The
  // length is checked against the bytes left before anything is allocated.
  std::string string(std::string_view what) {
    const std::uint64_t len = u64(what);
    if (len > remaining())
      fail("expected a " + std::string(what) + " string length that fits in the remaining " +
           std::to_string(remaining()) + " bytes of the file, found " + std::to_string(len) +
           " (at offset " + std::to_string(pos_ - 8) + ")");
    std::string s(reinterpret_cast<const char*>(base_ + pos_), static_cast<std::size_t>(len));
    pos_ += len;
    return s;
  }

  // Points at the next n bytes and steps over them.
  const std::byte* take(std::uint64_t n, std::string_view what) {
    require(n, what);
    const std::byte* p = base_ + pos_;
    pos_ += n;
    return p;
  }

 private:
  void require(std::uint64_t n, std::string_view what) const {
    if (n > remaining()) [[unlikely]]
      fail("expected " + std::to_string(n) + " bytes of " + std::string(what) + " at offset " +
           std::to_string(pos_) + ", found " + std::to_string(remaining()) +
           " before the end of file (truncated?)");
  }

  const std::string& file_;
  const std::byte* base_;
  std::uint64_t size_;
  std::uint64_t pos_ = 0;
  std::string item_ = "header";
};

}  // namespace qvk::gguf::detail
