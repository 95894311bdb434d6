// tests/gguf/corpus.hpp — the malformed-file corpus: each case is a small
// GGUF file broken in exactly one way, and a substring the reader's error
// message must contain. Used by the corpus gtest and by the qvk_gguf_corpus
// executable (which writes the files and a manifest for CLI checks).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "gguf_bytes.hpp"

namespace qvk::gguf::testing {

struct CorpusCase {
  std::string name;      // file name, e.g. "bad_magic.gguf"
  std::string bytes;     // file contents
  std::string expected;  // substring of the error message
};

// A valid file with one F32 tensor "w" of shape [32, 2] (256 data bytes).
inline Bytes valid_one_tensor_file() {
  Bytes b;
  b.header(3, 1, 1).kv_str("general.architecture", "qwen3").tensor_info("w", {32, 2}, kTypeF32, 0).pad_to(32);
  return b.zeros(256);
}

// Header + one kv of the given raw value bytes (type id then payload).
inline Bytes one_kv_file(std::string_view key, const Bytes& typed_value) {
  Bytes b;
  b.header(3, 0, 1).str(key).raw(typed_value.bytes());
  return b;
}

// Header + one tensor info with the given fields, padded, plus `data` zero bytes.
inline Bytes one_tensor_file(const std::vector<std::uint64_t>& dims, std::uint32_t type, std::uint64_t offset,
                             std::size_t data) {
  Bytes b;
  b.header(3, 1, 0).tensor_info("w", dims, type, offset).pad_to(32);
  return b.zeros(data);
}

inline std::vector<CorpusCase> malformed_corpus() {
  std::vector<CorpusCase> c;
  auto add = [&](std::string name, const Bytes& b, std::string expected) {
    c.push_back({std::move(name), b.bytes(), std::move(expected)});
  };
  auto add_raw = [&](std::string name, std::string bytes, std::string expected) {
    c.push_back({std::move(name), std::move(bytes), std::move(expected)});
  };
  const Bytes valid = valid_one_tensor_file();

  // --- truncations at several points
  add_raw("empty.gguf", "", "found an empty file");
  add_raw("truncated_in_magic.gguf", valid.truncated(2), "bytes of magic at offset 0, found 2 before the end of file");
  add_raw("truncated_in_version.gguf", valid.truncated(6), "bytes of version");
  add_raw("truncated_in_counts.gguf", valid.truncated(20), "bytes of metadata count");
  add("truncated_in_value.gguf", Bytes().header(3, 0, 1).str("a.b").u32(kU64).raw("xyz"),
      "bytes of uint64 value");
  add("truncated_in_tensor_info.gguf",
      Bytes().header(3, 1, 0).str("weight").u32(2).u64(32).u64(2), "bytes of tensor type");
  add_raw("truncated_in_data.gguf", valid.truncated(valid.size() - 100), "running past the end of the file");

  // --- header
  add("bad_magic.gguf", Bytes().raw("GGML").u32(3).u64(0).u64(0), "expected magic 'GGUF', found 'GGML'");
  add("version_0.gguf", Bytes().header(0, 0, 0), "expected version 2 or 3, found version 0");
  add("version_1.gguf", Bytes().header(1, 0, 0), "found version 1 (GGUF v1 is not supported)");
  add("version_99.gguf", Bytes().header(99, 0, 0), "found version 99");
  add("big_endian.gguf", Bytes().header(0x03000000, 0, 0), "found big-endian version 3");
  add("kv_count_huge.gguf", Bytes().header(3, 0, std::uint64_t{1} << 63).zeros(64), "expected a metadata count");
  add("kv_count_all_ones.gguf", Bytes().header(3, 0, ~std::uint64_t{0}), "expected a metadata count");
  add("tensor_count_huge.gguf", Bytes().header(3, std::uint64_t{1} << 40, 0).zeros(64), "expected a tensor count");

  // --- metadata
  add("key_length_huge.gguf", Bytes().header(3, 0, 1).u64(~std::uint64_t{0}).zeros(16),
      "expected a key string length");
  add("string_value_past_eof.gguf", one_kv_file("s", Bytes().u32(kString).u64(1000).raw("short")),
      "expected a value string length");
  add("array_count_overflowing.gguf", one_kv_file("a", Bytes().u32(kArray).u32(kU64).u64((std::uint64_t{1} << 61) + 1)),
      "expected an array count");
  add("array_count_past_eof.gguf", one_kv_file("a", Bytes().u32(kArray).u32(kU32).u64(1000).u32(1).u32(2)),
      "expected an array count");
  add("array_of_strings_count_huge.gguf", one_kv_file("a", Bytes().u32(kArray).u32(kString).u64(std::uint64_t{1} << 62)),
      "expected an array count");
  {
    Bytes v;
    v.u32(kArray);
    for (int depth = 0; depth < 8; ++depth) v.u32(kArray).u64(1);  // 9 arrays deep in total
    v.u32(kU8).u64(1).u8(7);
    add("nested_array_too_deep.gguf", one_kv_file("deep", v), "expected arrays nested at most 8 deep");
  }
  add("unknown_value_type.gguf", one_kv_file("x", Bytes().u32(13).u32(0)), "expected a known value type id (0..12), found 13");
  add("unknown_array_element_type.gguf", one_kv_file("x", Bytes().u32(kArray).u32(99).u64(0)),
      "expected a known array element type id (0..12), found 99");
  add("bool_value_2.gguf", one_kv_file("b", Bytes().u32(kBool).u8(2)), "expected a bool value of 0 or 1, found 2");
  add("bool_in_array_2.gguf", one_kv_file("b", Bytes().u32(kArray).u32(kBool).u64(3).u8(0).u8(1).u8(2)),
      "expected a bool value of 0 or 1, found 2");
  add("empty_key.gguf", Bytes().header(3, 0, 1).str("").u32(kU32).u32(1).zeros(8), "expected a non-empty key");
  add("duplicate_key.gguf", Bytes().header(3, 0, 2).kv_u32("k", 1).kv_u32("k", 2), "expected a unique key");
  add("alignment_not_power_of_two.gguf", Bytes().header(3, 0, 1).kv_u32("general.alignment", 48),
      "expected a nonzero power of two, found 48");
  add("alignment_zero.gguf", Bytes().header(3, 0, 1).kv_u32("general.alignment", 0),
      "expected a nonzero power of two, found 0");
  add("alignment_wrong_type.gguf", one_kv_file("general.alignment", Bytes().u32(kU64).u64(32)),
      "expected type uint32, found uint64");

  // --- tensor infos
  add("unknown_tensor_type.gguf", one_tensor_file({32}, 77, 0, 128), "expected a known GGML type id, found 77");
  add("removed_tensor_type.gguf", one_tensor_file({32}, 4, 0, 128), "expected a known GGML type id, found 4");
  add("zero_dims.gguf", Bytes().header(3, 1, 0).str("w").u32(0).u32(kTypeF32).u64(0).zeros(64),
      "expected 1 to 4 dimensions, found 0");
  add("five_dims.gguf", one_tensor_file({32, 1, 1, 1, 1}, kTypeF32, 0, 128), "expected 1 to 4 dimensions, found 5");
  add("dim_zero.gguf", one_tensor_file({32, 0}, kTypeF32, 0, 128), "found dims[1] = 0");
  add("element_count_overflow.gguf", one_tensor_file({std::uint64_t{1} << 32, std::uint64_t{1} << 32}, kTypeF32, 0, 64),
      "expected an element count below 2^63");
  add("element_count_2_pow_63.gguf", one_tensor_file({std::uint64_t{1} << 32, std::uint64_t{1} << 31}, kTypeF32, 0, 64),
      "expected an element count below 2^63");
  add("byte_count_overflow.gguf", one_tensor_file({std::uint64_t{1} << 62}, kTypeF64, 0, 64),
      "expected a byte size below 2^64");
  add("row_not_multiple_of_block.gguf", one_tensor_file({33, 2}, kTypeQ4_0, 0, 128),
      "expected dims[0] to be a multiple of the block size 32 of Q4_0, found 33");
  add("offset_misaligned.gguf", one_tensor_file({32}, kTypeF32, 16, 256), "expected an offset aligned to 32, found 16");
  {
    Bytes b;
    b.header(3, 1, 1).kv_u32("general.alignment", 64).tensor_info("w", {32}, kTypeF32, 32).pad_to(64).zeros(256);
    add("offset_misaligned_alignment_64.gguf", b, "expected an offset aligned to 64, found 32");
  }
  add("offset_past_eof.gguf", one_tensor_file({32}, kTypeF32, 1 << 20, 256), "expected an offset inside the data section");
  add("offset_near_2_pow_64.gguf", one_tensor_file({32}, kTypeF32, ~std::uint64_t{31}, 256),
      "expected an offset inside the data section");
  add("tensor_bytes_past_eof.gguf", one_tensor_file({32, 100}, kTypeF32, 0, 256), "running past the end of the file");
  {
    Bytes b;  // ends right after the tensor info, before the aligned data start
    b.header(3, 1, 0).tensor_info("w", {32}, kTypeF32, 0);
    add("data_section_past_eof.gguf", b, "expected the data section to start inside the file");
  }
  {
    Bytes b;
    b.header(3, 2, 0).tensor_info("a", {32, 2}, kTypeF32, 0).tensor_info("b", {32}, kTypeF32, 224).pad_to(32).zeros(512);
    add("overlapping_tensors.gguf", b, "expected no overlap with tensor 'a'");
  }
  {
    Bytes b;
    b.header(3, 2, 0).tensor_info("w", {32}, kTypeF32, 0).tensor_info("w", {32}, kTypeF32, 128).pad_to(32).zeros(256);
    add("duplicate_tensor_name.gguf", b, "expected a unique tensor name");
  }
  {
    Bytes b;
    b.header(3, 1, 0).tensor_info("", {32}, kTypeF32, 0).pad_to(32).zeros(128);
    add("empty_tensor_name.gguf", b, "expected a non-empty tensor name");
  }
  add("tensor_name_length_huge.gguf", Bytes().header(3, 1, 0).u64(std::uint64_t{1} << 40).zeros(64),
      "expected a tensor name string length");
  return c;
}

}  // namespace qvk::gguf::testing
