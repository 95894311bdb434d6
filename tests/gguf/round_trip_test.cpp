// Writer → File round trips: every value type, nested arrays, tensors of
// several quant types at alignment 32 and 64, and the byte layout checked
// against an independent hand encoding.
#include <gtest/gtest.h>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "gguf_bytes.hpp"
#include "qvk/gguf/file.hpp"
#include "qvk/gguf/writer.hpp"
#include "test_files.hpp"

namespace qvk::gguf {
namespace {

using testing::read_file;
using testing::scratch_dir;

std::vector<KeyValue> every_value_type() {
  std::vector<KeyValue> kvs = {
      {"t.u8", Value::u8(255)},
      {"t.i8", Value::i8(-128)},
      {"t.u16", Value::u16(65535)},
      {"t.i16", Value::i16(-32768)},
      {"t.u32", Value::u32(4294967295u)},
      {"t.i32", Value::i32(std::numeric_limits<std::int32_t>::min())},
      {"t.f32", Value::f32(-1.5e-40f)},  // a subnormal: stored bits must survive
      {"t.f32.inf", Value::f32(std::numeric_limits<float>::infinity())},
      {"t.bool.true", Value::boolean(true)},
      {"t.bool.false", Value::boolean(false)},
      {"t.string", Value::str(std::string("utf8 \xc3\xa9 and a NUL \0 inside", 26))},
      {"t.string.empty", Value::str("")},
      {"t.u64", Value::u64(std::numeric_limits<std::uint64_t>::max())},
      {"t.i64", Value::i64(std::numeric_limits<std::int64_t>::min())},
      {"t.f64", Value::f64(0.1)},
      {"t.array.empty", Value::array(ValueType::FLOAT32, {})},
      {"t.array.strings", Value::array(ValueType::STRING, {Value::str("Ġ t"), Value::str(""), Value::str("<think>")})},
  };
  // One array of every scalar type, filled with that type's extremes.
  const std::vector<Value> scalars = {Value::u8(0),  Value::i8(127),  Value::u16(1), Value::i16(-1),
                                      Value::u32(7), Value::i32(-7),  Value::f32(0.25f), Value::boolean(true),
                                      Value::u64(9), Value::i64(-9),  Value::f64(-0.0)};
  for (const Value& v : scalars)
    kvs.push_back({"t.array." + std::string(value_type_name(v.type)), Value::array(v.type, {v, v, v})});
  return kvs;
}

void write_metadata_only(const std::filesystem::path& path, const std::vector<KeyValue>& kvs) {
  Writer w(path);
  for (const KeyValue& kv : kvs) w.add_kv(kv.key, kv.value);
  w.write_header();
  w.finish();
}

TEST(GgufRoundTrip, EveryValueTypeReadsBackEqualInFileOrder) {
  const auto path = scratch_dir() / "values.gguf";
  const auto kvs = every_value_type();
  write_metadata_only(path, kvs);
  const File f = File::open(path);
  EXPECT_EQ(f.version(), 3u);
  ASSERT_EQ(f.metadata().size(), kvs.size());
  for (std::size_t k = 0; k < kvs.size(); ++k) {
    SCOPED_TRACE(kvs[k].key);
    EXPECT_EQ(f.metadata()[k].key, kvs[k].key);
    EXPECT_EQ(f.metadata()[k].value, kvs[k].value) << f.metadata()[k].value.describe();
    const Value* found = f.find(kvs[k].key);
    ASSERT_NE(found, nullptr);
    EXPECT_EQ(found, &f.metadata()[k].value);
  }
  EXPECT_EQ(f.find("t.missing"), nullptr);
  // -0.0 and the subnormal must come back bit-identical, not merely equal.
  EXPECT_TRUE(std::signbit(f.find("t.array.float64")->items[0].f));
  EXPECT_EQ(static_cast<float>(f.find("t.f32")->f), -1.5e-40f);
  EXPECT_TRUE(f.tensors().empty());
}

Value nested(int depth) {  // depth arrays, the innermost holding one uint8
  Value v = Value::array(ValueType::UINT8, {Value::u8(42)});
  for (int d = 1; d < depth; ++d) v = Value::array(ValueType::ARRAY, {v, v});
  return v;
}

TEST(GgufRoundTrip, NestedArraysUpToEightDeepReadBackEqual) {
  const auto path = scratch_dir() / "nested.gguf";
  // Inner arrays of one outer array may differ in element type and length.
  const Value mixed = Value::array(
      ValueType::ARRAY, {Value::array(ValueType::STRING, {Value::str("a")}),
                         Value::array(ValueType::INT64, {Value::i64(-1), Value::i64(2)}), Value::array(ValueType::BOOL, {})});
  write_metadata_only(path, {{"n.2", nested(2)}, {"n.8", nested(kMaxArrayDepth)}, {"n.mixed", mixed}});
  const File f = File::open(path);
  EXPECT_EQ(*f.find("n.2"), nested(2));
  EXPECT_EQ(*f.find("n.8"), nested(kMaxArrayDepth));
  EXPECT_EQ(*f.find("n.mixed"), mixed);
  const Value* v = f.find("n.8");
  for (int d = 1; d < kMaxArrayDepth; ++d) v = &v->items.at(1);
  EXPECT_EQ(v->items.at(0).u, 42u);
}

struct TensorSpec {
  std::string name;
  quant::Type type;
  std::vector<std::uint64_t> dims;
};

std::vector<std::byte> seeded_bytes(std::size_t n, std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<std::byte> out(n);
  for (auto& b : out) b = static_cast<std::byte>(rng() & 0xff);
  return out;
}

class GgufRoundTripAligned : public ::testing::TestWithParam<std::uint64_t> {};

TEST_P(GgufRoundTripAligned, TensorsOfSeveralTypesReadBackAlignedAndEqual) {
  const std::uint64_t alignment = GetParam();
  const std::uint32_t kSeed = 20261122;
  std::printf("seed %u, alignment %llu\n", kSeed, static_cast<unsigned long long>(alignment));
  const std::vector<TensorSpec> specs = {
      {"f32.vec", quant::Type::F32, {7}},  {"f16.mat", quant::Type::F16, {3, 5}},
      {"q4_0", quant::Type::Q4_0, {64, 3}}, {"q8_0", quant::Type::Q8_0, {32, 2, 2}},
      {"q4_k", quant::Type::Q4_K, {256, 2}}, {"q6_k", quant::Type::Q6_K, {512, 1, 1, 2}},
      {"bf16", quant::Type::BF16, {1}},
  };
  const auto path = scratch_dir() / "tensors.gguf";
  Writer w(path, alignment);
  w.add_kv("general.architecture", Value::str("qwen3"));
  if (alignment != kDefaultAlignment) w.add_kv("general.alignment", Value::u32(static_cast<std::uint32_t>(alignment)));
  for (const TensorSpec& s : specs) w.add_tensor(s.name, s.type, s.dims);
  std::vector<std::vector<std::byte>> data;
  for (std::size_t k = 0; k < specs.size(); ++k)
    data.push_back(seeded_bytes(static_cast<std::size_t>(w.tensors()[k].n_bytes), kSeed + static_cast<std::uint32_t>(k)));
  w.write_header();
  for (std::size_t k = 0; k < specs.size(); ++k) {
    // Odd chunking: one call never spans tensors, but a tensor may take many.
    std::span<const std::byte> rest(data[k]);
    while (!rest.empty()) {
      const std::size_t n = std::min<std::size_t>(rest.size(), 13);
      w.write_data(rest.first(n));
      rest = rest.subspan(n);
    }
  }
  w.finish();

  const File f = File::open(path);
  EXPECT_EQ(f.alignment(), alignment);
  EXPECT_EQ(f.data_offset() % alignment, 0u);
  EXPECT_EQ(f.file_size(), w.total_bytes());
  EXPECT_EQ(std::filesystem::file_size(path), w.total_bytes());
  ASSERT_EQ(f.tensors().size(), specs.size());
  const std::string raw = read_file(path);
  for (std::size_t k = 0; k < specs.size(); ++k) {
    SCOPED_TRACE(specs[k].name);
    const TensorInfo& t = f.tensors()[k];
    EXPECT_EQ(f.tensor(specs[k].name), &t);
    EXPECT_EQ(t.name, specs[k].name);
    EXPECT_EQ(t.type, specs[k].type);
    EXPECT_EQ(t.dims, specs[k].dims);
    EXPECT_EQ(t.offset % alignment, 0u);
    EXPECT_EQ(t.offset, w.tensors()[k].offset);
    const auto info = quant::info(t.type);
    std::uint64_t n = 1;
    for (auto d : t.dims) n *= d;
    EXPECT_EQ(t.n_elements, n);
    EXPECT_EQ(t.n_bytes, n / info.block_elems * info.block_bytes);
    const auto bytes = f.data(t);
    ASSERT_EQ(bytes.size(), data[k].size());
    EXPECT_TRUE(std::equal(bytes.begin(), bytes.end(), data[k].begin()));
    // Padding after the tensor up to the next aligned offset is zeros.
    const std::uint64_t end = f.data_offset() + t.offset + t.n_bytes;
    for (std::uint64_t p = end; p % alignment != 0; ++p) ASSERT_EQ(raw.at(p), '\0') << "padding byte " << p;
  }
  EXPECT_EQ(f.tensor("absent"), nullptr);
}

INSTANTIATE_TEST_SUITE_P(Alignments, GgufRoundTripAligned, ::testing::Values(32u, 64u),
                         [](const auto& param_info) { return "Alignment" + std::to_string(param_info.param); });

TEST(GgufRoundTrip, WriterBytesMatchAnIndependentHandEncoding) {
  const auto path = scratch_dir() / "hand.gguf";
  Writer w(path);
  w.add_kv("general.architecture", Value::str("qwen3"));
  w.add_kv("a", Value::array(ValueType::INT32, {Value::i32(-2), Value::i32(3)}));
  w.add_tensor("w", quant::Type::Q8_0, {32, 2});
  w.write_header();
  const auto data = seeded_bytes(68, 7);
  w.write_data(data);
  w.finish();

  using namespace testing;
  Bytes b;
  b.header(3, 1, 2).kv_str("general.architecture", "qwen3");
  b.str("a").u32(kArray).u32(kI32).u64(2).put<std::int32_t>(-2).put<std::int32_t>(3);
  b.tensor_info("w", {32, 2}, kTypeQ8_0, 0).pad_to(32);
  b.raw(std::string_view(reinterpret_cast<const char*>(data.data()), data.size())).pad_to(32);
  EXPECT_EQ(read_file(path), b.bytes());
}

TEST(GgufRoundTrip, MetadataOnlyFileIsPaddedToAlignment) {
  const auto path = scratch_dir() / "meta.gguf";
  write_metadata_only(path, {{"k", Value::u8(1)}});
  const File f = File::open(path);
  EXPECT_EQ(f.file_size() % kDefaultAlignment, 0u);
  EXPECT_EQ(f.data_offset(), f.file_size());
}

}  // namespace
}  // namespace qvk::gguf
